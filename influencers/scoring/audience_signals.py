"""Audience signals of the default-2 model: what aged "premium" bots and bot farms change in
a sample that a per-account classification cannot see, and what marks a young audience.

One by one, aged bots (avatar, bio, a few old posts, following hundreds to thousands,
dormant for months) look like lurkers. In aggregate they differ from the creator's peers:

* ``farm_share``: the share of the sample whose members also turn up in the samples of
  many creators, most of which share no category and no country or language with the
  others (the member store links members across creators: sparse members x creators
  times creators x categories / countries / languages products, no loop per creator).
  ``farm_unrelated_creators``: how many creators that share none of the three with this creator
  hold its farm-shared members;
* ``foreign_share``: members whose country and language (those known) are rare in the audiences of the
  creator's peers (creators of the same country), other than the creator's own: a mismatch
  between an audience and its creator, never a list of bad countries. A Brazilian
  creator's Brazilian audience is its peers' audience too;
* ``foreign_dormant_share``: the foreign members that are also inactive or mass followers
  (what aged bots are; a real diaspora audience is active);
* ``inactive_share`` against the niche peers' median (reported);
* ``youth_share``: members whose age range is 13-17 among those with a known age range.

Peer groups need ``peer_min_creators`` sampled creators; smaller ones fall back to all
sampled creators.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from influencers.scoring.inputs import factorized
from influencers.scoring.model import ScoringModel

INACTIVE_KIND, MASS_KIND = 2, 1  # audience.INACTIVE, audience.MASS_FOLLOWER (no import cycle)
YOUTH = "13-17"


@dataclass
class AudienceSignals:
    youth_share: np.ndarray
    foreign_share: np.ndarray
    foreign_dormant_share: np.ndarray
    foreign_peer_median: np.ndarray
    foreign_peer_n: np.ndarray
    farm_share: np.ndarray
    farm_unrelated_creators: np.ndarray
    inactive_peer_median: np.ndarray
    inactive_peer_n: np.ndarray
    # Dormancy of the foreign members against the local ones (youth left out on both sides):
    foreign_adult_n: np.ndarray          # foreign members
    foreign_adult_dormant_n: np.ndarray  # ... of them inactive or mass followers
    local_adult_n: np.ndarray            # members known to be local (country or language not foreign)
    local_adult_dormant_n: np.ndarray


def youth_members(inputs) -> np.ndarray:
    if inputs.member_age_range is None:
        return np.zeros(len(inputs.member_followers), bool)
    codes, uniques = factorized(inputs.member_age_range)
    return np.isin(codes, np.flatnonzero(uniques == YOUTH))


def youth_shares(inputs, youth: np.ndarray) -> np.ndarray:
    """Per creator: the share of its sampled members with a known age range who are young (NaN
    where no sampled member's age range is known)."""
    n, creator, member = inputs.n_creators, inputs.sample_creator, inputs.sample_member
    if inputs.member_age_range is None:
        return np.full(n, np.nan)
    age_known = (factorized(inputs.member_age_range)[0] >= 0)[member]
    with np.errstate(invalid="ignore", divide="ignore"):
        return (np.bincount(creator, weights=youth[member], minlength=n)
                / np.bincount(creator, weights=age_known, minlength=n))


def foreign_shares(creator: np.ndarray, foreign: np.ndarray, known: np.ndarray, kind: np.ndarray,
                   young: np.ndarray, sampled: np.ndarray, safe: np.ndarray, n: int):
    """Per sample row ``foreign`` (and ``known``: its country or language is known), ``kind``
    and ``young``: (per creator the foreign share of its members of known origin, per row
    dormant, per row foreign and dormant (youth left out), per creator that row share)."""
    known_any = np.bincount(creator, weights=known, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        foreign_share = np.where(known_any > 0, np.bincount(creator, weights=foreign, minlength=n) / known_any,
                                 np.nan)
    dormant = (kind == INACTIVE_KIND) | (kind == MASS_KIND)
    foreign_dormant = foreign & dormant & ~young
    foreign_dormant_share = np.where(sampled, np.bincount(creator, weights=foreign_dormant, minlength=n) / safe,
                                     np.nan)
    return foreign_share, dormant, foreign_dormant, foreign_dormant_share


def batch_created(inputs, model: ScoringModel, batch_days: np.ndarray | None = None) -> np.ndarray:
    """Per member: created on a day when the member store gained far more accounts than on the
    days around it (farms register accounts in batches). ``batch_days``: those days (day
    numbers, :func:`batch_days`) of the whole workspace's members, else of ``inputs``' members."""
    created = inputs.member_created_at.astype("datetime64[D]")
    known = ~np.isnat(created)
    out = np.zeros(len(created), bool)
    if not known.any():
        return out
    days = created[known].astype(np.int64)
    if batch_days is not None:
        out[known] = np.isin(days, batch_days)
        return out
    low = int(days.min())
    counts = np.bincount(days - low)
    out[known] = _batch_day(counts, model)[days - low]
    return out


def batch_days(days: np.ndarray, counts: np.ndarray, model: ScoringModel) -> np.ndarray:
    """The batch-creation days (sorted day numbers) among ``days`` (distinct day numbers, each
    with its number of members created that day)."""
    days, counts = np.asarray(days, dtype=np.int64), np.asarray(counts, dtype=np.int64)
    if not len(days):
        return days
    low = int(days.min())
    dense = np.zeros(int(days.max()) - low + 1, dtype=np.int64)
    dense[days - low] = counts
    return np.flatnonzero(_batch_day(dense, model)) + low


def _batch_day(counts: np.ndarray, model: ScoringModel) -> np.ndarray:
    """Per day of a dense count of members created per day: whether it is a batch day."""
    padded = np.pad(counts.astype(float), 30, mode="constant", constant_values=np.nan)
    window = np.lib.stride_tricks.sliding_window_view(padded, 61)
    with np.errstate(all="ignore"):
        baseline = np.nan_to_num(np.nanmedian(window, axis=1))
    t = model.threshold
    return counts >= np.maximum(t("batch_min_members"), t("batch_factor") * np.maximum(baseline, 1.0))


def _codes(values: np.ndarray | None, n: int) -> tuple[np.ndarray, int]:
    if values is None:
        return np.full(n, -1, dtype=np.int64), 0
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    return codes.astype(np.int64), len(uniques)


def _peer_groups(group: np.ndarray, sampled: np.ndarray, min_peers: int) -> tuple[np.ndarray, np.ndarray]:
    """Each creator's peer group (its group when that has ``min_peers`` sampled creators,
    else -1: everyone) and the group's size."""
    valid = group >= 0
    counts = np.bincount(group[valid & sampled], minlength=int(group.max(initial=-1)) + 1)
    ok = valid & (counts[np.maximum(group, 0)] >= min_peers) if len(counts) else np.zeros(len(group), bool)
    peer = np.where(ok, group, -1)
    size = np.where(ok, counts[np.maximum(group, 0)] if len(counts) else 0, sampled.sum())
    return peer, size


def _group_median(values: np.ndarray, peer: np.ndarray, sampled: np.ndarray) -> np.ndarray:
    """Per creator, the median of ``values`` (rows: creators, any trailing shape) over its
    peer group's sampled creators (-1: all sampled creators)."""
    out = np.full(values.shape, np.nan)
    if not sampled.any():
        return out
    out[peer == -1] = np.nanmedian(values[sampled], axis=0)
    for g in np.unique(peer[peer >= 0]):
        members = (peer == g)
        out[members] = np.nanmedian(values[members & sampled], axis=0)
    return out


def _foreign_rows(member_values, creator_values, inputs, size, peer, sampled, t) -> tuple[np.ndarray, np.ndarray]:
    """Per sample row: its member's value is known, and rare in the peers' audiences (and not the creator's own)."""
    n = inputs.n_creators
    if member_values is None:
        rows = len(inputs.sample_member)
        return np.zeros(rows, bool), np.zeros(rows, bool)
    member_codes, uniques = factorized(member_values)
    k = max(len(uniques), 1)
    member_code = member_codes[inputs.sample_member]
    # A creator's value that no member holds needs no code: no row is compared with it.
    creator_code = pd.Index(uniques).get_indexer(np.asarray(creator_values, dtype=object))
    known = member_code >= 0
    creator = inputs.sample_creator
    counts = np.bincount(creator[known] * k + member_code[known], minlength=n * k).reshape(n, k)
    known_n = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = counts / known_n[:, None]
    has = sampled & (known_n > 0)
    peer_median = _group_median(shares, peer, has)
    rare = np.nan_to_num(peer_median, nan=0.0) < t("foreign_peer_share")
    own = creator_code >= 0
    rare[np.flatnonzero(own), creator_code[own]] = False
    return known & rare[creator, np.maximum(member_code, 0)], known


def dormancy_counts(creator, foreign, known, dormant, youth_rows, n: int) -> dict[str, np.ndarray]:
    """Per creator: its foreign and its local members, and how many of each are dormant (inactive
    or mass followers), youth left out. Aged bots are foreign and dormant; a real foreign
    audience (a diaspora, fans abroad) is about as active as the local one."""
    adult = ~youth_rows
    is_foreign = foreign & adult
    is_local = known & ~foreign & adult

    def count(rows):
        return np.bincount(creator, weights=rows, minlength=n).astype(np.int64)

    return {"foreign_adult_n": count(is_foreign), "foreign_adult_dormant_n": count(is_foreign & dormant),
            "local_adult_n": count(is_local), "local_adult_dormant_n": count(is_local & dormant)}


def _one_hot(codes: np.ndarray, k: int) -> sp.csr_matrix:
    known = codes >= 0
    return sp.csr_matrix((np.ones(int(known.sum()), dtype=np.int32), (np.flatnonzero(known), codes[known])),
                         shape=(len(codes), max(k, 1)))


def audience_signals(inputs, model: ScoringModel, kind: np.ndarray, size: np.ndarray
                     ) -> tuple[AudienceSignals, np.ndarray]:
    """The creators' audience signals, and per sample row whether its member is likely fake
    (farm-shared, or foreign and dormant)."""
    t = model.threshold
    n = inputs.n_creators
    creator, member = inputs.sample_creator, inputs.sample_member
    n_members = len(inputs.member_followers)
    sampled = size > 0
    safe = np.maximum(size, 1)

    youth = youth_members(inputs)
    youth_share = youth_shares(inputs, youth)

    # Foreign members: country or language rare among the peers' (same creator country) audiences.
    min_peers = int(t("peer_min_creators"))
    country_code, _ = _codes(inputs.country, n)
    peer, peer_n = _peer_groups(country_code, sampled, min_peers)
    foreign_c, known_c = _foreign_rows(inputs.member_country, inputs.country, inputs, size, peer, sampled, t)
    foreign_l, known_l = _foreign_rows(inputs.member_language, inputs.language, inputs, size, peer, sampled, t)
    # Foreign by every known measure: a neighbouring country sharing the language is no mismatch.
    foreign = (foreign_c | ~known_c) & (foreign_l | ~known_l) & (known_c | known_l)
    foreign_share, dormant, foreign_dormant, foreign_dormant_share = foreign_shares(
        creator, foreign, known_c | known_l, kind, youth[member], sampled, safe, n)
    foreign_peer_median = _group_median(foreign_share, peer, sampled & ~np.isnan(foreign_share))

    # Inactive share against the niche peers (platform x niche).
    niche_code, n_niches = _codes(inputs.niche, n)
    inactive_share = np.where(sampled, np.bincount(creator, weights=kind == INACTIVE_KIND, minlength=n) / safe,
                              np.nan)
    niche_group = np.where(niche_code >= 0, inputs.platform * max(n_niches, 1) + niche_code, -1)
    niche_peer, inactive_peer_n = _peer_groups(niche_group, sampled, min_peers)
    inactive_peer_median = _group_median(inactive_share, niche_peer, sampled)

    # Farm overlap: members sampled by many creators, most of whom share no category and no
    # country (language) with the rest.
    language_code, n_languages = _codes(inputs.language, n)
    _, n_countries = _codes(inputs.country, n)
    category_code, n_categories = _codes(inputs.category_name, len(inputs.category_creator))
    categories = category_matrix(inputs.category_creator, category_code, n, n_categories)
    degree = np.bincount(member, minlength=n_members)
    candidate = degree[member] >= t("farm_min_creators")
    farm_member, unrelated = farm_statistics(creator[candidate], member[candidate], n, n_members, country_code,
                                             n_countries, language_code, n_languages, categories, model)
    farm_rows = farm_member[member]
    farm_share = np.where(sampled, np.bincount(creator, weights=farm_rows, minlength=n) / safe, np.nan)

    return AudienceSignals(
        youth_share=youth_share, foreign_share=foreign_share, foreign_dormant_share=foreign_dormant_share,
        foreign_peer_median=foreign_peer_median, foreign_peer_n=peer_n.astype(np.int64),
        farm_share=farm_share, farm_unrelated_creators=unrelated,
        inactive_peer_median=inactive_peer_median, inactive_peer_n=inactive_peer_n.astype(np.int64),
        **dormancy_counts(creator, foreign, known_c | known_l, dormant, youth[member], n),
    ), farm_rows | foreign_dormant


def category_matrix(category_creator: np.ndarray, category_code: np.ndarray, n_creators: int,
                    n_categories: int) -> sp.csr_matrix:
    """Creators x categories, 0/1."""
    categories = sp.csr_matrix((np.ones(len(category_code), dtype=np.int32), (category_creator, category_code)),
                               shape=(n_creators, max(n_categories, 1)))
    categories.data[:] = 1
    return categories


def farm_statistics(creator: np.ndarray, member: np.ndarray, n: int, n_members: int, country_code: np.ndarray,
                    n_countries: int, language_code: np.ndarray, n_languages: int, categories: sp.csr_matrix,
                    model: ScoringModel) -> tuple[np.ndarray, np.ndarray]:
    """Farm-shared members and, per creator, how many creators that share none of its category,
    country and language hold its farm-shared members: from the sample rows (``creator``,
    ``member`` positions) of the members sampled by at least ``farm_min_creators`` creators
    (all of each such member's rows; the others' rows change nothing)."""
    farm_member = farm_members(creator, member, n, n_members, country_code, n_countries, language_code, n_languages,
                               categories, model)
    return farm_member, unrelated_holders(creator, member, farm_member[member], n, n_members, country_code,
                                          language_code, categories)


def farm_members(creator: np.ndarray, member: np.ndarray, n: int, n_members: int, country_code: np.ndarray,
                 n_countries: int, language_code: np.ndarray, n_languages: int, categories: sp.csr_matrix,
                 model: ScoringModel, one_hots: tuple[sp.csr_matrix, sp.csr_matrix] | None = None) -> np.ndarray:
    """Per member (position), whether it is farm-shared: sampled by at least ``farm_min_creators``
    creators, most of whom share no category and no country (language) with the rest, judged
    from all its sample rows (``creator``, ``member``; members' rows apart are judged apart).
    Members x categories (countries, languages) counts, one sparse product each; no loop per
    creator. ``one_hots``: the creators x countries and x languages matrices, when made already."""
    t = model.threshold
    degree = np.bincount(member, minlength=n_members)
    farm_member = np.zeros(n_members, bool)
    if len(member):
        incidence = sp.csr_matrix((np.ones(len(member), dtype=np.int32), (member, creator)), shape=(n_members, n))

        def spread(one_hot):
            # Judged among the member's creators whose value is known (unknown is no evidence).
            known = incidence @ (np.asarray(one_hot.sum(axis=1)).ravel() > 0).astype(np.int32)
            top = np.asarray((incidence @ one_hot).max(axis=1).todense()).ravel()
            return (known >= t("farm_min_creators")) & (top <= t("farm_max_related_share") * known)

        countries, languages = one_hots or (_one_hot(country_code, n_countries), _one_hot(language_code, n_languages))
        spread_categories = spread(categories)
        spread_countries = spread(countries)
        spread_languages = spread(languages)
        farm_member = ((degree >= t("farm_min_creators")) & spread_categories
                       & (spread_countries | spread_languages))
    return farm_member


def unrelated_holders(creator: np.ndarray, member: np.ndarray, farm_rows: np.ndarray, n: int, n_members: int,
                      country_code: np.ndarray, language_code: np.ndarray, categories: sp.csr_matrix) -> np.ndarray:
    """Per creator, how many creators that share none of its category, country and language
    hold its farm-shared members: from the sample rows (``creator``, ``member`` positions) of
    the farm-shared members (``farm_rows``; the other rows change nothing)."""
    unrelated = np.zeros(n, dtype=np.int64)
    if farm_rows.any():
        shared = sp.csr_matrix((np.ones(int(farm_rows.sum()), dtype=np.int32),
                                (creator[farm_rows], member[farm_rows])), shape=(n, n_members))
        holders = np.unique(creator[farm_rows])
        pairs = (shared[holders] @ shared.T).tocoo()
        a, b = holders[pairs.row], pairs.col

        def differ(codes):
            return (codes[a] < 0) | (codes[b] < 0) | (codes[a] != codes[b])

        common = np.asarray(categories[a].multiply(categories[b]).sum(axis=1)).ravel() > 0
        keep = (a != b) & ~common & differ(country_code) & differ(language_code)
        unrelated = np.bincount(a[keep], minlength=n).astype(np.int64)
    return unrelated
