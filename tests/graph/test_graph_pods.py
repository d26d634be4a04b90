"""Pod evidence: a hand-made reciprocal comment clique against a star."""
from __future__ import annotations

import itertools

import networkx as nx
import pytest

from influencers.graph import build_creator_graph, comment_clusters, pod_clusters, pod_evidence

CLIQUE = ["p1", "p2", "p3", "p4", "p5"]
HUB, SPOKES = "hub", ["s1", "s2", "s3", "s4", "s5", "s6"]


def graph() -> nx.DiGraph:
    src, tgt, kinds = [], [], []
    for u, v in itertools.permutations(CLIQUE, 2):  # everyone comments on everyone
        src.append(u), tgt.append(v), kinds.append("comments")
    for s in SPOKES:  # fans comment on the hub, which answers every one of them
        src.append(s), tgt.append(HUB), kinds.append("comments")
        src.append(HUB), tgt.append(s), kinds.append("comments")
    # one pod member comments on the hub too, and non-comment ties are ignored
    src += ["p1", "hub", "s3"]
    tgt += [HUB, "p2", "s4"]
    kinds += ["comments", "follows", "follows"]
    return build_creator_graph(src, tgt, kinds)


@pytest.mark.parametrize("method", ["reciprocal", "louvain", "scc"])
def test_clique_is_a_pod_and_star_is_not(method):
    G = graph()
    evidence = pod_evidence(G, method=method, seed=1, min_member_reciprocity=0.5)
    assert set(evidence) == set(CLIQUE)
    ev = evidence["p3"]
    assert ev["size"] == 5 and ev["reciprocity"] == pytest.approx(1.0) and ev["density"] == pytest.approx(1.0)
    assert len({e["community"] for e in evidence.values()}) == 1


def test_cluster_measures():
    G = graph()
    for method in ("louvain", "reciprocal", "scc"):
        clusters = comment_clusters(G, method=method, seed=1)
        assert [c.id for c in clusters] == list(range(len(clusters)))
        clique = next(c for c in clusters if "p1" in c.members)
        assert clique.size == 5 and clique.edges == 20 and clique.reciprocated_edges == 20
        assert clique.to_dict()["member_reciprocity"][0]["reciprocity"] == 1.0
        for c in clusters:
            if HUB in c.members and c.size > 3:  # the star: reciprocal but sparse
                assert c.density < 0.5
    star = next(c for c in comment_clusters(G, method="scc") if HUB in c.members)
    assert set(star.members) == {HUB, *SPOKES}
    assert star.reciprocity == pytest.approx(1.0)
    assert star.density == pytest.approx(12 / 42)


def test_reciprocal_path_passes_low_density_threshold_only():
    # a <-> b <-> c: reciprocal, density 4/6
    G = build_creator_graph(["a", "b", "b", "c"], ["b", "a", "c", "b"], ["comments"] * 4)
    assert set(pod_evidence(G, min_density=0.5)) == {"a", "b", "c"}
    assert pod_evidence(G, min_density=0.7) == {}
    assert pod_clusters(G) == comment_clusters(G)


def test_thresholds():
    G = graph()
    assert pod_evidence(G, min_size=6) == {}
    assert pod_evidence(G, min_reciprocity=1.01) == {}
    with pytest.raises(ValueError):
        comment_clusters(G, method="magic")
