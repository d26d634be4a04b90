"""The packages import in one direction: the table below, drawn in docs/architecture.md.

Every module of ``influencers/`` (migrations aside) is parsed with ``ast``; every import
counts, those inside functions too (a function-level import is still a dependency, only a
later one). A module belongs to its unit: its top-level package or module under
``influencers`` (``influencers.scoring.runs`` -> ``scoring``), except the entry points
named in ``ENTRY_POINTS``, which are units of their own. The test fails when a unit imports
one the table does not allow, when the units' imports form a cycle, when a unit is missing
from the table, or when the pure math (``overlap``) imports a database or web library.
"""
from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "influencers"

# Modules started by a runtime rather than imported (``celery -A influencers.jobs.celery_app``):
# they assemble the application, like ``app`` and ``cli``, so they stand above everything.
ENTRY_POINTS = {"influencers.jobs.celery_app": "celery_app"}

# unit -> the units it may import. Lowest first; docs/architecture.md draws the same table.
ALLOWED: dict[str, set[str]] = {
    # Foundations: configuration, the database plumbing, helpers without a domain.
    "influencers": set(),  # the package itself: __version__
    "errors": set(),  # the domain-error hierarchy every package raises from
    "config": set(),
    "gcpause": set(),
    "csv_export": set(),
    "gunicorn_errors": set(),
    "row_security": set(),
    "columnar": set(),
    "migrate": set(),
    "db": {"influencers", "row_security"},
    # Pure computation: arrays in, dataclasses out; no session, no ORM.
    "overlap": set(),
    "demo": set(),
    # The domains, each above the ones it builds on.
    "workspaces": {"db"},
    "jobs": {"config", "db"},
    "creators": {"config", "db"},
    "webhooks": {"config", "db", "jobs", "workspaces"},
    "graph": {"creators", "db"},
    "campaigns": {"creators", "csv_export", "db", "influencers", "webhooks", "workspaces"},
    "scoring": {"columnar", "config", "creators", "db", "gcpause", "graph", "jobs", "overlap", "webhooks",
                "workspaces"},
    "calibration": {"config", "creators", "db", "graph", "jobs", "scoring", "webhooks"},
    "brands": {"campaigns", "config", "creators", "db", "jobs", "scoring"},
    "shortlists": {"creators", "db", "overlap", "scoring"},
    "discovery": {"brands", "config", "creators", "scoring"},
    "imports": {"brands", "config", "creators", "db", "jobs", "scoring", "webhooks"},
    "privacy": {"campaigns", "creators", "db", "scoring", "shortlists", "workspaces"},
    "evaluation": {"demo", "scoring"},
    # Every model module, so Base.metadata is whole (Alembic, a worker process).
    "models": {"brands", "calibration", "campaigns", "creators", "db", "jobs", "scoring", "shortlists",
               "webhooks", "workspaces"},
    "serving": {"config", "jobs"},
    # Where the application is assembled: job handlers and scoring's recalibration registered.
    "assembly": {"brands", "calibration", "imports", "jobs", "models", "scoring", "webhooks"},
    # The HTTP layer and the entry points.
    "api": {"assembly", "brands", "calibration", "campaigns", "config", "creators", "db", "discovery", "graph",
            "imports", "influencers", "jobs", "privacy", "row_security", "scoring", "shortlists", "webhooks",
            "workspaces"},
    "app": {"api", "assembly", "config", "db", "gunicorn_errors", "influencers", "workspaces"},
    "openapi": {"app", "config"},
    "celery_app": {"assembly", "config", "db", "jobs", "privacy"},
    "cli": {"api", "assembly", "brands", "calibration", "config", "creators", "csv_export", "db", "demo",
            "evaluation", "graph", "imports", "influencers", "jobs", "migrate", "openapi", "privacy", "scoring",
            "serving", "shortlists", "webhooks", "workspaces"},
}

# What every unit may import besides its row: the domain-error hierarchy (it imports nothing).
EVERYONE = {"errors"}

# Libraries the pure math must not know (sessions, ORM, HTTP).
PURE = {"overlap": {"sqlalchemy", "flask", "flask_smorest", "werkzeug", "alembic", "psycopg"}}


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def unit_of(module: str) -> str:
    for entry_point, unit in ENTRY_POINTS.items():
        if module == entry_point or module.startswith(entry_point + "."):
            return unit
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def imported_modules(path: Path, root: Path = ROOT) -> list[tuple[str, int]]:
    """(module imported, line) for every import of the file, function-level ones included.
    ``from a import b`` yields ``a`` and ``a.b`` (``b`` may be a submodule)."""
    module = _module_name(path, root)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            found.append((source, node.lineno))
            found += [(f"{source}.{alias.name}", node.lineno) for alias in node.names
                      if _is_module(f"{source}.{alias.name}", root)]
    return found


def _is_module(name: str, root: Path) -> bool:
    """Whether ``name`` is a module or package of the tree (``from package import name``
    imports a submodule then, a name defined in the package otherwise)."""
    path = root.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def project_imports() -> dict[tuple[str, str], list[str]]:
    """(importing unit, imported unit) -> where ("file:line imports module"), across units only."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.relative_to(PACKAGE).parts:
            continue
        source = unit_of(_module_name(path))
        for target, line in imported_modules(path):
            if target != "influencers" and not target.startswith("influencers."):
                continue
            imported = unit_of(target)
            if imported != source:
                edges[source, imported].append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    return edges


def units() -> set[str]:
    return {unit_of(_module_name(path)) for path in PACKAGE.rglob("*.py")
            if "migrations" not in path.relative_to(PACKAGE).parts}


def test_the_table_itself_points_one_way():
    graph = nx.DiGraph([(a, b) for a, allowed in ALLOWED.items() for b in allowed | EVERYONE if a not in EVERYONE])
    assert set(graph) <= set(ALLOWED), set(graph) - set(ALLOWED)
    assert nx.is_directed_acyclic_graph(graph), nx.find_cycle(graph)


def test_every_unit_has_its_place_in_the_table():
    missing = units() - set(ALLOWED)
    assert not missing, f"units without a row in ALLOWED (add them, and to docs/architecture.md): {sorted(missing)}"


def test_no_import_cycle_between_units():
    edges = project_imports()
    graph = nx.DiGraph(list(edges))
    cycles = list(nx.simple_cycles(graph))
    described = []
    for cycle in cycles[:10]:
        steps = zip(cycle, [*cycle[1:], cycle[0]])
        described.append(" -> ".join(cycle + [cycle[0]]) + "\n    "
                         + "\n    ".join(edges[a, b][0] for a, b in steps))
    assert not cycles, f"{len(cycles)} import cycle(s) between units:\n" + "\n".join(described)


def test_units_import_only_what_the_table_allows():
    forbidden = {edge: where for edge, where in project_imports().items()
                 if edge[0] in ALLOWED and edge[1] not in ALLOWED[edge[0]] | EVERYONE}
    assert not forbidden, "imports the table does not allow:\n" + "\n".join(
        f"{a} -> {b}: {where[0]}" + (f" (and {len(where) - 1} more)" if len(where) > 1 else "")
        for (a, b), where in sorted(forbidden.items()))


@pytest.mark.parametrize("unit", sorted(PURE))
def test_pure_math_imports_no_database_or_web_library(unit):
    offending = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if unit_of(_module_name(path)) != unit:
            continue
        offending += sorted({f"{path.relative_to(ROOT)}:{line} imports {target.split('.')[0]}"
                             for target, line in imported_modules(path) if target.split(".")[0] in PURE[unit]})
    assert not offending, "\n".join(offending)


def test_the_parser_sees_function_level_and_relative_imports(tmp_path):
    """The rules above rest on the parser: an import inside a function, a relative one and
    ``from package import module`` all count."""
    package = tmp_path / "influencers" / "alpha"
    package.mkdir(parents=True)
    (tmp_path / "influencers" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("from . import helpers\n")
    (package / "helpers.py").write_text("def f():\n    from influencers.beta import thing\n"
                                        "    from ..gamma import other\n    return thing, other\n")
    (tmp_path / "influencers" / "beta").mkdir()
    (tmp_path / "influencers" / "beta" / "__init__.py").write_text("")
    (tmp_path / "influencers" / "beta" / "thing.py").write_text("")
    helpers = imported_modules(package / "helpers.py", tmp_path)
    init = imported_modules(package / "__init__.py", tmp_path)
    assert ("influencers.beta", 2) in helpers and ("influencers.beta.thing", 2) in helpers
    assert ("influencers.gamma", 3) in helpers
    assert ("influencers.alpha.helpers", 1) in init
    assert unit_of("influencers.beta.thing") == "beta" and unit_of("influencers.jobs.celery_app.app") == "celery_app"


# --- the documents that draw the table ---------------------------------------------------------

FOUNDATIONS = {"influencers", "errors", "config", "gcpause", "csv_export", "gunicorn_errors", "row_security",
               "columnar", "migrate", "db"}
TOP = {"api", "app", "openapi", "celery_app", "cli"}
ARCHITECTURE = ROOT / "docs" / "architecture.md"


def test_the_diagram_in_docs_draws_the_table():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    diagram = text.split("```mermaid", 1)[1].split("```", 1)[0]
    drawn = set(re.findall(r"^\s*(\w+) --> (\w+)\s*$", diagram, flags=re.MULTILINE))
    expected = {(a, b) for a, allowed in ALLOWED.items() if a not in TOP for b in allowed if b not in FOUNDATIONS}
    assert drawn == expected, f"drawn, not allowed: {sorted(drawn - expected)}; allowed, not drawn: " \
                              f"{sorted(expected - drawn)}"


def test_the_table_in_docs_is_the_tests_table():
    rows = {}
    for line in ARCHITECTURE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\| `(\w+)`[^|]* \| (.*) \|$", line)
        if match:
            rows[match.group(1)] = set(re.findall(r"`(\w+)`", match.group(2)))
    assert rows == ALLOWED


def test_the_readme_layout_lists_every_package():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    packages = sorted(path.parent.name for path in PACKAGE.glob("*/__init__.py"))
    missing = [name for name in packages if f"influencers/{name}/" not in layout]
    assert not missing, f"packages missing from the README's layout table: {missing}"


def test_tests_import_helpers_from_the_fixtures_package_only():
    """Helpers shared by test modules live in ``tests/fixtures``: no module imports a conftest
    (pytest loads those itself) or a test module (whose tests would then run twice)."""
    found = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for module, line in imported_modules(path):
            name = module.rsplit(".", 1)[-1]
            if module.startswith("tests.") and (name == "conftest" or name.startswith("test_")) \
                    and _is_module(module, ROOT):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert not found, "\n".join(found)
