"""Input the database cannot store or the contract does not allow answers 422 (or 404), never 500."""
import io
import json
import xml.etree.ElementTree as ET

import pytest

from tests.fixtures.api import post_ndjson

ID_MAX = 2**31 - 1
TOO_BIG = [2**31, 2**63 - 1]


def creator_line(handle, **extra):
    return json.dumps({"type": "creator", "platform": "instagram", "handle": handle, "followers": 10,
                       "following": 1, "posts_count": 1, **extra})


# --- ids: the contract is 32-bit, like the columns ----------------------------------------------

def _id_routes(app):
    for rule in app.url_map.iter_rules():
        if "<id:" in rule.rule and "GET" in rule.methods:
            yield rule


@pytest.mark.parametrize("big", TOO_BIG)
def test_ids_beyond_32_bits_in_paths_are_404(app, api, big):
    rules = list(_id_routes(app))
    assert len(rules) > 20
    for rule in rules:
        url = rule.rule
        while "<id:" in url:
            start = url.index("<id:")
            url = url[:start] + str(big) + url[url.index(">", start) + 1:]
        response = api.get(url)
        assert response.status_code == 404, (url, response.status_code)
        assert response.json["code"] == 404


@pytest.mark.parametrize("big", TOO_BIG)
def test_ids_beyond_32_bits_in_queries_and_bodies_are_422(api, big):
    response = api.get(f"/v1/deliverables?campaign_id={big}")
    assert response.status_code == 422 and "campaign_id" in response.json["errors"]["query"]
    shortlist = api.post("/v1/shortlists", json={"name": "s", "creator_ids": [big]})
    assert shortlist.status_code == 422 and "creator_ids" in shortlist.json["errors"]["json"]


def test_the_contract_declares_32_bit_ids(app):
    spec = app.extensions["influencers.api"].spec.to_dict()
    params = [p for path in spec["paths"].values() for op in path.values() if isinstance(op, dict)
              for p in op.get("parameters", []) if p.get("in") == "path"]
    params += [p for path in spec["paths"].values() for p in path.get("parameters", []) if p.get("in") == "path"]
    assert params
    for p in params:
        assert p["schema"]["maximum"] == ID_MAX and p["schema"].get("format") == "int32", p


# --- text the database cannot store --------------------------------------------------------------

CAMPAIGN = {"name": "c", "brand": "b", "objective": "awareness", "budget_minor": 100, "currency": "EUR"}


@pytest.mark.parametrize("bad", ["a\u0000b", "\ud800", "x\udfffy"])
def test_nul_and_lone_surrogates_in_bodies_are_422_naming_the_field(api, bad):
    response = api.post("/v1/campaigns", json={**CAMPAIGN, "name": bad})
    assert response.status_code == 422, response.data
    assert "name" in response.json["errors"]["json"]
    creator = api.post("/v1/creators", json={"platform": "instagram", "handle": "ok", "followers": 1,
                                             "display_name": bad})
    assert creator.status_code == 422 and "display_name" in creator.json["errors"]["json"]
    nested = api.post("/v1/shortlists", json={"name": "s", "creators": [{"creator_id": 1, "note": bad}]})
    assert nested.status_code == 422 and "creators" in nested.json["errors"]["json"]


def test_nul_in_a_query_string_is_422(api):
    response = api.get("/v1/creators?q=%00")
    assert response.status_code == 422 and "q" in response.json["errors"]["query"]


def test_an_import_line_with_nul_or_a_lone_surrogate_is_rejected_and_the_rest_imported(api):
    body = "\n".join([
        creator_line("good1"),
        creator_line("nul", display_name="a\u0000b"),
        creator_line("sur", bio="\ud800"),
        creator_line("good2"),
    ]).encode()
    response = post_ndjson(api, body)
    assert response.status_code == 200, response.data
    report = response.json
    assert report["rejected_count"] == 2
    assert {r["line"] for r in report["rejected"]} == {2, 3}
    assert all("display_name" in r["reason"] or "bio" in r["reason"] for r in report["rejected"])
    handles = {c["handle"] for c in api.get("/v1/creators").json}
    assert handles == {"good1", "good2"}


# --- one handle rule, and exports that always parse ----------------------------------------------

@pytest.mark.parametrize("handle", ["bad\u0001handle", "tab\there", "new\nline", "sp ace", "bad\u200bzero"])
def test_the_importer_applies_the_api_handle_rule(api, handle):
    api_answer = api.post("/v1/creators", json={"platform": "instagram", "handle": handle, "followers": 1})
    assert api_answer.status_code == 422
    report = post_ndjson(api, creator_line(handle).encode()).json
    assert report["rejected_count"] == 1 and "handle" in report["rejected"][0]["reason"]


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_graph_exports_parse_whatever_text_creators_hold(api, fmt):
    lines = [creator_line("a", display_name="ctl\u0001\u0008\u001f\ufffe end", bio="x\u000by"),
             creator_line("b", display_name="<&>\"'"),
             json.dumps({"type": "edge", "platform": "instagram", "source": "a", "target": "b",
                         "kind": "mentions", "weight": 1})]
    assert post_ndjson(api, "\n".join(lines).encode()).json["rejected_count"] == 0
    response = api.get(f"/v1/graph/export?platform=instagram&format={fmt}")
    assert response.status_code == 200
    ET.parse(io.BytesIO(response.data))  # raises on invalid XML


# --- 500s on valid-looking requests, and echoes of unbounded input -------------------------------

def test_sketch_overlap_of_an_empty_shortlist_is_not_a_500(api):
    shortlist = api.post("/v1/shortlists", json={"name": "empty"}).json
    response = api.get(f"/v1/shortlists/{shortlist['id']}/overlap?method=sketch")
    assert response.status_code == 200, response.data
    assert response.json["sketch"]["set"]["creators"] == 0
    assert response.json["sketch"]["set"]["unique_reach"]["estimate"] == 0


@pytest.mark.parametrize("search", [1.5, "x", [], None])
def test_optimisation_with_a_non_object_search_is_422(api, search):
    response = api.post("/v1/shortlist-optimisations", json={"search": search, "platform": "instagram", "k": 2})
    assert response.status_code == 422, response.data
    assert "search" in response.json["errors"]["json"]


def test_import_rejection_reasons_do_not_echo_unbounded_input(api):
    huge = "f" * 200_000
    lines = [json.dumps({"type": "creator", huge: 1}), json.dumps({"type": huge}),
             creator_line("x", country=huge)]
    response = post_ndjson(api, "\n".join(lines).encode())
    assert response.status_code == 200
    assert len(response.data) < 5_000
    assert all(len(r["reason"]) <= 300 for r in response.json["rejected"])


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_graph_exports_parse_even_with_text_stored_before_the_handle_rule(fmt):
    import networkx as nx

    from influencers.graph.export import to_gexf_bytes, to_graphml_bytes

    G = nx.DiGraph()
    G.add_node(1, handle="old\u0001handle\ud800", display_name="x\u000by\ufffe")
    G.add_node(2, handle="fine")
    G.add_edge(1, 2, weight=1.0, kinds="mentions")
    data = (to_graphml_bytes if fmt == "graphml" else to_gexf_bytes)(G)
    ET.parse(io.BytesIO(data))


def test_a_code_followed_by_a_line_break_is_422_naming_the_field(api):
    """A pattern's ``$`` also matches before a final line break: "EUR\\n" passed ``^[A-Z]{3}$`` and
    reached a 3-character column (a 500 on PostgreSQL), "FR\\n" was stored as a territory."""
    campaign = api.post("/v1/campaigns", json={**CAMPAIGN, "currency": "EUR\n"})
    assert campaign.status_code == 422 and "currency" in campaign.json["errors"]["json"]
    campaign_id = api.post("/v1/campaigns", json=CAMPAIGN).json["id"]
    brief = api.post(f"/v1/campaigns/{campaign_id}/briefs", json={"message": "m", "territories": ["FR\n"]})
    assert brief.status_code == 422 and "territories" in brief.json["errors"]["json"]
    creator = api.post("/v1/creators", json={"platform": "instagram", "handle": "ok", "followers": 1,
                                             "country": "FR\n"})
    assert creator.status_code == 422 and "country" in creator.json["errors"]["json"]
    assert api.get("/v1/creators?country=FR%0A").status_code == 422
    assert api.get("/v1/discovery/creators?audience=country:FR:0.3%0A").status_code == 422
