"""The analysts' CLI: brands import (by name, re-matching) and the mentions CSV export."""
import csv
import io
import json

from click.testing import CliRunner

from influencers.cli import main
from tests.fixtures.brands import creator, import_records, post

BRANDS = [
    {"name": "Acme", "handles": {"instagram": ["acme"]}, "hashtags": ["acme"], "keywords": ["acme"],
     "exclude_keywords": ["road runner"], "competitors": ["Beta"]},
    {"name": "Beta", "handles": {}, "hashtags": [], "keywords": ["beta shoes"], "exclude_keywords": [],
     "competitors": []},
]


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_import_brands_then_export_mentions(database, monkeypatch, api, tmp_path):
    monkeypatch.setenv("INFLUENCERS_DATABASE_URL", database.url)
    monkeypatch.setenv("INFLUENCERS_PSEUDONYM_SECRET", "x" * 32)
    import_records(api, creator("alice"), creator("bob"),
                   post("p1", "alice", "2026-11-01T10:00:00Z", "#acme and beta shoes", likes=7, comments=2),
                   post("p2", "bob", "2026-11-05T10:00:00Z", "@acme gifted", sponsored=True, likes=3, comments=0),
                   post("p3", "bob", "2026-10-01T10:00:00Z", "acme road runner"))
    file = tmp_path / "brands.json"
    file.write_text(json.dumps(BRANDS))
    first = run("brands", "import", "--workspace", "brand-a", str(file))
    assert first.exit_code == 0, first.output
    assert "created 2" in first.output
    brands = {b["name"]: b for b in api.get("/v1/brands").json}
    assert [c["name"] for c in brands["Acme"]["competitors"]] == ["Beta"]
    exported = run("export", "mentions", "--workspace", "brand-a", "--brand", "acme")
    assert exported.exit_code == 0, exported.output
    rows = list(csv.reader(io.StringIO(exported.output)))
    assert rows[0] == ["brand", "platform", "handle", "external_id", "published_at", "matched_by", "sponsored",
                       "likes", "comments"]
    assert rows[1:] == [["Acme", "instagram", "alice", "p1", "2026-11-01T10:00:00Z", "hashtag", "false", "7", "2"],
                        ["Acme", "instagram", "bob", "p2", "2026-11-05T10:00:00Z", "handle", "true", "3", "0"]]
    since = run("export", "mentions", "--workspace", "brand-a", "--brand", "Acme", "--since", "2026-11-02")
    assert [r[3] for r in list(csv.reader(io.StringIO(since.output)))[1:]] == ["p2"]

    # Re-importing updates by name and re-matches: Acme loses its hashtag, keeps its keyword.
    BRANDS[0]["hashtags"] = []
    file.write_text(json.dumps(BRANDS))
    again = run("brands", "import", "--workspace", "brand-a", str(file))
    assert again.exit_code == 0 and "updated 1" in again.output and "unchanged 1" in again.output
    rows = list(csv.reader(io.StringIO(run("export", "mentions", "--workspace", "brand-a", "--brand", "acme").output)))
    assert [(r[3], r[5]) for r in rows[1:]] == [("p1", "keyword"), ("p2", "handle")]
    assert len(api.get("/v1/brands").json) == 2
    beta = next(b for b in api.get("/v1/brands").json if b["name"] == "Beta")
    assert beta["version"] == 1      # re-importing it changed nothing
    trail = api.get(f"/v1/brands/{brands['Acme']['id']}/audit").json
    assert [e["action"] for e in trail] == ["imported", "imported", "imported"]  # created, competitors, hashtags


def test_bad_files_and_unknown_names_exit_non_zero(database, monkeypatch, api, tmp_path):
    monkeypatch.setenv("INFLUENCERS_DATABASE_URL", database.url)
    monkeypatch.setenv("INFLUENCERS_PSEUDONYM_SECRET", "x" * 32)
    file = tmp_path / "brands.json"
    file.write_text(json.dumps([{"name": "Acme", "competitors": ["Nobody"]}]))
    result = run("brands", "import", "--workspace", "brand-a", str(file))
    assert result.exit_code != 0 and "Nobody" in result.output
    assert api.get("/v1/brands").json == []          # nothing stored half-written
    file.write_text(json.dumps([{"name": "Acme", "handles": {"myspace": ["x"]}}]))
    result = run("brands", "import", "--workspace", "brand-a", str(file))
    assert result.exit_code != 0 and "myspace" in result.output
    result = run("export", "mentions", "--workspace", "brand-a", "--brand", "Nope")
    assert result.exit_code != 0 and "Nope" in result.output
