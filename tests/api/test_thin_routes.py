"""The HTTP layer holds no queries: it parses, authorises, calls a domain function and serialises.

Statements are built and run by domain packages (which take a session); a module under
``influencers/api/`` that builds or runs one fails here, with the place named.
"""
from __future__ import annotations

import ast
from pathlib import Path

import influencers.api

API_ROOT = Path(influencers.api.__file__).parent

# SQLAlchemy's statement and expression builders.
QUERY_BUILDERS = {
    "select", "insert", "update", "delete", "text", "func", "and_", "or_", "not_", "exists", "literal_column",
    "literal", "case", "cast", "true", "false", "null", "union", "union_all", "join", "outerjoin", "tuple_",
}
# Running a statement, or changing rows through the session.
SESSION_CALLS = {"execute", "scalar", "scalars", "query", "get", "add", "add_all", "delete", "merge", "flush",
                 "refresh", "get_one"}
# Refining a statement a domain function returned.
STATEMENT_METHODS = {"where", "filter", "filter_by", "order_by", "group_by", "having", "limit", "offset",
                     "with_only_columns", "outerjoin", "select_from"}


def _receiver(node: ast.Attribute) -> str:
    return ast.unparse(node.value)


def violations(source: str, name: str) -> list[str]:
    tree = ast.parse(source)
    found = []
    sqlalchemy_modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            found += [f"{name}:{node.lineno} imports {alias.name} from {node.module}"
                      for alias in node.names if alias.name in QUERY_BUILDERS]
        elif isinstance(node, ast.Import):
            sqlalchemy_modules |= {alias.asname or alias.name for alias in node.names
                                   if alias.name.split(".")[0] == "sqlalchemy"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in QUERY_BUILDERS and _receiver(node) in sqlalchemy_modules:
            found.append(f"{name}:{node.lineno} builds a query with {ast.unparse(node)}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method, receiver = node.func.attr, _receiver(node.func)
            if method in SESSION_CALLS and "session" in receiver.lower():
                found.append(f"{name}:{node.lineno} runs {ast.unparse(node.func)}(...)")
            elif method in STATEMENT_METHODS and not isinstance(node.func.value, ast.Constant):
                found.append(f"{name}:{node.lineno} refines a statement with .{method}(...)")
    return found


def api_violations(root: Path = API_ROOT) -> list[str]:
    return [v for path in sorted(root.rglob("*.py"))
            for v in violations(path.read_text(encoding="utf-8"), str(path.relative_to(root.parent)))]


def test_no_module_under_api_builds_or_runs_a_query():
    assert api_violations() == []


def test_the_check_sees_each_way_a_route_could_query():
    route = '''
import sqlalchemy as sa
from sqlalchemy import select
from influencers.api import unit_of_work

def view(creator_id):
    session = unit_of_work.session()
    rows = session.execute(select(Creator).where(Creator.id == creator_id)).all()
    count = unit_of_work.session().scalar(sa.func.count())
    job = session.get(Job, 1)
    return service.creators_select(1).limit(5), ", ".join(rows), {}.get("key")
'''
    assert sorted(violations(route, "route.py")) == [
        "route.py:10 runs session.get(...)",
        "route.py:11 refines a statement with .limit(...)",
        "route.py:3 imports select from sqlalchemy",
        "route.py:8 refines a statement with .where(...)",
        "route.py:8 runs session.execute(...)",
        "route.py:9 builds a query with sa.func",
        "route.py:9 runs unit_of_work.session().scalar(...)",
    ]
