"""The creator graph over the store: loading edges, neighbourhoods, communities, exports,
and the centrality + pod evidence scoring runs use.

Edges are read in one query per request (``creator_edges`` of one workspace,
optionally one platform and some kinds); the graph is built with
:func:`influencers.graph.build.build_creator_graph` (weights summed over kinds).
Scoring runs compute PageRank straight from the edge arrays
(:func:`influencers.graph.centrality.pagerank_from_edges`, tolerance 1e-10 in
L1), which is the same computation as on the networkx graph without building it.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from influencers.creators.models import Creator, CreatorEdge
from influencers.graph.build import EDGE_KINDS, build_creator_graph
from influencers.graph.centrality import (
    DEFAULT_TOL,
    centrality_component,
    communities,
    pagerank,
    pagerank_from_edges,
)
from influencers.graph.export import communities_summary, ego_graph, to_gexf_bytes, to_graphml_bytes
from influencers.graph.pods import pod_evidence

EXPORT_FORMATS = {
    "graphml": ("application/graphml+xml", to_graphml_bytes),
    "gexf": ("application/gexf+xml", to_gexf_bytes),
}
COMMUNITY_SEED = 0


@dataclass
class EdgeArrays:
    source: np.ndarray
    target: np.ndarray
    kind: np.ndarray
    weight: np.ndarray
    platform: np.ndarray


def load_edges(session: Session, workspace_id: int, *, platform: str | None = None,
               kinds: Sequence[str] | None = None, creator_ids: Sequence[int] | None = None) -> EdgeArrays:
    """The workspace's edges (one query), optionally of one platform, some kinds, touching some creators."""
    stmt = select(CreatorEdge.source_id, CreatorEdge.target_id, CreatorEdge.kind, CreatorEdge.weight,
                  CreatorEdge.platform).where(CreatorEdge.workspace_id == workspace_id)
    if platform:
        stmt = stmt.where(CreatorEdge.platform == platform)
    if kinds:
        stmt = stmt.where(CreatorEdge.kind.in_(list(kinds)))
    if creator_ids is not None:
        ids = list(creator_ids)
        stmt = stmt.where(CreatorEdge.source_id.in_(ids) | CreatorEdge.target_id.in_(ids))
    rows = session.execute(stmt.order_by(CreatorEdge.id)).all()
    cols = list(zip(*rows)) if rows else [(), (), (), (), ()]
    return EdgeArrays(source=np.array(cols[0], dtype=np.int64), target=np.array(cols[1], dtype=np.int64),
                      kind=np.array(cols[2], dtype=object), weight=np.array(cols[3], dtype=float),
                      platform=np.array(cols[4], dtype=object))


def _node_attrs(session: Session, workspace_id: int, ids) -> dict:
    ids = [int(i) for i in ids]
    out = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        for cid, handle, followers, platform in session.execute(
                select(Creator.id, Creator.handle, Creator.followers, Creator.platform).where(
                    Creator.workspace_id == workspace_id, Creator.id.in_(chunk))).all():
            out[cid] = {"handle": handle, "followers": int(followers), "platform": platform}
    return out


def creator_graph(session: Session, workspace_id: int, platform: str, *, kinds: Sequence[str] | None = None,
                  include_isolated: bool = False) -> nx.DiGraph:
    """The relation graph of one platform (nodes carry handle, followers, platform)."""
    edges = load_edges(session, workspace_id, platform=platform, kinds=kinds)
    nodes = set(edges.source.tolist()) | set(edges.target.tolist())
    if include_isolated:
        nodes |= set(session.scalars(select(Creator.id).where(
            Creator.workspace_id == workspace_id, Creator.platform == platform)))
    return build_creator_graph(edges.source, edges.target, edges.kind, edges.weight, nodes=sorted(nodes),
                               node_attrs=_node_attrs(session, workspace_id, sorted(nodes)))


def neighbourhood(session: Session, workspace_id: int, creator: Creator, *, radius: int = 1,
                  kinds: Sequence[str] | None = None, max_nodes: int = 500) -> dict:
    """The creator's ego graph (edges in either direction, with kinds and weights), each node with
    its PageRank in the platform's graph."""
    G = creator_graph(session, workspace_id, creator.platform, kinds=kinds)
    if creator.id not in G:
        G.add_node(creator.id, handle=creator.handle, followers=int(creator.followers), platform=creator.platform)
    # PageRank over the whole platform graph (of the kinds asked for), not the ego graph:
    # a neighbour's importance does not depend on how far the view reaches.
    out = ego_graph(G, creator.id, radius=radius, max_nodes=max_nodes,
                    node_values={"pagerank": pagerank(G, tol=DEFAULT_TOL)})
    out["platform"] = creator.platform
    out["kinds"] = list(kinds) if kinds else list(EDGE_KINDS)
    return out


def community_list(session: Session, workspace_id: int, platform: str, *, top: int = 5, min_size: int = 2,
                   kinds: Sequence[str] | None = None) -> dict:
    """Louvain communities (seeded) of the platform's graph, each with its top creators by PageRank."""
    G = creator_graph(session, workspace_id, platform, kinds=kinds)
    pr = pagerank(G, tol=DEFAULT_TOL)
    groups = [g for g in communities(G, seed=COMMUNITY_SEED) if len(g) >= min_size]
    summary = communities_summary(groups, pr, top=top)
    for item in summary:
        for creator in item["top_creators"]:
            creator["handle"] = G.nodes[creator["creator_id"]].get("handle")
    return {"platform": platform, "creators": G.number_of_nodes(), "edges": G.number_of_edges(),
            "seed": COMMUNITY_SEED, "method": "Louvain (seeded) on the undirected weighted graph; PageRank "
            "(alpha 0.85, L1 tolerance 1e-10) ranks each community's creators",
            "communities": summary}


def export_graph(session: Session, workspace_id: int, platform: str, fmt: str, *,
                 kinds: Sequence[str] | None = None) -> tuple[bytes, str]:
    """GraphML or GEXF of the platform's graph (every creator of the platform; PageRank and community
    per node); returns the bytes and the content type."""
    content_type, write = EXPORT_FORMATS[fmt]
    G = creator_graph(session, workspace_id, platform, kinds=kinds, include_isolated=True)
    pr = pagerank(G, tol=DEFAULT_TOL)
    for index, members in enumerate(communities(G, seed=COMMUNITY_SEED)):
        for n in members:
            G.nodes[n]["community"] = index
    for n, value in pr.items():
        G.nodes[n]["pagerank"] = value
        G.nodes[n]["label"] = G.nodes[n].get("handle", str(n))
    G.graph.update({"workspace_id": workspace_id, "platform": platform, "kinds": ",".join(kinds or EDGE_KINDS)})
    return write(G), content_type


# --------------------------------------------------------------------------- scoring


def scoring_graph_signals(session: Session, workspace_id: int, creator_ids: np.ndarray,
                          platforms: np.ndarray) -> tuple[np.ndarray | None, dict[int, dict]]:
    """Per creator (aligned with ``creator_ids``, sorted ascending as the scoring loader reads them):

    * centrality in [0, 1]: PageRank (all edge kinds, weights summed, L1 tolerance 1e-10) on each
      platform's graph, as a percentile among that platform's creators with edges; ``nan`` for
      creators with no edge at all (the composite then leaves the component out);
    * pod evidence: ``{index: {community, size, reciprocity, density, member_reciprocity}}`` for
      creators in a dense reciprocal cluster of ``comments`` edges (:func:`pod_evidence`).

    Returns ``(None, {})`` when the workspace has no edges.
    """
    creator_ids = np.asarray(creator_ids, dtype=np.int64)
    n = len(creator_ids)
    edges = load_edges(session, workspace_id)
    if not len(edges.source) or not n:
        return None, {}
    centrality = np.full(n, np.nan)
    pods: dict[int, dict] = {}
    order = np.argsort(creator_ids, kind="stable")
    sorted_ids = creator_ids[order]

    def positions(ids: np.ndarray) -> np.ndarray:
        return order[np.searchsorted(sorted_ids, ids)]

    keep = (np.isin(edges.source, sorted_ids) & np.isin(edges.target, sorted_ids)
            & (edges.source != edges.target))
    for platform in sorted(set(edges.platform[keep].tolist())):
        on = keep & (edges.platform == platform)
        src, tgt, w = edges.source[on], edges.target[on], edges.weight[on]
        nodes = np.unique(np.concatenate([src, tgt]))
        pr = pagerank_from_edges(np.searchsorted(nodes, src), np.searchsorted(nodes, tgt), w,
                                 n_nodes=len(nodes), tol=DEFAULT_TOL)
        component = centrality_component(dict(zip(nodes.tolist(), pr.tolist())))
        centrality[positions(nodes)] = [component[c] for c in nodes.tolist()]
        comments = on & (edges.kind == "comments")
        if comments.any():
            C = build_creator_graph(edges.source[comments], edges.target[comments], edges.kind[comments],
                                    edges.weight[comments])
            for cid, evidence in pod_evidence(C).items():
                pods[int(positions(np.array([cid]))[0])] = {**evidence, "platform": platform}
    return centrality, pods
