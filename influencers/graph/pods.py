"""Engagement-pod evidence: dense clusters of creators who comment on each other.

A pod is a group that agrees to comment on every member's posts, which shows
in the ``comments`` subgraph as a cluster that is both dense (most ordered
pairs have an edge) and reciprocal (most edges go both ways). Organic
commenting looks different: a popular creator collects comments it does not
return (a star, reciprocity and density low).

Clusters come from one of:

* ``"reciprocal"`` (default): Louvain communities (seeded) of the graph of
  *mutual* comment ties, the natural candidates for pods; a creator with no
  returned comment is in no cluster;
* ``"louvain"``: Louvain communities of all comment ties, undirected;
* ``"scc"``: strongly connected components of the comments graph.

Each cluster is then measured on the directed comments subgraph it induces:
``reciprocity`` is the share of its edges whose reverse edge also exists,
``density`` = edges / (n (n - 1)), and per member the share of its in-cluster
edges (in and out) that are reciprocated.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import networkx as nx

from influencers.graph.build import kind_subgraph
from influencers.graph.centrality import node_sort_key

METHODS = ("reciprocal", "louvain", "scc")


@dataclass(frozen=True)
class CommentCluster:
    id: int
    members: list
    size: int
    edges: int
    reciprocated_edges: int
    reciprocity: float
    density: float
    member_reciprocity: dict

    def to_dict(self) -> dict:
        d = asdict(self)
        d["member_reciprocity"] = [{"creator_id": n, "reciprocity": r}
                                   for n, r in self.member_reciprocity.items()]
        return d


def _measure(C: nx.DiGraph, members: list, cid: int) -> CommentCluster:
    inside = set(members)
    edges = reciprocated = 0
    touched = {n: 0 for n in members}
    mutual = {n: 0 for n in members}
    for u in members:
        for v in C.successors(u):
            if v not in inside or v == u:
                continue
            edges += 1
            back = C.has_edge(v, u)
            reciprocated += back
            touched[u] += 1
            touched[v] += 1
            mutual[u] += back
            mutual[v] += back
    n = len(members)
    return CommentCluster(
        id=cid, members=members, size=n, edges=edges, reciprocated_edges=reciprocated,
        reciprocity=reciprocated / edges if edges else 0.0,
        density=edges / (n * (n - 1)) if n > 1 else 0.0,
        member_reciprocity={m: (mutual[m] / touched[m] if touched[m] else 0.0) for m in members},
    )


def comments_graph(G: nx.DiGraph) -> nx.DiGraph:
    """The ``comments`` edges of a relation graph (a graph without kinds is taken as comments)."""
    return kind_subgraph(G, "comments")


def comment_clusters(G: nx.DiGraph, *, method: str = "reciprocal", seed: int = 0,
                     resolution: float = 1.0, min_size: int = 2) -> list[CommentCluster]:
    """Clusters of the comments subgraph with size, reciprocity, density and members.

    Sorted by size (largest first), then by smallest member; ids follow that order.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}")
    C = comments_graph(G)
    if method == "scc":
        groups = list(nx.strongly_connected_components(C))
    else:
        H = nx.Graph()
        for u, v, d in C.edges(data=True):
            if u == v:
                continue
            if method == "reciprocal" and not C.has_edge(v, u):
                continue
            w = float(d.get("weight", 1.0))
            if H.has_edge(u, v):
                if method == "louvain":
                    H.edges[u, v]["weight"] += w
                continue
            H.add_edge(u, v, weight=w + (float(C.edges[v, u].get("weight", 1.0)) if method == "reciprocal" else 0.0))
        groups = nx.community.louvain_communities(H, weight="weight", resolution=resolution, seed=seed) if H else []
    groups = [sorted(g, key=node_sort_key) for g in groups if len(g) >= max(min_size, 1)]
    groups.sort(key=lambda g: (-len(g), node_sort_key(g[0])))
    return [_measure(C, g, i) for i, g in enumerate(groups)]


def pod_clusters(G: nx.DiGraph, *, min_size: int = 3, min_reciprocity: float = 0.6,
                 min_density: float = 0.5, method: str = "reciprocal", seed: int = 0,
                 resolution: float = 1.0) -> list[CommentCluster]:
    """The comment clusters that pass the pod thresholds."""
    return [c for c in comment_clusters(G, method=method, seed=seed, resolution=resolution,
                                        min_size=min_size)
            if c.reciprocity >= min_reciprocity and c.density >= min_density]


def pod_evidence(G: nx.DiGraph, *, min_size: int = 3, min_reciprocity: float = 0.6,
                 min_density: float = 0.5, min_member_reciprocity: float = 0.0,
                 method: str = "reciprocal", seed: int = 0, resolution: float = 1.0) -> dict:
    """Per creator in a passing cluster: ``{community, size, reciprocity, density, member_reciprocity}``.

    ``min_member_reciprocity`` drops hangers-on whose own in-cluster comments
    are mostly unreturned. Creators with no evidence are absent.
    """
    out = {}
    for c in pod_clusters(G, min_size=min_size, min_reciprocity=min_reciprocity,
                          min_density=min_density, method=method, seed=seed, resolution=resolution):
        for m in c.members:
            if c.member_reciprocity[m] < min_member_reciprocity:
                continue
            out[m] = {"community": c.id, "size": c.size, "reciprocity": c.reciprocity,
                      "density": c.density, "member_reciprocity": c.member_reciprocity[m]}
    return out
