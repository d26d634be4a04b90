"""Centrality against networkx reference results on its built-in graphs."""
from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from influencers.graph import (
    approximate_betweenness,
    centrality_component,
    communities,
    compute_centrality,
    core_numbers,
    pagerank,
    pagerank_from_edges,
    pagerank_sparse,
    weighted_in_degree,
)


def reference_pagerank(G, **kw):
    return nx.pagerank(G, tol=1e-15, max_iter=100_000, **kw)


def random_directed_with_dangling(seed: int = 7) -> nx.DiGraph:
    rng = np.random.default_rng(seed)
    G = nx.gnp_random_graph(80, 0.06, seed=seed, directed=True)
    for u, v in G.edges:
        G.edges[u, v]["weight"] = float(rng.integers(1, 6))
    sinks = [n for n in G if n % 9 == 0]
    G.remove_edges_from([(u, v) for u in sinks for v in list(G.successors(u))])
    G.add_nodes_from([200, 201])  # isolated: dangling and unreachable
    assert sum(1 for n in G if G.out_degree(n) == 0) >= len(sinks)
    return G


GRAPHS = {
    "karate": nx.karate_club_graph,            # undirected, weighted
    "les_miserables": nx.les_miserables_graph,  # undirected, weighted
    "random_dangling": random_directed_with_dangling,
}


@pytest.mark.parametrize("name", sorted(GRAPHS))
@pytest.mark.parametrize("weight", ["weight", None])
def test_pagerank_matches_networkx(name, weight):
    G = GRAPHS[name]()
    ours = pagerank(G, weight=weight, tol=1e-13)
    ref = reference_pagerank(G, weight=weight)
    assert set(ours) == set(ref)
    assert max(abs(ours[n] - ref[n]) for n in G) < 1e-8
    assert sum(ours.values()) == pytest.approx(1.0, abs=1e-9)


def test_pagerank_alpha_and_from_edges():
    G = random_directed_with_dangling(3)
    ref = reference_pagerank(G, alpha=0.7)
    nodes = sorted(G)
    index = {n: i for i, n in enumerate(nodes)}
    src = [index[u] for u, v in G.edges]
    tgt = [index[v] for u, v in G.edges]
    w = [G.edges[e]["weight"] for e in G.edges]
    # a duplicated edge list with halved weights is the same graph
    x = pagerank_from_edges(src + src, tgt + tgt, [v / 2 for v in w] * 2, n_nodes=len(nodes),
                            alpha=0.7, tol=1e-13)
    assert max(abs(x[index[n]] - ref[n]) for n in G) < 1e-8


def test_pagerank_edge_cases():
    assert pagerank(nx.DiGraph()) == {}
    single = pagerank(nx.DiGraph([(1, 1)]))
    assert single == {1: pytest.approx(1.0)}
    with pytest.raises(nx.PowerIterationFailedConvergence):
        pagerank(nx.karate_club_graph(), max_iter=2)
    with pytest.raises(ValueError):
        pagerank_sparse(np.array([[0, -1.0], [1, 0]]))


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_in_degree_and_core_match_networkx(name):
    G = GRAPHS[name]()
    ours = weighted_in_degree(G)
    ref = dict(G.in_degree(weight="weight")) if G.is_directed() else dict(G.degree(weight="weight"))
    assert max(abs(ours[n] - ref[n]) for n in G) < 1e-8
    simple = nx.Graph(G)
    simple.remove_edges_from(list(nx.selfloop_edges(simple)))
    assert core_numbers(G) == nx.core_number(simple)


def test_betweenness_exact_and_sampled():
    G = nx.les_miserables_graph()
    assert approximate_betweenness(G, k=None) == pytest.approx(nx.betweenness_centrality(G))
    a = approximate_betweenness(G, k=20, seed=3)
    b = approximate_betweenness(G, k=20, seed=3)
    assert a == b
    top_exact = max(nx.betweenness_centrality(G).items(), key=lambda kv: kv[1])[0]
    assert top_exact in sorted(a, key=a.get, reverse=True)[:5]


def test_communities_deterministic_with_seed():
    G = nx.les_miserables_graph()
    a = communities(G, seed=11)
    b = communities(G, seed=11)
    assert a == b
    assert sorted(n for c in a for n in c) == sorted(G)
    assert [len(c) for c in a] == sorted((len(c) for c in a), reverse=True)
    D = random_directed_with_dangling()
    assert communities(D, seed=1) == communities(D, seed=1)


def test_centrality_component_is_percentile_of_pagerank():
    G = nx.karate_club_graph()
    pr = pagerank(G)
    comp = centrality_component(pr)
    assert min(comp.values()) == 0.0 and max(comp.values()) == 1.0
    order = sorted(G, key=pr.get)
    assert [comp[n] for n in order] == sorted(comp[n] for n in order)
    assert centrality_component({"a": 0.5, "b": 0.5}) == {"a": 0.5, "b": 0.5}
    assert centrality_component({"solo": 1.0}) == {"solo": 0.5}
    # float noise does not split ties
    assert centrality_component({"a": 0.1, "b": 0.1 + 1e-17, "c": 0.3}) == {"a": 0.25, "b": 0.25, "c": 1.0}


def test_compute_centrality_report():
    G = random_directed_with_dangling()
    rep = compute_centrality(G, betweenness_k=30, seed=2)
    data = rep.to_dict()
    assert len(data["creators"]) == G.number_of_nodes()
    row = data["creators"][0]
    assert set(row) == {"creator_id", "pagerank", "in_degree", "core", "betweenness", "community", "centrality"}
    assert all(0.0 <= r["centrality"] <= 1.0 for r in data["creators"])
    assert sum(c["size"] for c in data["communities"]) == G.number_of_nodes()


@pytest.mark.parametrize("name", sorted(GRAPHS))
@pytest.mark.parametrize("weight", ["weight", None])
def test_adjacency_matrix_matches_networkx(name, weight):
    from influencers.graph.centrality import adjacency_matrix

    G = GRAPHS[name]()
    G.add_edge(next(iter(G)), next(iter(G)), weight=2.5)  # a self-loop
    first = next(iter(G.edges))
    G.edges[first].pop("weight", None)  # a missing weight counts 1
    nodes = list(G)[::-1]
    ref = nx.to_scipy_sparse_array(G, nodelist=nodes, weight=weight, dtype=float)
    ours = adjacency_matrix(G, nodes, weight)
    assert abs(ours - ref).max() == 0
    sub = nodes[:10]
    assert abs(adjacency_matrix(G, sub, weight) - nx.to_scipy_sparse_array(G, nodelist=sub, weight=weight)).max() == 0
    M = nx.MultiDiGraph([(1, 2), (1, 2), (2, 3)])
    assert adjacency_matrix(M).toarray()[0, 1] == 2
