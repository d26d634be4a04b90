"""Building creator graphs from arrays: the relation graph and the audience co-membership graph.

The relation graph is a :class:`networkx.DiGraph` per workspace and platform.
``creator_edges`` may hold several kinds for the same ordered pair, and a
DiGraph holds one edge per pair, so each edge carries

* ``weight``: the sum over kinds of ``kind_weights[kind] x weight`` (all kind
  weights 1 by default), the weight centrality uses;
* ``w_follows``, ``w_mentions``, ``w_collaborates``, ``w_comments``: the weight
  of each kind present (absent kinds have no attribute);
* ``kinds``: the kinds present, comma-separated and sorted (a string, so the
  graph exports to GraphML/GEXF as is).

Duplicate (source, target, kind) rows are summed; self-loops are dropped (a
creator mentioning itself is not a relation, and k-cores forbid them).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import networkx as nx
import numpy as np
import scipy.sparse as sp

# Same values as influencers.creators.models.EDGE_KINDS (not imported: no ORM here).
EDGE_KINDS = ("follows", "mentions", "collaborates", "comments")


def kind_attr(kind: str) -> str:
    return f"w_{kind}"


def build_creator_graph(sources: Sequence, targets: Sequence, kinds: Sequence[str], weights=None, *,
                        nodes: Iterable | None = None, node_attrs: Mapping | None = None,
                        kind_weights: Mapping[str, float] | None = None) -> nx.DiGraph:
    """A DiGraph of creator relations from parallel edge arrays.

    ``sources``/``targets`` are creator ids, ``kinds`` one of :data:`EDGE_KINDS`
    per edge, ``weights`` default 1. ``nodes`` adds creators without edges
    (they matter for PageRank's N and percentiles); ``node_attrs`` maps a
    creator id to a dict of attributes (e.g. handle, followers).
    """
    src = np.asarray(sources)
    tgt = np.asarray(targets)
    kind = np.asarray(kinds, dtype=object)
    if not (src.shape == tgt.shape == kind.shape):
        raise ValueError("sources, targets and kinds must have the same length")
    w = np.ones(src.shape, dtype=float) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != src.shape:
        raise ValueError("weights must have one value per edge")
    if np.any(~np.isfinite(w)) or np.any(w < 0):
        raise ValueError("edge weights must be finite and >= 0")
    unknown = set(kind.tolist()) - set(EDGE_KINDS)
    if unknown:
        raise ValueError(f"unknown edge kinds {sorted(unknown)}; expected {EDGE_KINDS}")
    kw = {k: 1.0 for k in EDGE_KINDS}
    if kind_weights:
        extra = set(kind_weights) - set(EDGE_KINDS)
        if extra:
            raise ValueError(f"unknown edge kinds in kind_weights: {sorted(extra)}")
        kw.update({k: float(v) for k, v in kind_weights.items()})

    G = nx.DiGraph()
    if nodes is not None:
        G.add_nodes_from(nodes)
    edges: dict[tuple, dict] = {}
    for u, v, k, x in zip(src.tolist(), tgt.tolist(), kind.tolist(), w.tolist()):
        if u == v:
            continue
        attrs = edges.get((u, v))
        if attrs is None:
            attrs = edges[(u, v)] = {"weight": 0.0}
        name = kind_attr(k)
        attrs[name] = attrs.get(name, 0.0) + x
        attrs["weight"] += kw[k] * x
    for attrs in edges.values():
        attrs["kinds"] = ",".join(k for k in EDGE_KINDS if kind_attr(k) in attrs)
    G.add_edges_from((u, v, attrs) for (u, v), attrs in edges.items())
    if node_attrs:
        for n, attrs in node_attrs.items():
            if n in G:
                G.nodes[n].update(attrs)
            else:
                G.add_node(n, **attrs)
    return G


def edge_kinds(G: nx.DiGraph, u, v) -> dict[str, float]:
    """``{kind: weight}`` of the edge ``u -> v``."""
    data = G.edges[u, v]
    return {k: float(data[kind_attr(k)]) for k in EDGE_KINDS if kind_attr(k) in data}


def kind_subgraph(G: nx.DiGraph, kind: str, *, keep_nodes: bool = False) -> nx.DiGraph:
    """The edges of one kind, with ``weight`` = that kind's weight.

    Graphs without per-kind attributes (built elsewhere) are taken as already
    being of that kind. ``keep_nodes`` keeps creators without such edges.
    """
    if kind not in EDGE_KINDS:
        raise ValueError(f"unknown edge kind {kind!r}")
    name = kind_attr(kind)
    H = nx.DiGraph()
    if keep_nodes:
        H.add_nodes_from(G.nodes(data=True))
    tagged = any("kinds" in d for _, _, d in G.edges(data=True))
    for u, v, d in G.edges(data=True):
        if name in d:
            H.add_edge(u, v, weight=float(d[name]))
        elif not tagged:
            H.add_edge(u, v, weight=float(d.get("weight", 1.0)))
    if not keep_nodes:
        for n in H.nodes:
            H.nodes[n].update(G.nodes[n])
    return H


def undirected_weighted(G: nx.DiGraph, weight: str = "weight") -> nx.Graph:
    """Undirected view for communities and cores: ``w(u, v) = w(u -> v) + w(v -> u)``."""
    if not G.is_directed():
        return G
    H = nx.Graph()
    H.add_nodes_from(G.nodes(data=True))
    for u, v, d in G.edges(data=True):
        if u == v:
            continue
        x = float(d.get(weight, 1.0))
        if H.has_edge(u, v):
            H.edges[u, v]["weight"] += x
        else:
            H.add_edge(u, v, weight=x)
    return H


def build_comembership_graph(matrix: sp.csr_array, creator_ids: Sequence | None = None, *,
                             weight: str = "jaccard", threshold: float = 0.0,
                             min_shared: int = 1) -> nx.Graph:
    """Creators linked by shared audience members, from the K x M incidence matrix.

    Each edge has ``shared`` (sampled members in both), ``jaccard`` and
    ``weight`` (= ``shared`` or ``jaccard`` per ``weight``). Pairs with fewer
    than ``min_shared`` shared members or a weight below ``threshold`` are left
    out. Every creator is a node. Uses one sparse product ``A @ A.T``.
    """
    if weight not in ("shared", "jaccard"):
        raise ValueError("weight must be 'shared' or 'jaccard'")
    if hasattr(matrix, "matrix") and hasattr(matrix, "creator_ids"):  # an Incidence
        creator_ids = matrix.creator_ids if creator_ids is None else creator_ids
        matrix = matrix.matrix
    a = sp.csr_array(matrix).astype(np.int64)
    k = a.shape[0]
    ids = list(creator_ids) if creator_ids is not None else list(range(k))
    if len(ids) != k:
        raise ValueError("creator_ids must label every row")
    size = np.diff(a.indptr).astype(float)
    co = sp.triu(sp.csr_array(a @ a.T), k=1).tocoo()
    rows, cols, shared = co.row, co.col, co.data.astype(float)
    union = size[rows] + size[cols] - shared
    jac = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
    w = shared if weight == "shared" else jac
    keep = (shared >= max(min_shared, 1)) & (w >= threshold)
    G = nx.Graph()
    G.add_nodes_from(ids)
    G.add_edges_from(
        (ids[i], ids[j], {"shared": int(s), "jaccard": float(jv), "weight": float(wv)})
        for i, j, s, jv, wv in zip(rows[keep].tolist(), cols[keep].tolist(), shared[keep].tolist(),
                                   jac[keep].tolist(), w[keep].tolist())
    )
    return G
