"""The creator graph: relation and co-membership graphs, centrality, pods, exports.

Pure computation on networkx graphs built from arrays (no Flask, no database
session); results are dicts / dataclasses with ``to_dict()``.
"""
from influencers.graph.build import (
    EDGE_KINDS,
    build_comembership_graph,
    build_creator_graph,
    edge_kinds,
    kind_subgraph,
    undirected_weighted,
)
from influencers.graph.centrality import (
    CentralityReport,
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
from influencers.graph.export import communities_summary, ego_graph, export_safe, to_gexf_bytes, to_graphml_bytes
from influencers.graph.pods import CommentCluster, comment_clusters, pod_clusters, pod_evidence

__all__ = [
    "EDGE_KINDS", "CentralityReport", "CommentCluster", "approximate_betweenness",
    "build_comembership_graph", "build_creator_graph", "centrality_component", "comment_clusters",
    "communities", "communities_summary", "compute_centrality", "core_numbers", "edge_kinds",
    "ego_graph", "export_safe", "kind_subgraph", "pagerank", "pagerank_from_edges",
    "pagerank_sparse", "pod_clusters", "pod_evidence", "to_gexf_bytes", "to_graphml_bytes",
    "undirected_weighted", "weighted_in_degree",
]
