"""Graph construction, co-membership, ego graphs, community summaries and file exports."""
from __future__ import annotations

import io
import json

import networkx as nx
import numpy as np
import pytest

from influencers.creators.models import EDGE_KINDS as MODEL_EDGE_KINDS
from influencers.graph import (
    EDGE_KINDS,
    build_comembership_graph,
    build_creator_graph,
    communities,
    communities_summary,
    edge_kinds,
    ego_graph,
    kind_subgraph,
    pagerank,
    to_gexf_bytes,
    to_graphml_bytes,
)
from influencers.overlap import incidence_from_samples


def sample_graph() -> nx.DiGraph:
    src = [1, 1, 2, 2, 3, 4, 5, 5, 1]
    tgt = [2, 2, 1, 3, 1, 1, 4, 5, 3]
    kinds = ["mentions", "comments", "comments", "follows", "collaborates", "follows", "comments",
             "mentions", "follows"]
    weights = [3, 1, 2, 1, 1, 1, 4, 9, 1]
    attrs = {1: {"handle": "alice", "categories": ["food", "travel"], "country": None, "followers": 1200},
             2: {"handle": "bob", "followers": 10.5}}
    return build_creator_graph(src, tgt, kinds, weights, nodes=[6], node_attrs=attrs)


def test_edge_kinds_match_models():
    assert EDGE_KINDS == MODEL_EDGE_KINDS


def test_build_creator_graph_aggregates_kinds():
    G = sample_graph()
    assert set(G.nodes) == {1, 2, 3, 4, 5, 6}
    assert not G.has_edge(5, 5)  # self-loop dropped
    assert G.edges[1, 2]["weight"] == 4.0
    assert edge_kinds(G, 1, 2) == {"mentions": 3.0, "comments": 1.0}
    assert G.edges[1, 2]["kinds"] == "mentions,comments"
    C = kind_subgraph(G, "comments")
    assert sorted(C.edges(data="weight")) == [(1, 2, 1.0), (2, 1, 2.0), (5, 4, 4.0)]
    weighted = build_creator_graph([1, 1], [2, 2], ["follows", "comments"], [1, 1],
                                   kind_weights={"comments": 3})
    assert weighted.edges[1, 2]["weight"] == 4.0
    with pytest.raises(ValueError):
        build_creator_graph([1], [2], ["likes"])
    with pytest.raises(ValueError):
        build_creator_graph([1], [2], ["follows"], [-1])


def test_comembership_graph_against_sets():
    samples = {"a": {"1", "2", "3", "4"}, "b": {"3", "4", "5"}, "c": {"9"}, "d": {"1", "5"}}
    inc = incidence_from_samples({k: sorted(v) for k, v in samples.items()})
    G = build_comembership_graph(inc, weight="jaccard")
    assert set(G.nodes) == set(samples)
    expected = {}
    for x in samples:
        for y in samples:
            if x < y and samples[x] & samples[y]:
                expected[(x, y)] = len(samples[x] & samples[y]) / len(samples[x] | samples[y])
    assert {tuple(sorted(e)): d["weight"] for *e, d in G.edges(data=True)} == pytest.approx(expected)
    assert G.edges["a", "b"]["shared"] == 2
    H = build_comembership_graph(inc.matrix, list(samples), weight="shared", threshold=2)
    assert sorted(tuple(sorted(e)) for e in H.edges) == [("a", "b")]
    J = build_comembership_graph(inc, weight="jaccard", threshold=0.3)
    assert sorted(tuple(sorted(e)) for e in J.edges) == [("a", "b")]


def test_ego_graph_radius_and_json():
    G = sample_graph()
    pr = pagerank(G)
    ego1 = ego_graph(G, 4, radius=1, node_values={"pagerank": pr})
    assert {n["id"] for n in ego1["nodes"]} == {4, 1, 5}
    assert ego1["nodes"][0] == {"id": 4, "distance": 0, "pagerank": pytest.approx(pr[4])}
    edge = next(e for e in ego1["edges"] if (e["source"], e["target"]) == (5, 4))
    assert edge["kinds"] == ["comments"] and edge["weights"] == {"comments": 4.0}
    ego2 = ego_graph(G, 4, radius=2)
    assert {n["id"] for n in ego2["nodes"]} == {4, 1, 5, 2, 3}
    assert {(e["source"], e["target"]) for e in ego2["edges"]} == set(G.subgraph({1, 2, 3, 4, 5}).edges)
    json.dumps(ego2, allow_nan=False)
    small = ego_graph(G, 1, radius=2, max_nodes=2)
    assert small["truncated"] and len(small["nodes"]) == 2 and small["nodes"][0]["id"] == 1
    with pytest.raises(KeyError):
        ego_graph(G, 99)


def test_communities_summary_top_by_pagerank():
    G = nx.karate_club_graph()
    pr = pagerank(G)
    groups = communities(G, seed=1)
    summary = communities_summary(groups, pr, top=3)
    assert [s["size"] for s in summary] == [len(g) for g in groups]
    for s, g in zip(summary, groups):
        ranks = [t["pagerank"] for t in s["top_creators"]]
        assert ranks == sorted(ranks, reverse=True)
        assert ranks[0] == pytest.approx(max(pr[n] for n in g))
    json.dumps(summary)


def test_graphml_and_gexf_round_trip():
    G = sample_graph()
    G.nodes[3]["score"] = np.float64(0.5)
    G.nodes[4]["meta"] = {"a": 1}
    G.graph["platform"] = "instagram"
    back = nx.read_graphml(io.BytesIO(to_graphml_bytes(G)))
    assert back.number_of_nodes() == G.number_of_nodes()
    assert back.number_of_edges() == G.number_of_edges()
    assert back.nodes["1"]["handle"] == "alice"
    assert back.nodes["1"]["categories"] == "food,travel"
    assert "country" not in back.nodes["1"]
    assert back.nodes["1"]["followers"] == 1200.0  # int + float mix promoted to float
    assert back.edges["1", "2"]["kinds"] == "mentions,comments"
    assert back.edges["1", "2"]["weight"] == 4.0
    assert json.loads(back.nodes["4"]["meta"]) == {"a": 1}
    gexf = nx.read_gexf(io.BytesIO(to_gexf_bytes(G)))
    assert gexf.number_of_nodes() == G.number_of_nodes()
    assert gexf.number_of_edges() == G.number_of_edges()
    assert gexf.edges["5", "4"]["weight"] == 4.0
    assert gexf.nodes["2"]["handle"] == "bob"
    # the original graph is untouched
    assert G.nodes[1]["categories"] == ["food", "travel"]
