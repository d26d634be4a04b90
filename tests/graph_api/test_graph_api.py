"""The creator graph over HTTP: neighbourhoods, communities, exports, and centrality + pods in scoring.

Hand-made instagram graph: p1..p5 all comment on each other (a pod, no posts), p1 also
mentions p2 (twice), p5 follows p6, p6 collaborates with p7; q has no edge; t is on tiktok.
"""
import io
import json

import networkx as nx
import pytest

from tests.fixtures.scoring import run_scoring

POD = ["p1", "p2", "p3", "p4", "p5"]


def graph_records():
    lines = [{"type": "creator", "platform": "instagram", "handle": h, "followers": 1000 * (i + 1),
              "following": 100, "posts_count": 10} for i, h in enumerate([*POD, "p6", "p7", "q"])]
    lines.append({"type": "creator", "platform": "tiktok", "handle": "t", "followers": 5, "following": 1,
                  "posts_count": 1})
    edge = lambda s, t, kind, w=1: {"type": "edge", "platform": "instagram", "source": s, "target": t,  # noqa: E731
                                    "kind": kind, "weight": w}
    lines += [edge(a, b, "comments", 10) for a in POD for b in POD if a != b]
    lines += [edge("p1", "p2", "mentions", 2), edge("p5", "p6", "follows"), edge("p6", "p7", "collaborates", 3)]
    return lines


@pytest.fixture
def graph(api):
    body = "\n".join(json.dumps(r) for r in graph_records()).encode()
    response = api.post("/v1/imports", data=body, content_type="application/x-ndjson")
    assert response.status_code == 200 and response.json["rejected_count"] == 0, response.json
    return {c["handle"]: c["id"] for c in api.get("/v1/creators?page_size=100").json}


def test_neighbourhood(api, graph):
    response = api.get(f"/v1/creators/{graph['p6']}/neighbourhood")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["center"] == graph["p6"] and body["radius"] == 1 and body["platform"] == "instagram"
    assert {n["handle"]: n["distance"] for n in body["nodes"]} == {"p6": 0, "p5": 1, "p7": 1}
    collab = next(e for e in body["edges"] if e["source"] == graph["p6"])
    assert collab == {"source": graph["p6"], "target": graph["p7"], "weight": 3.0, "kinds": ["collaborates"],
                      "weights": {"collaborates": 3.0}}

    two = api.get(f"/v1/creators/{graph['p6']}/neighbourhood?radius=2").json
    assert {n["handle"] for n in two["nodes"]} == {*POD, "p6", "p7"}
    p1p2 = next(e for e in two["edges"] if (e["source"], e["target"]) == (graph["p1"], graph["p2"]))
    assert p1p2["kinds"] == ["mentions", "comments"] and p1p2["weight"] == 12.0
    assert p1p2["weights"] == {"mentions": 2.0, "comments": 10.0}

    only = api.get(f"/v1/creators/{graph['p6']}/neighbourhood?kinds=collaborates").json
    assert {n["handle"] for n in only["nodes"]} == {"p6", "p7"}
    lonely = api.get(f"/v1/creators/{graph['q']}/neighbourhood").json
    assert lonely["nodes"] == [{"id": graph["q"], "distance": 0, "handle": "q", "followers": 8000,
                                "platform": "instagram", "pagerank": pytest.approx(lonely["nodes"][0]["pagerank"])}]
    assert lonely["edges"] == []

    # Each node carries its PageRank in the whole platform graph: the same values the
    # communities endpoint ranks by, whatever the radius.
    pagerank = {n["id"]: n["pagerank"] for n in two["nodes"]}
    assert {n["id"]: n["pagerank"] for n in body["nodes"]} == {i: pagerank[i] for i in (graph["p5"], graph["p6"],
                                                                                      graph["p7"])}
    ranked = {c["creator_id"]: c["pagerank"] for community in api.get(
        "/v1/graph/communities?platform=instagram&top=10").json["communities"] for c in community["top_creators"]}
    assert pagerank == pytest.approx({i: ranked[i] for i in pagerank})
    assert sum(pagerank.values()) == pytest.approx(1.0)
    assert pagerank[graph["p7"]] > pagerank[graph["p6"]]  # p6's only out-edge feeds p7
    assert api.get(f"/v1/creators/{graph['p6']}/neighbourhood?radius=3").status_code == 422
    assert api.get(f"/v1/creators/{graph['p6']}/neighbourhood?kinds=likes").status_code == 422


def test_communities(api, graph):
    response = api.get("/v1/graph/communities?platform=instagram")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["creators"] == 7 and body["edges"] == 20 + 2  # p1->p2 mentions merges into the comments edge
    sizes = [c["size"] for c in body["communities"]]
    assert sizes == sorted(sizes, reverse=True) and sum(sizes) == 7
    pod = body["communities"][0]
    assert {c["handle"] for c in pod["top_creators"]} <= set(POD)
    ranks = [c["pagerank"] for c in pod["top_creators"]]
    assert ranks == sorted(ranks, reverse=True)
    assert api.get("/v1/graph/communities?platform=tiktok").json["communities"] == []
    assert api.get("/v1/graph/communities").status_code == 422


@pytest.mark.parametrize("fmt,content_type,reader", [
    ("graphml", "application/graphml+xml", nx.read_graphml),
    ("gexf", "application/gexf+xml", nx.read_gexf),
])
def test_export_parses_back(api, graph, fmt, content_type, reader):
    response = api.get(f"/v1/graph/export?platform=instagram&format={fmt}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(content_type)
    assert f"creators-instagram.{fmt}" in response.headers["Content-Disposition"]
    G = reader(io.BytesIO(response.data))
    assert G.number_of_nodes() == 8  # every instagram creator, q included
    assert G.number_of_edges() == 22
    if fmt == "graphml":
        nodes = {d["handle"]: n for n, d in G.nodes(data=True)}
        data = G.edges[nodes["p1"], nodes["p2"]]
        assert data["w_mentions"] == 2.0 and data["w_comments"] == 10.0 and data["kinds"] == "mentions,comments"
        assert sum(d["pagerank"] for _, d in G.nodes(data=True)) == pytest.approx(1.0)
        assert G.nodes[nodes["p1"]]["followers"] == 1000


def test_export_rejects_unknown_format(api, graph):
    assert api.get("/v1/graph/export?platform=instagram&format=csv").status_code == 422


def test_scoring_run_fills_centrality_and_pod_evidence(api, graph):
    run_scoring(api)
    explanation = api.get(f"/v1/creators/{graph['p6']}/score").json["explanation"]
    assert "centrality" in [c["name"] for c in explanation["components"]]
    assert "centrality" not in [c["name"] for c in explanation["left_out_components"]]
    lonely = api.get(f"/v1/creators/{graph['q']}/score").json["explanation"]
    assert "centrality" in [c["name"] for c in lonely["left_out_components"]]
    scores = {h: api.get(f"/v1/creators/{graph[h]}/score").json for h in ("p1", "p6", "p7")}
    centrality = {h: next(c["value"] for c in s["explanation"]["components"] if c["name"] == "centrality")
                  for h, s in scores.items()}
    assert all(0 <= v <= 1 for v in centrality.values())
    # The pod members are flagged without posts (a dense clique) and carry the graph's cluster evidence.
    pod_flag = next(f for f in scores["p1"]["explanation"]["flags"] if f["name"] == "comment_pod")
    cluster = pod_flag["evidence"]["comment_cluster"]
    assert cluster["size"] == 5 and cluster["reciprocity"] == 1.0 and cluster["platform"] == "instagram"
    assert cluster["community"] == 0


def test_cli_graph_export(database, monkeypatch, api, graph):
    from click.testing import CliRunner

    from influencers.cli import main

    monkeypatch.setenv("INFLUENCERS_DATABASE_URL", database.url)
    monkeypatch.setenv("INFLUENCERS_PSEUDONYM_SECRET", "x" * 32)
    result = CliRunner().invoke(main, ["graph", "export", "--workspace", "brand-a", "--platform", "instagram",
                                       "--format", "graphml"])
    assert result.exit_code == 0, result.output
    G = nx.read_graphml(io.BytesIO(result.stdout_bytes))
    assert G.number_of_nodes() == 8
