"""Benchmark: PageRank on a 1,000,000-edge creator graph, ours against igraph's.

Synthetic, seeded directed graph: 100,000 creators, heavy-tailed out-degrees
(most creators follow/mention a few others, some many), targets chosen by a
Zipf-like popularity, weights 1-5, ~10% of creators with no outgoing edge
(dangling), no self-loops or duplicate edges.

Measured in one run:

* ours from edge arrays (``pagerank_from_edges``: building the CSR matrix plus
  the power iteration, absolute L1 tolerance 1e-10), and the power iteration
  alone on a prebuilt matrix;
* igraph ``Graph.pagerank`` (PRPACK) on a prebuilt ``igraph.Graph``, same
  damping and weights (graph construction timed separately);
* unless ``--no-networkx``: building the networkx DiGraph and ``pagerank(G)`` on it
  (its ``to_scipy_sparse_array`` form), the path the API uses for stored graphs;
* agreement: largest absolute difference, L1 distance, overlap of the top 100.

Usage: ``python benchmarks/bench_pagerank.py [--quick] [--nodes N] [--edges E] [--no-networkx]``
"""
from __future__ import annotations

import argparse
import time

import igraph as ig
import networkx as nx
import numpy as np
import scipy.sparse as sp

from influencers.graph import pagerank, pagerank_from_edges, pagerank_sparse


def synthetic_edges(n: int, e: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    out_weight = rng.pareto(1.5, n) + 1
    out_weight[rng.random(n) < 0.1] = 0  # dangling creators
    popularity = rng.permutation((np.arange(1, n + 1, dtype=float)) ** -0.8)
    src_p = out_weight / out_weight.sum()
    tgt_p = popularity / popularity.sum()
    keys = np.zeros(0, dtype=np.int64)
    while keys.size < e:
        m = int((e - keys.size) * 1.3) + 1000
        src = rng.choice(n, m, p=src_p)
        tgt = rng.choice(n, m, p=tgt_p)
        ok = src != tgt
        new = src[ok].astype(np.int64) * n + tgt[ok]
        keys = np.unique(np.concatenate([keys, new]))
    keys = rng.permutation(keys)[:e]
    src, tgt = keys // n, keys % n
    weights = rng.integers(1, 6, e).astype(float)
    return src, tgt, weights


def timed(fn, repeat: int = 1):
    """Result and best wall time over ``repeat`` runs."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return out, best


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small size (10,000 nodes, 100,000 edges)")
    ap.add_argument("--nodes", type=int)
    ap.add_argument("--edges", type=int)
    ap.add_argument("--alpha", type=float, default=0.85)
    ap.add_argument("--tol", type=float, default=1e-10)
    ap.add_argument("--no-networkx", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each PageRank; the best is compared")
    args = ap.parse_args(argv)
    n = args.nodes or (10_000 if args.quick else 100_000)
    e = args.edges or (100_000 if args.quick else 1_000_000)

    (src, tgt, w), t_gen = timed(lambda: synthetic_edges(n, e, args.seed))
    dangling = n - np.unique(src).size
    print(f"graph: {n:,} nodes, {e:,} edges, {dangling:,} dangling nodes (generated in {t_gen:.1f}s)")

    r = args.repeat
    ours, t_ours = timed(lambda: pagerank_from_edges(src, tgt, w, n_nodes=n, alpha=args.alpha, tol=args.tol), r)
    A = sp.csr_array((w, (src, tgt)), shape=(n, n))
    _, t_iter = timed(lambda: pagerank_sparse(A, alpha=args.alpha, tol=args.tol), r)

    g, t_igb = timed(lambda: ig.Graph(n=n, edges=np.column_stack([src, tgt]).tolist(), directed=True))
    g.es["weight"] = w.tolist()
    ref, t_ig = timed(lambda: np.array(g.pagerank(damping=args.alpha, weights="weight", directed=True,
                                                   implementation="prpack")), r)
    wl = w.tolist()

    print(f"ours, from edge arrays:   {t_ours * 1000:8.1f} ms  (best of {r})")
    print(f"ours, power iteration:    {t_iter * 1000:8.1f} ms  (matrix prebuilt, best of {r})")
    print(f"igraph pagerank (PRPACK): {t_ig * 1000:8.1f} ms  (graph prebuilt in {t_igb * 1000:.0f} ms, best of {r})")
    print(f"ratio ours / igraph:      {t_ours / t_ig:8.2f}x end-to-end, {t_iter / t_ig:.2f}x iteration only "
          f"(aim <= 3x)")
    top_ours = set(np.argsort(-ours, kind="stable")[:100].tolist())
    top_ref = set(np.argsort(-ref, kind="stable")[:100].tolist())
    print(f"agreement: max |diff| {np.abs(ours - ref).max():.2e}, L1 {np.abs(ours - ref).sum():.2e}, "
          f"top-100 overlap {len(top_ours & top_ref)}/100")

    if not args.no_networkx:
        def build():
            G = nx.DiGraph()
            G.add_nodes_from(range(n))
            G.add_weighted_edges_from(zip(src.tolist(), tgt.tolist(), wl))
            return G
        G, t_nxb = timed(build)
        pr_nx, t_nx = timed(lambda: pagerank(G, alpha=args.alpha, tol=args.tol))
        x = np.array([pr_nx[i] for i in range(n)])
        print(f"networkx DiGraph built in {t_nxb * 1000:.0f} ms; pagerank(G) on its sparse form "
              f"{t_nx * 1000:.1f} ms; max |diff| to ours from arrays {np.abs(x - ours).max():.2e}")


if __name__ == "__main__":
    main()
