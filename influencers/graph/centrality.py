"""Creator-graph centrality: PageRank, weighted in-degree, k-core, betweenness, communities.

networkx is the graph model. PageRank runs on the graph's scipy sparse form
(``nx.to_scipy_sparse_array``'s matrix, read faster by :func:`adjacency_matrix`)
with our own power iteration, which follows
``nx.pagerank``'s semantics exactly (out-weights normalised per node, dangling
nodes spread their rank uniformly, uniform teleport, weights summed) but

* stops on an absolute L1 change ``tol`` (networkx stops at ``N x tol``, so its
  default 1e-6 on a 100k-node graph is an L1 error of 0.1: useless for
  published rankings); the default here is 1e-10;
* can run straight from edge arrays (:func:`pagerank_from_edges`) for graphs
  too big to hold comfortably as networkx objects (1M edges).
"""
from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.stats import rankdata

from influencers.graph.build import undirected_weighted

DEFAULT_TOL = 1e-10


def node_sort_key(node) -> tuple:
    """Deterministic order for mixed node types (ints before strings, each in natural order)."""
    return (type(node).__name__, node)


def adjacency_matrix(G: nx.Graph, nodelist: Sequence | None = None,
                     weight: str | None = "weight") -> sp.csr_array:
    """``nx.to_scipy_sparse_array(G, nodelist, weight=weight)`` as float CSR, built faster.

    For simple graphs (Graph, DiGraph) over all their nodes the matrix is read
    straight from the adjacency dicts, row by row (an undirected edge appears in
    both rows, a self-loop once, missing weights count 1, exactly as networkx
    does); multigraphs and node subsets go through networkx.
    """
    nodes = list(G) if nodelist is None else list(nodelist)
    if G.is_multigraph() or len(nodes) != len(G) or len(set(nodes)) != len(nodes):
        return sp.csr_array(nx.to_scipy_sparse_array(G, nodelist=nodes, weight=weight, dtype=float,
                                                     format="csr"))
    n = len(nodes)
    index = {u: i for i, u in enumerate(nodes)}
    if len(index) != n or any(u not in G for u in nodes):
        raise nx.NetworkXError("nodelist must list each node of G once")
    adj = G._adj
    counts = np.fromiter((len(adj[u]) for u in nodes), dtype=np.int64, count=n)
    total = int(counts.sum())
    cols = np.fromiter((index[v] for u in nodes for v in adj[u]), dtype=np.int64, count=total)
    if weight is None:
        vals = np.ones(total)
    else:
        vals = np.fromiter((d.get(weight, 1) for u in nodes for d in adj[u].values()),
                           dtype=float, count=total)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    A = sp.csr_array((vals, cols, indptr), shape=(n, n))
    A.sort_indices()
    return A


def pagerank_sparse(adjacency, *, alpha: float = 0.85, tol: float = DEFAULT_TOL,
                    max_iter: int = 1000) -> np.ndarray:
    """PageRank of the weighted adjacency matrix ``A[i, j]`` = weight of ``i -> j``.

    Power iteration ``x <- alpha (P^T x + (dangling mass) / N) + (1 - alpha) / N``
    from the uniform vector, until ``||x - x_prev||_1 < tol``. Raises
    :class:`networkx.PowerIterationFailedConvergence` after ``max_iter``.
    """
    if not 0 <= alpha < 1:
        raise ValueError("alpha must be within [0, 1)")
    A = sp.csr_array(adjacency, dtype=float)
    n = A.shape[0]
    if A.shape != (n, n):
        raise ValueError("adjacency must be square")
    if n == 0:
        return np.zeros(0)
    if A.nnz and (A.data.min() < 0 or not np.all(np.isfinite(A.data))):
        raise ValueError("edge weights must be finite and >= 0")
    out = np.asarray(A.sum(axis=1)).ravel()
    inv = np.divide(1.0, out, out=np.zeros(n), where=out > 0)
    # M = (D^-1 A)^T as CSR, so one step is a CSR mat-vec over the in-edges.
    M = sp.csr_array((sp.dia_array((inv, 0), shape=(n, n)) @ A).T)
    M.sort_indices()
    dangling = np.flatnonzero(out == 0)
    x = np.full(n, 1.0 / n)
    teleport = (1.0 - alpha) / n
    for _ in range(max_iter):
        xlast = x
        x = M @ xlast
        x *= alpha
        x += alpha * xlast[dangling].sum() / n + teleport
        if np.abs(x - xlast).sum() < tol:
            return x
    raise nx.PowerIterationFailedConvergence(max_iter)


def pagerank_from_edges(sources, targets, weights=None, *, n_nodes: int | None = None,
                        alpha: float = 0.85, tol: float = DEFAULT_TOL, max_iter: int = 1000) -> np.ndarray:
    """PageRank from edge arrays over nodes ``0..n_nodes-1`` (duplicate edges are summed)."""
    src = np.asarray(sources, dtype=np.int64)
    tgt = np.asarray(targets, dtype=np.int64)
    if n_nodes is None:
        n_nodes = int(max(src.max(initial=-1), tgt.max(initial=-1))) + 1
    w = np.ones(src.size) if weights is None else np.asarray(weights, dtype=float)
    A = sp.csr_array((w, (src, tgt)), shape=(n_nodes, n_nodes))
    A.sum_duplicates()
    return pagerank_sparse(A, alpha=alpha, tol=tol, max_iter=max_iter)


def pagerank(G: nx.Graph, *, alpha: float = 0.85, weight: str | None = "weight",
             tol: float = DEFAULT_TOL, max_iter: int = 1000, nodelist: Sequence | None = None) -> dict:
    """``nx.pagerank`` semantics on the graph's sparse form; ``{node: rank}``."""
    nodes = list(G) if nodelist is None else list(nodelist)
    if not nodes:
        return {}
    x = pagerank_sparse(adjacency_matrix(G, nodes, weight), alpha=alpha, tol=tol, max_iter=max_iter)
    return dict(zip(nodes, map(float, x)))


def weighted_in_degree(G: nx.Graph, weight: str | None = "weight") -> dict:
    """Sum of incoming edge weights (degree for undirected graphs)."""
    nodes = list(G)
    if not nodes:
        return {}
    A = adjacency_matrix(G, nodes, weight)
    return dict(zip(nodes, map(float, np.asarray(A.sum(axis=0)).ravel())))


def core_numbers(G: nx.Graph) -> dict:
    """k-core number on the undirected simple graph (a reciprocal pair is one tie, self-loops ignored)."""
    H = nx.Graph(G)
    H.remove_edges_from(list(nx.selfloop_edges(H)))
    return {n: int(c) for n, c in nx.core_number(H).items()}


def approximate_betweenness(G: nx.Graph, *, k: int | None = 256, seed: int = 0,
                            normalized: bool = True) -> dict:
    """Betweenness from ``k`` seeded source samples (exact when ``k`` >= N or None).

    Edges are unweighted hops: edge weights here are strengths, not distances.
    """
    n = G.number_of_nodes()
    if n == 0:
        return {}
    kk = None if k is None or k >= n else int(k)
    bc = nx.betweenness_centrality(G, k=kk, normalized=normalized, weight=None, seed=seed)
    return {node: float(v) for node, v in bc.items()}


def communities(G: nx.Graph, *, seed: int = 0, resolution: float = 1.0,
                weight: str = "weight") -> list[list]:
    """Louvain communities of the undirected weighted graph (deterministic for a seed).

    Sorted by size (largest first), then by their smallest member; members sorted.
    """
    if G.number_of_nodes() == 0:
        return []
    H = undirected_weighted(G, weight=weight) if G.is_directed() else G
    found = nx.community.louvain_communities(H, weight=weight, resolution=resolution, seed=seed)
    groups = [sorted(c, key=node_sort_key) for c in found]
    groups.sort(key=lambda c: (-len(c), node_sort_key(c[0])))
    return groups


def community_index(groups: Sequence[Sequence]) -> dict:
    return {n: i for i, members in enumerate(groups) for n in members}


def centrality_component(values: Mapping[Hashable, float], *, decimals: int = 12) -> dict:
    """Per-creator value in [0, 1]: percentile rank of ``values`` (e.g. PageRank) in the graph.

    ``(average rank - 1) / (N - 1)``: the top creator gets 1, the bottom 0, ties
    share their average (values are rounded to ``decimals`` significant digits
    first, so float noise does not split ties). A lone creator gets 0.5.
    """
    nodes = list(values)
    if not nodes:
        return {}
    if len(nodes) == 1:
        return {nodes[0]: 0.5}
    v = np.array([values[n] for n in nodes], dtype=float)
    v = np.array([float(f"{x:.{decimals}g}") for x in v])
    r = rankdata(v, method="average")
    return dict(zip(nodes, map(float, (r - 1) / (len(nodes) - 1))))


@dataclass(frozen=True)
class CentralityReport:
    nodes: list
    pagerank: dict
    in_degree: dict
    core: dict
    betweenness: dict
    communities: list          # list of member lists, see :func:`communities`
    community: dict            # node -> index into communities
    component: dict            # node -> [0, 1], percentile of PageRank

    def to_dict(self) -> dict:
        return {
            "creators": [
                {"creator_id": n, "pagerank": self.pagerank[n], "in_degree": self.in_degree[n],
                 "core": self.core[n], "betweenness": self.betweenness.get(n),
                 "community": self.community.get(n), "centrality": self.component[n]}
                for n in self.nodes
            ],
            "communities": [{"id": i, "size": len(c), "members": list(c)}
                            for i, c in enumerate(self.communities)],
        }


def compute_centrality(G: nx.DiGraph, *, alpha: float = 0.85, tol: float = DEFAULT_TOL,
                       weight: str = "weight", betweenness_k: int | None = 256, seed: int = 0,
                       resolution: float = 1.0, with_betweenness: bool = True,
                       with_communities: bool = True) -> CentralityReport:
    """Every centrality measure for the creators of ``G`` in one report."""
    nodes = sorted(G.nodes, key=node_sort_key)
    pr = pagerank(G, alpha=alpha, weight=weight, tol=tol, nodelist=nodes)
    groups = communities(G, seed=seed, resolution=resolution, weight=weight) if with_communities else []
    return CentralityReport(
        nodes=nodes,
        pagerank=pr,
        in_degree=weighted_in_degree(G, weight=weight),
        core=core_numbers(G),
        betweenness=approximate_betweenness(G, k=betweenness_k, seed=seed) if with_betweenness else {},
        communities=groups,
        community=community_index(groups),
        component=centrality_component(pr),
    )
