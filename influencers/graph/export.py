"""JSON-able views of the creator graph (ego graph, communities) and GraphML / GEXF bytes."""
from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Mapping, Sequence

import networkx as nx
import numpy as np

from influencers.graph.build import EDGE_KINDS, kind_attr
from influencers.graph.centrality import node_sort_key


def _plain(value):
    """numpy scalars to Python; non-finite floats to None (JSON has no NaN)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _edge_json(G: nx.Graph, u, v) -> dict:
    d = G.edges[u, v]
    weights = {k: float(d[kind_attr(k)]) for k in EDGE_KINDS if kind_attr(k) in d}
    return {"source": u, "target": v, "weight": float(d.get("weight", 1.0)),
            "kinds": list(weights), "weights": weights}


def ego_graph(G: nx.Graph, center, *, radius: int = 1, max_nodes: int | None = 500,
              node_values: Mapping[str, Mapping] | None = None) -> dict:
    """The neighbourhood of ``center`` (edges in either direction) as ``{"nodes", "edges"}``.

    Nodes carry their distance (hops, ignoring direction), their attributes and
    any ``node_values`` (e.g. ``{"pagerank": pr}``); edges their total weight,
    kinds and per-kind weights. With ``max_nodes``, the nearest nodes are kept,
    ties broken by total edge weight to the kept graph (heaviest first).
    """
    if radius not in (1, 2):
        raise ValueError("radius must be 1 or 2")
    if center not in G:
        raise KeyError(f"unknown creator {center!r}")
    U = G.to_undirected(as_view=True) if G.is_directed() else G
    dist = nx.single_source_shortest_path_length(U, center, cutoff=radius)
    strength = dict(U.degree(dist, weight="weight"))
    order = sorted(dist, key=lambda n: (dist[n], -strength[n], node_sort_key(n)))
    truncated = max_nodes is not None and len(order) > max_nodes
    if truncated:
        order = order[:max_nodes]
    keep = set(order)
    nodes = []
    for n in order:
        item = {"id": n, "distance": dist[n]}
        item.update({k: _plain(v) for k, v in G.nodes[n].items()})
        for name, values in (node_values or {}).items():
            if n in values:
                item[name] = _plain(values[n])
        nodes.append(item)
    edges = [_edge_json(G, u, v) for u, v in G.subgraph(keep).edges()]
    edges.sort(key=lambda e: (node_sort_key(e["source"]), node_sort_key(e["target"])))
    return {"center": center, "radius": radius, "truncated": truncated, "nodes": nodes, "edges": edges}


def communities_summary(groups: Sequence[Sequence], pagerank: Mapping, *, top: int = 5) -> list[dict]:
    """Each community with its size and its ``top`` creators by PageRank."""
    out = []
    for i, members in enumerate(groups):
        best = sorted(members, key=lambda n: (-pagerank.get(n, 0.0), node_sort_key(n)))[:top]
        out.append({"id": i, "size": len(members),
                    "top_creators": [{"creator_id": n, "pagerank": float(pagerank.get(n, 0.0))} for n in best]})
    return out


# Characters XML 1.0 does not allow (C0 controls but tab/LF/CR, surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _safe_value(value):
    """A GraphML/GEXF-safe attribute value, or None to drop it."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str):
        # Text stored before the handle rule, or free text, must not make the file unparsable.
        return _NOT_XML.sub("\ufffd", value)
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
        return _NOT_XML.sub("\ufffd", ",".join(str(_plain(x)) for x in items))
    if isinstance(value, Mapping):
        return json.dumps(value, sort_keys=True, default=str)  # ASCII: \u escapes
    return _NOT_XML.sub("\ufffd", str(value))


def _safe_attrs(attrs: Mapping) -> dict:
    out = {}
    for k, v in attrs.items():
        sv = _safe_value(v)
        if sv is not None:
            out[str(k)] = sv
    return out


def export_safe(G: nx.Graph) -> nx.Graph:
    """A copy whose graph, node and edge attributes are only bool/int/float/str (None dropped,
    lists comma-joined, dicts as JSON), and whose attribute types agree across nodes/edges."""
    H = G.__class__()
    H.graph.update(_safe_attrs(G.graph))
    H.add_nodes_from((n, _safe_attrs(d)) for n, d in G.nodes(data=True))
    H.add_edges_from((u, v, _safe_attrs(d)) for u, v, d in G.edges(data=True))
    # GraphML declares one type per key: promote int+float mixes to float, anything else to str.
    for items in (list(H.nodes(data=True)), [(None, d) for *_, d in H.edges(data=True)]):
        types: dict[str, set] = {}
        for *_, d in items:
            for k, v in d.items():
                types.setdefault(k, set()).add(type(v))
        for k, ts in types.items():
            if len(ts) <= 1:
                continue
            cast = float if ts <= {int, float} else str
            for *_, d in items:
                if k in d:
                    d[k] = cast(d[k])
    return H


def to_graphml_bytes(G: nx.Graph) -> bytes:
    buf = io.BytesIO()
    nx.write_graphml(export_safe(G), buf)
    return buf.getvalue()


def to_gexf_bytes(G: nx.Graph) -> bytes:
    buf = io.BytesIO()
    nx.write_gexf(export_safe(G), buf)
    return buf.getvalue()
