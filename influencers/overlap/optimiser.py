"""The shortlist optimiser: choose creators that maximise unique authentic reach.

Objective
---------
The max-weight unique reach of :mod:`influencers.overlap.reach`, over the
members that count (authentic, and matching the target audience when a mask is
given)::

    f(S) = sum over counted members m of  max{ w_i : i in S, m in sample i }

with ``w_i`` the real followers one counted sampled member of creator ``i``
stands for (``F_i (1 - fake_i) / n_i`` without a member mask). A member seen
in several samples is covered once, at the largest weight among the chosen
creators that reach it: a single creator is worth exactly its authentic
(target) audience, overlap is never counted twice, and ``f`` is a
facility-location function, monotone and submodular. Hence greedy's
guarantees, and lazy evaluation is exact: a creator's marginal gain can only
shrink as the set grows, so a stale gain is an upper bound. ``f`` of the
answer equals the unique reach the overlap report shows for the same set.

Marginal gains are numpy operations over the creator's CSR row::

    gain(j) = sum over m in row j of max(0, w_j - covered[m])

where ``covered[m]`` is the weight currently covering member ``m`` (0 if none).

Algorithm
---------
CELF (Leskovec et al. 2007): lazy greedy with a heap of upper bounds.

* count ``k`` only: unit-cost lazy greedy, ``f >= (1 - 1/e) OPT``;
* budget with fees: the best of cost-benefit lazy greedy (gain / fee), unit-cost
  lazy greedy within the budget and the best single affordable creator. The
  best of ratio greedy and the best single creator is >= ``(1 - 1/e) / 2 OPT``
  (Leskovec et al.; Khuller, Moss & Naor give ``1 - 1/sqrt(e)``).

Must-keep creators are in the set from the start (they count against the budget
and ``k``); excluded creators are never considered. Creators that would add no
reach are not picked, even if budget or ``k`` allow more.
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from influencers.overlap.incidence import Incidence
from influencers.overlap.reach import member_weights

_EPS = 1e-9


@dataclass(frozen=True)
class Pick:
    creator_id: object
    index: int
    marginal_reach: float
    cost: float
    cumulative_reach: float
    cumulative_cost: float
    must_keep: bool

    def to_dict(self) -> dict:
        return {"creator_id": self.creator_id, "marginal_reach": self.marginal_reach,
                "cost": self.cost, "cumulative_reach": self.cumulative_reach,
                "cumulative_cost": self.cumulative_cost, "must_keep": self.must_keep}


@dataclass(frozen=True)
class Selection:
    """A set of creators (in pick order) with its value; used for the answer and the naive pick."""

    picks: list[Pick]
    unique_reach: float
    total_cost: float

    @property
    def creator_ids(self) -> list:
        return [p.creator_id for p in self.picks]

    def to_dict(self) -> dict:
        return {"creator_ids": self.creator_ids, "unique_reach": self.unique_reach,
                "total_cost": self.total_cost, "picks": [p.to_dict() for p in self.picks]}


@dataclass(frozen=True)
class ShortlistResult:
    chosen: Selection
    naive: Selection
    strategy: str                  # "greedy", "ratio_greedy", "unit_greedy_in_budget" or "best_single"
    guarantee: float               # the approximation factor that applies
    budget: float | None
    k: int | None
    total_audience: float          # sum of the chosen creators' audiences (no dedup)
    evaluations: int               # marginal-gain evaluations (CELF bookkeeping)
    alternatives: dict = field(default_factory=dict)  # strategy -> unique reach

    @property
    def picks(self) -> list[Pick]:
        return self.chosen.picks

    @property
    def unique_reach(self) -> float:
        return self.chosen.unique_reach

    def to_dict(self) -> dict:
        naive = self.naive.unique_reach
        return {
            "picks": [p.to_dict() for p in self.chosen.picks],
            "unique_reach": self.chosen.unique_reach,
            "total_cost": self.chosen.total_cost,
            "total_audience": self.total_audience,
            "duplication_factor": (self.total_audience / self.chosen.unique_reach
                                   if self.chosen.unique_reach > 0 else None),
            "budget": self.budget,
            "k": self.k,
            "strategy": self.strategy,
            "guarantee": self.guarantee,
            "naive": self.naive.to_dict(),
            "gain_over_naive": self.chosen.unique_reach - naive,
            "ratio_to_naive": self.chosen.unique_reach / naive if naive > 0 else None,
            "alternatives": self.alternatives,
            "evaluations": self.evaluations,
        }


class CoverageState:
    """Max-weight coverage over counted members, with numpy marginal gains."""

    def __init__(self, matrix: sp.csr_array, weight: np.ndarray):
        self.indptr = matrix.indptr
        self.indices = matrix.indices.astype(np.intp, copy=False)
        self.weight = weight
        self.covered = np.zeros(matrix.shape[1], dtype=float)
        self.value = 0.0
        self.evaluations = 0

    def copy(self) -> CoverageState:
        other = object.__new__(CoverageState)
        other.indptr, other.indices, other.weight = self.indptr, self.indices, self.weight
        other.covered = self.covered.copy()
        other.value, other.evaluations = self.value, 0
        return other

    def _row(self, j: int) -> np.ndarray:
        return self.indices[self.indptr[j]:self.indptr[j + 1]]

    def gain(self, j: int) -> float:
        self.evaluations += 1
        cov = self.covered[self._row(j)]
        return float(np.maximum(self.weight[j] - cov, 0.0).sum())

    def all_gains(self) -> np.ndarray:
        """Every creator's marginal gain at once (one pass over the CSR data)."""
        k = len(self.indptr) - 1
        self.evaluations += k
        if self.value == 0:  # nothing covered yet: a creator's gain is its whole audience
            return self.weight * np.diff(self.indptr)
        rows = np.repeat(np.arange(k), np.diff(self.indptr))
        contrib = np.maximum(self.weight[rows] - self.covered[self.indices], 0.0)
        return np.bincount(rows, weights=contrib, minlength=k)

    def add(self, j: int) -> float:
        idx = self._row(j)
        cov = self.covered[idx]
        gained = float(np.maximum(self.weight[j] - cov, 0.0).sum())
        self.covered[idx] = np.maximum(cov, self.weight[j])
        self.value += gained
        return gained


def _as_matrix(incidence) -> tuple[sp.csr_array, tuple]:
    if isinstance(incidence, Incidence):
        return incidence.matrix, incidence.creator_ids
    m = sp.csr_array(incidence)
    return m, tuple(range(m.shape[0]))


@dataclass
class _Problem:
    ids: tuple
    matrix: sp.csr_array       # counted columns only
    weight: np.ndarray
    audience: np.ndarray       # per creator reach w_i * counted_i
    followers: np.ndarray
    cost: np.ndarray
    budget: float | None
    k: int | None
    keep: list[int]
    candidates: np.ndarray     # indices that may be picked (not excluded, not kept)


def _prepare(incidence, followers, *, fees, budget, k, fake_share, authentic, target,
             must_keep, exclude, creator_ids) -> _Problem:
    matrix, ids = _as_matrix(incidence)
    if creator_ids is not None:
        ids = tuple(creator_ids)
    n = matrix.shape[0]
    if len(ids) != n:
        raise ValueError("creator_ids must label every row")
    if budget is None and k is None:
        raise ValueError("give a budget (with fees) or a count k")
    if budget is not None:
        if fees is None:
            raise ValueError("a budget needs a fee per creator")
        if not math.isfinite(budget) or budget < 0:
            raise ValueError("budget must be a finite number >= 0")
    if k is not None and k < 0:
        raise ValueError("k must be >= 0")
    cost = np.zeros(n) if fees is None else np.asarray(fees, dtype=float).ravel()
    if cost.size != n:
        raise ValueError(f"fees has {cost.size} values for {n} creators")
    if np.any(~np.isfinite(cost)) or np.any(cost < 0):
        raise ValueError("fees must be finite and >= 0")
    position = {cid: i for i, cid in enumerate(ids)}

    def resolve(items, name):
        out = []
        for cid in items:
            if cid not in position:
                raise KeyError(f"{name}: unknown creator {cid!r}")
            if position[cid] not in out:
                out.append(position[cid])
        return out

    keep = resolve(must_keep, "must_keep")
    excluded = resolve(exclude, "exclude")
    clash = set(keep) & set(excluded)
    if clash:
        raise ValueError(f"creators both kept and excluded: {[ids[i] for i in sorted(clash)]}")
    if k is not None and len(keep) > k:
        raise ValueError(f"{len(keep)} must-keep creators exceed k={k}")
    if budget is not None and cost[keep].sum() > budget * (1 + _EPS) + _EPS:
        raise ValueError("the must-keep creators alone exceed the budget")

    mw = member_weights(matrix, followers, fake_share=fake_share, authentic=authentic,
                        target=target, scaling="authentic")
    counted = sp.csr_array(matrix)
    if not mw.counted.all():  # drop the entries of members that do not count (columns keep their numbers)
        entry = mw.counted[counted.indices]
        cs = np.zeros(entry.size + 1, dtype=np.int64)
        np.cumsum(entry, out=cs[1:])
        counted = sp.csr_array((counted.data[entry], counted.indices[entry], cs[counted.indptr]),
                               shape=counted.shape)
    blocked = np.zeros(n, dtype=bool)
    blocked[keep] = True
    blocked[excluded] = True
    return _Problem(ids=ids, matrix=counted, weight=mw.weight, audience=mw.reach,
                    followers=np.asarray(followers, dtype=float).ravel(), cost=cost, budget=budget,
                    k=k, keep=keep, candidates=np.flatnonzero(~blocked))


def _fits(spent: float, c: float, budget: float | None) -> bool:
    return budget is None or spent + c <= budget * (1 + _EPS) + _EPS


def _start(problem: _Problem, base: CoverageState) -> tuple[CoverageState, list[Pick], float]:
    state = base.copy()
    picks: list[Pick] = []
    spent = 0.0
    for j in problem.keep:
        g = state.add(j)
        spent += problem.cost[j]
        picks.append(Pick(problem.ids[j], int(j), g, float(problem.cost[j]), state.value, float(spent), True))
    return state, picks, spent


def _lazy_greedy(problem: _Problem, base: CoverageState, *, ratio: bool) -> tuple[Selection, int]:
    """CELF: pop the best upper bound; re-evaluate if stale, otherwise pick it."""
    state, picks, spent = _start(problem, base)
    limit = problem.k if problem.k is not None else len(problem.ids)
    cost = problem.cost
    budget = problem.budget

    def key(gain: float, j: int) -> tuple:
        if ratio:
            r = 0.0 if gain <= 0 else (math.inf if cost[j] <= 0 else gain / cost[j])
            return (-r, -gain, j)
        return (-gain, j)

    initial = state.all_gains()
    heap = [(key(float(initial[j]), j), j, 0) for j in problem.candidates]
    heapq.heapify(heap)
    round_ = 0
    while heap and len(picks) < limit:
        _, j, stamp = heapq.heappop(heap)
        if not _fits(spent, cost[j], budget):
            continue  # the remaining budget only shrinks: never affordable again
        if stamp != round_:
            g = state.gain(j)
            heapq.heappush(heap, (key(g, j), j, round_))
            continue
        g = state.add(j)
        if g <= 0:
            break  # the best remaining creator adds nothing
        spent += cost[j]
        round_ += 1
        picks.append(Pick(problem.ids[j], int(j), g, float(cost[j]), state.value, float(spent), False))
    return Selection(picks, state.value, float(spent)), state.evaluations


def _best_single(problem: _Problem, base: CoverageState) -> tuple[Selection, int]:
    state, picks, spent = _start(problem, base)
    if problem.k is not None and len(picks) >= problem.k:
        return Selection(picks, state.value, float(spent)), 0
    gains = state.all_gains()
    best, best_gain = None, 0.0
    for j in problem.candidates:  # ascending index: ties go to the first
        if _fits(spent, problem.cost[j], problem.budget) and gains[j] > best_gain:
            best, best_gain = int(j), float(gains[j])
    if best is not None:
        g = state.add(best)
        spent += problem.cost[best]
        picks.append(Pick(problem.ids[best], best, g, float(problem.cost[best]), state.value, float(spent), False))
    return Selection(picks, state.value, float(spent)), state.evaluations


def _naive(problem: _Problem, base: CoverageState) -> Selection:
    """Must-keep, then the most-followed candidates that still fit (budget and k)."""
    state, picks, spent = _start(problem, base)
    limit = problem.k if problem.k is not None else len(problem.ids)
    order = problem.candidates[np.lexsort((problem.candidates, -problem.followers[problem.candidates]))]
    for j in order:
        if len(picks) >= limit:
            break
        if not _fits(spent, problem.cost[j], problem.budget):
            continue
        g = state.add(int(j))
        spent += problem.cost[j]
        picks.append(Pick(problem.ids[j], int(j), g, float(problem.cost[j]), state.value, float(spent), False))
    return Selection(picks, state.value, float(spent))


def optimise_shortlist(incidence: Incidence | sp.csr_array, followers, *, fees=None,
                       budget: float | None = None, k: int | None = None, fake_share=None,
                       authentic=None, target=None, must_keep=(), exclude=(),
                       creator_ids=None) -> ShortlistResult:
    """Choose the creators that maximise unique authentic (target) reach.

    ``incidence`` rows are the candidates; ``followers``, ``fees`` and
    ``fake_share`` are per candidate; ``authentic`` / ``target`` are boolean
    member masks. Give ``budget`` (with ``fees``), ``k``, or both. ``must_keep``
    and ``exclude`` are creator ids (row labels).
    """
    problem = _prepare(incidence, followers, fees=fees, budget=budget, k=k, fake_share=fake_share,
                       authentic=authentic, target=target, must_keep=must_keep, exclude=exclude,
                       creator_ids=creator_ids)
    base = CoverageState(problem.matrix, problem.weight)
    evaluations = 0
    runs: dict[str, Selection] = {}
    if budget is None:
        runs["greedy"], ev = _lazy_greedy(problem, base, ratio=False)
        evaluations += ev
        guarantee = 1 - 1 / math.e
    else:
        runs["ratio_greedy"], ev = _lazy_greedy(problem, base, ratio=True)
        evaluations += ev
        runs["unit_greedy_in_budget"], ev = _lazy_greedy(problem, base, ratio=False)
        evaluations += ev
        runs["best_single"], ev = _best_single(problem, base)
        evaluations += ev
        guarantee = (1 - 1 / math.e) / 2
    best = max(r.unique_reach for r in runs.values())
    strategy = next(s for s, r in runs.items() if r.unique_reach >= best - _EPS * max(1.0, best))
    chosen = runs[strategy]
    total_audience = float(sum(problem.audience[p.index] for p in chosen.picks))
    return ShortlistResult(
        chosen=chosen, naive=_naive(problem, base), strategy=strategy, guarantee=guarantee,
        budget=budget, k=k, total_audience=total_audience, evaluations=evaluations,
        alternatives={s: r.unique_reach for s, r in runs.items()},
    )


def selection_reach(incidence: Incidence | sp.csr_array, followers, chosen, *, fake_share=None,
                    authentic=None, target=None, creator_ids=None) -> float:
    """``f(chosen)``: the objective for any set of creator ids (e.g. to check a manual shortlist)."""
    chosen = list(dict.fromkeys(chosen))
    problem = _prepare(incidence, followers, fees=None, budget=None, k=len(chosen),
                       fake_share=fake_share, authentic=authentic, target=target,
                       must_keep=chosen, exclude=(), creator_ids=creator_ids)
    state = CoverageState(problem.matrix, problem.weight)
    for j in problem.keep:
        state.add(j)
    return state.value
