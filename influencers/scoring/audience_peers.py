"""Workspace-level audience statistics, for scoring a workspace a range of creators at a time.

What a creator's audience is judged against is the whole workspace's (see
:mod:`influencers.scoring.audience_signals`): the batch-creation days of the members, the
farm-shared members and, per creator, the unrelated creators holding its farm members
(:class:`MemberStatistics`: member-level, from the memberships of members sampled by several
creators and a histogram of creation days, which a database computes with GROUP BY); the
countries and languages common in each peer group's audiences; the peer medians of the
foreign and inactive shares; the platform medians of the fake and reachable shares (the
priors); the members the sketches leave out as bot-like. A first pass gathers the
per-creator values those come from range by range (:func:`gather_audience`), in two rounds:
the foreign shares need the common countries and languages of all the peers' audiences
first; the second round reads no members again, only each creator's count of sample rows
per (country, language, dormant, fake by profile or farm) combination, kept from the first.

Pure: arrays in, arrays out; no session.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from influencers.scoring import grouped
from influencers.scoring.audience import (
    _REACHABLE,
    MEMBER_TYPES,
    SUSPICIOUS,
    classify_memberships,
)
from influencers.scoring.audience_signals import (
    INACTIVE_KIND,
    MASS_KIND,
    AudienceSignals,
    _codes,
    _group_median,
    batch_days,
    category_matrix,
    dormancy_counts,
    farm_statistics,
    foreign_shares,
    youth_members,
    youth_shares,
)
from influencers.scoring.inputs import PLATFORM_CODE, PLATFORMS, ScoringInputs, factorized
from influencers.scoring.model import ScoringModel
from influencers.scoring.spilled import group_counts, order_statistics

ALL = "\x00all"  # the peer group of creators without a large enough group of their own: every sampled creator


@dataclass
class MemberStatistics:
    """The member-level statistics of one model (see the module docstring)."""

    batch_days: np.ndarray             # sorted day numbers
    farm_member_ids: np.ndarray        # sorted
    unrelated_creator_ids: np.ndarray  # sorted, creators with unrelated creators holding their farm members
    unrelated_counts: np.ndarray

    def unrelated_of(self, creator_ids: np.ndarray) -> np.ndarray:
        """Per creator (ids): its unrelated creators' count (0 when it has none)."""
        out = np.zeros(len(creator_ids), dtype=np.int64)
        if len(self.unrelated_creator_ids):
            ids = self.unrelated_creator_ids
            at = np.minimum(np.searchsorted(ids, creator_ids), len(ids) - 1)
            found = ids[at] == creator_ids
            out[found] = self.unrelated_counts[at[found]]
        return out


def member_statistics_from(days: np.ndarray, day_counts: np.ndarray, candidate_creator: np.ndarray,
                           candidate_member_ids: np.ndarray, creators: CreatorFacts, model: ScoringModel
                           ) -> MemberStatistics:
    """:class:`MemberStatistics` from the workspace's members created per day (distinct
    members of the latest samples) and the sample rows (creator position in ``creators``,
    member id) of its members sampled by at least ``farm_min_creators`` creators."""
    member_ids, member = np.unique(np.asarray(candidate_member_ids, dtype=np.int64), return_inverse=True)
    n = len(creators.creator_ids)
    country_code, n_countries = _codes(creators.country, n)
    language_code, n_languages = _codes(creators.language, n)
    category_code, n_categories = _codes(creators.category_name, len(creators.category_creator))
    categories = category_matrix(creators.category_creator, category_code, n, n_categories)
    farm_member, unrelated = farm_statistics(np.asarray(candidate_creator, dtype=np.int64), member, n,
                                             len(member_ids), country_code, n_countries, language_code,
                                             n_languages, categories, model)
    holders = np.flatnonzero(unrelated)
    return MemberStatistics(batch_days=batch_days(days, day_counts, model), farm_member_ids=member_ids[farm_member],
                            unrelated_creator_ids=np.asarray(creators.creator_ids, dtype=np.int64)[holders],
                            unrelated_counts=unrelated[holders])


def member_statistics(inputs: ScoringInputs, model: ScoringModel) -> MemberStatistics:
    """:class:`MemberStatistics` of a whole workspace's inputs (with ``member_ids``)."""
    created = inputs.member_created_at.astype("datetime64[D]")
    known = ~np.isnat(created)
    days, day_counts = np.unique(created[known].astype(np.int64), return_counts=True)
    degree = np.bincount(inputs.sample_member, minlength=len(inputs.member_followers))
    candidate = degree[inputs.sample_member] >= model.threshold("farm_min_creators")
    return member_statistics_from(days, day_counts, inputs.sample_creator[candidate],
                                  member_ids_of(inputs)[inputs.sample_member[candidate]],
                                  CreatorFacts.of(inputs), model)


def member_ids_of(inputs: ScoringInputs) -> np.ndarray:
    if inputs.member_ids is None:
        raise ValueError("inputs lack member_ids: a range of a workspace's creators needs its members' ids")
    return np.asarray(inputs.member_ids, dtype=np.int64)


@dataclass
class CreatorFacts:
    """What the farm statistics need of every creator of the workspace."""

    creator_ids: np.ndarray
    country: np.ndarray
    language: np.ndarray
    category_creator: np.ndarray
    category_name: np.ndarray

    @classmethod
    def of(cls, inputs: ScoringInputs) -> CreatorFacts:
        n = inputs.n_creators
        return cls(np.asarray(inputs.creator_ids, dtype=np.int64),
                   inputs.country if inputs.country is not None else np.full(n, None, dtype=object),
                   inputs.language if inputs.language is not None else np.full(n, None, dtype=object),
                   inputs.category_creator, inputs.category_name)


@dataclass
class AudiencePeers:
    """The workspace's audience statistics for one model (see the module docstring)."""

    members: MemberStatistics
    n_sampled: int
    country_sampled: dict           # creator country -> its sampled creators
    common: dict                    # "country" / "language" -> peer key -> values common in the peers' audiences
    foreign_peer_median: dict       # peer key -> median foreign share
    niche_sampled: dict             # (platform, niche) -> sampled creators
    inactive_peer_median: dict      # peer key -> median inactive share
    platform_sampled: np.ndarray    # per platform
    platform_fake_median: np.ndarray
    platform_reachable_median: np.ndarray
    bot_like_keys: np.ndarray | None = None  # member id x platforms + platform; the sketch model's

    def country_peer(self, country: np.ndarray, min_peers: int) -> np.ndarray:
        """Each creator's country peer key (its country, or ALL)."""
        return np.array([c if not _missing(c) and self.country_sampled.get(c, 0) >= min_peers else ALL
                         for c in country.tolist()], dtype=object)

    def niche_peer(self, platform: np.ndarray, niche: np.ndarray, min_peers: int) -> np.ndarray:
        """Each creator's niche peer key (platform and niche, or ALL)."""
        keys = niche_keys(platform, niche)
        return np.array([k if k is not None and self.niche_sampled.get(k, 0) >= min_peers else ALL
                         for k in keys.tolist()], dtype=object)


def niche_keys(platform: np.ndarray, niche: np.ndarray) -> np.ndarray:
    """Per creator: its platform x niche as one string, None without a niche."""
    return np.array([None if _missing(v) else f"{p}\x00{v}" for p, v in zip(platform.tolist(), niche.tolist())],
                    dtype=object)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _column(values, n: int) -> np.ndarray:
    return np.full(n, None, dtype=object) if values is None else np.asarray(values, dtype=object)


@dataclass
class _ChunkAudience:
    """Round one's values of a range of creators."""

    platform: np.ndarray
    country: np.ndarray
    language: np.ndarray
    niche: np.ndarray
    sampled: np.ndarray
    inactive_share: np.ndarray
    reachable_share: np.ndarray
    # per (dimension): creators with a known value (row positions), value, share of the creator's known rows
    composition: dict
    # sample rows counted per (creator, country code, language code, dormant, fake by profile or farm)
    combos: tuple
    bot_like_keys: np.ndarray


@dataclass
class AudienceValues:
    """What :class:`AudiencePeers` are computed from, gathered range by range."""

    members: MemberStatistics
    chunks: list[_ChunkAudience] = field(default_factory=list)


def gather_audience(values: AudienceValues, inputs: ScoringInputs, model: ScoringModel,
                    sketch_model: ScoringModel | None = None,
                    sketch_members: MemberStatistics | None = None) -> None:
    """Adds the round-one values of ``inputs`` (a range of the workspace's creators, with their
    ``member_ids``) to ``values``. ``sketch_model`` (with its ``sketch_members``): the model
    whose bot-like members the sketches leave out, when it is not ``model``."""
    n = inputs.n_creators
    stats = values.members
    member_ids = member_ids_of(inputs)
    kind, code = classify_memberships(inputs, model, stats.batch_days)
    creator, member = inputs.sample_creator, inputs.sample_member
    size = np.bincount(creator, minlength=n)
    sampled = size > 0
    safe = np.maximum(size, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        reachable = np.bincount(creator, weights=(code & _REACHABLE) != 0, minlength=n) / size
    inactive = np.where(sampled, np.bincount(creator, weights=kind == INACTIVE_KIND, minlength=n) / safe, np.nan)
    composition = {}
    row_codes = {}
    for dimension, member_values in (("country", inputs.member_country), ("language", inputs.member_language)):
        if member_values is None:
            composition[dimension] = (np.zeros(0, np.int64), np.zeros(0, object), np.zeros(0))
            row_codes[dimension] = (np.full(len(member), -1, np.int64), np.zeros(0, object))
            continue
        codes, uniques = factorized(member_values)
        member_code = codes[member]
        row_codes[dimension] = (member_code, uniques)
        known = member_code >= 0
        k = max(len(uniques), 1)
        keys, counts = np.unique(creator[known] * k + member_code[known], return_counts=True)
        holder, value = np.divmod(keys, k)
        known_n = np.bincount(creator[known], minlength=n)
        composition[dimension] = (holder.astype(np.int32), uniques[value], counts / known_n[holder])
    youth = youth_members(inputs)
    dormant = ((kind == INACTIVE_KIND) | (kind == MASS_KIND)) & ~youth[member]
    farm = np.isin(member_ids[member], stats.farm_member_ids)
    profile_or_farm = (kind == SUSPICIOUS) | farm
    (c_code, c_uniques), (l_code, l_uniques) = row_codes["country"], row_codes["language"]
    kc, kl = len(c_uniques) + 1, len(l_uniques) + 1
    key = ((creator.astype(np.int64) * kc + c_code + 1) * kl + l_code + 1) * 4 + dormant * 2 + profile_or_farm
    combo_keys, combo_counts = np.unique(key, return_counts=True)
    sketch_kind = kind
    if sketch_model is not None and sketch_model.to_dict() != model.to_dict():
        sketch_kind, _ = classify_memberships(inputs, sketch_model, sketch_members.batch_days)
    bot_rows = sketch_kind == SUSPICIOUS
    bot_like = np.unique(member_ids[member[bot_rows]] * len(PLATFORM_CODE) + inputs.platform[creator[bot_rows]])
    values.chunks.append(_ChunkAudience(
        platform=inputs.platform, country=_column(inputs.country, n), language=_column(inputs.language, n),
        niche=_column(inputs.niche, n), sampled=sampled, inactive_share=inactive, reachable_share=reachable,
        composition=composition, combos=(combo_keys, combo_counts.astype(np.int32), c_uniques, l_uniques),
        bot_like_keys=bot_like))


def _common_values(chunks: list[_ChunkAudience], offsets: np.ndarray, dimension: str, country_peer: np.ndarray,
                   peer_size: dict, threshold: float) -> dict:
    """Per peer key: the values whose median share among the key's creators (0 for a creator
    without the value) is at least ``threshold``. Every holder's share counts for its country
    peer key and for ALL. The shares stay in their ranges' arrays: the medians are order
    statistics selected from them range by range (:func:`~influencers.scoring.spilled.order_statistics`),
    and only the (key, value) cells held by enough creators to reach the median need one."""
    keys = pd.Index(list(peer_size), dtype=object)
    all_code = keys.get_loc(ALL)
    values = pd.Index(pd.unique(np.concatenate([np.zeros(0, object)] + [
        pd.unique(np.asarray(c.composition[dimension][1], dtype=object)) for c in chunks])), dtype=object)
    width = max(len(values), 1)
    peer_code = keys.get_indexer(country_peer)

    def blocks():
        for c, start in zip(chunks, offsets[:-1].tolist()):
            holder, value, share = c.composition[dimension]
            value_code = values.get_indexer(np.asarray(value, dtype=object))
            yield (np.concatenate([peer_code[holder + start] * width + value_code, all_code * width + value_code]),
                   np.concatenate([share, share]))

    counts = group_counts(blocks, len(keys) * width)
    group = np.flatnonzero(counts)
    size = np.array([peer_size[k] for k in keys.tolist()], dtype=np.int64)[group // width]
    zeros = size - counts[group]
    low, high = (size - 1) // 2, size // 2
    # A rank below the creators without the value is a 0 share; the others are selected.
    wanted = [(g, rank - z) for g, z, rank in zip(group.tolist(), zeros.tolist(), low.tolist()) if rank >= z]
    wanted += [(g, rank - z) for g, z, rank in zip(group.tolist(), zeros.tolist(), high.tolist()) if rank >= z]
    selected = dict(zip(wanted, order_statistics(blocks, np.array([g for g, _r in wanted], dtype=np.int64),
                                                 np.array([r for _g, r in wanted], dtype=np.int64)).tolist()))
    out: dict = {key: set() for key in peer_size}
    for g, z, lo, hi in zip(group.tolist(), zeros.tolist(), low.tolist(), high.tolist()):
        median = (selected.get((g, lo - z), 0.0) + selected.get((g, hi - z), 0.0)) / 2
        if median >= threshold:
            out[keys[g // width]].add(values[g % width])
    return {key: frozenset(v) for key, v in out.items()}


def foreign_rows(row_creator, c_code, c_uniques, l_code, l_uniques, country_peer, creator_country,
                 creator_language, common: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: foreign (country and language, those known, rare among the peers' audiences and
    not the creator's own), country known, language known."""
    out = []
    for code, uniques, dimension, own in ((c_code, c_uniques, "country", creator_country),
                                          (l_code, l_uniques, "language", creator_language)):
        known = code >= 0
        keys = pd.unique(country_peer)
        k = max(len(uniques), 1)
        common_matrix = np.zeros((len(keys), k), bool)
        index = pd.Index(uniques)
        for g, key in enumerate(keys.tolist()):
            values = [v for v in common[dimension].get(key, ()) if v in index]
            if values:
                common_matrix[g, index.get_indexer(values)] = True
        creator_group = pd.Index(keys).get_indexer(country_peer)
        own_code = index.get_indexer(own) if len(uniques) else np.full(len(own), -1)
        safe = np.maximum(code, 0)
        rare = ~common_matrix[creator_group[row_creator], safe] & (own_code[row_creator] != code)
        out.append((known & rare, known))
    (foreign_c, known_c), (foreign_l, known_l) = out
    foreign = (foreign_c | ~known_c) & (foreign_l | ~known_l) & (known_c | known_l)
    return foreign, known_c, known_l


def audience_peers(values: AudienceValues, model: ScoringModel) -> AudiencePeers:
    """The statistics of the gathered values (round two included)."""
    t = model.threshold
    min_peers = int(t("peer_min_creators"))
    chunks = values.chunks
    platform = np.concatenate([c.platform for c in chunks])
    country = np.concatenate([c.country for c in chunks])
    niche = np.concatenate([c.niche for c in chunks])
    sampled = np.concatenate([c.sampled for c in chunks])
    n_sampled = int(sampled.sum())
    country_sampled = pd.Series(country[sampled & ~pd.isna(country)], dtype=object).value_counts().to_dict()
    niche_key = niche_keys(platform, niche)
    niche_sampled = pd.Series(niche_key[sampled & ~pd.isna(niche_key)], dtype=object).value_counts().to_dict()
    peers = AudiencePeers(members=values.members, n_sampled=n_sampled, country_sampled=country_sampled, common={},
                          foreign_peer_median={}, niche_sampled=niche_sampled, inactive_peer_median={},
                          platform_sampled=np.zeros(0), platform_fake_median=np.zeros(0),
                          platform_reachable_median=np.zeros(0))
    country_peer = peers.country_peer(country, min_peers)

    # Common countries / languages per country peer group (and ALL), over the creators with a known value.
    offsets = np.cumsum([0] + [len(c.platform) for c in chunks])
    for dimension in ("country", "language"):
        has = np.zeros(len(platform), bool)
        for c, start in zip(chunks, offsets[:-1]):
            has[c.composition[dimension][0] + start] = True
        has &= sampled
        peer_size = pd.Series(country_peer[has]).value_counts().to_dict()
        peer_size[ALL] = int(has.sum())
        peers.common[dimension] = _common_values(chunks, offsets, dimension, country_peer, peer_size,
                                                 t("foreign_peer_share"))

    # Round two: foreign and fake shares from each creator's row combinations.
    foreign_share = np.full(len(platform), np.nan)
    fake_share = np.full(len(platform), np.nan)
    for c, start in zip(chunks, offsets[:-1]):
        keys, counts, c_uniques, l_uniques = c.combos
        kc, kl = len(c_uniques) + 1, len(l_uniques) + 1
        rest, profile_or_farm = np.divmod(keys, 2)
        rest, dormant = np.divmod(rest, 2)
        rest, l_code = np.divmod(rest, kl)
        creator, c_code = np.divmod(rest, kc)
        n = len(c.platform)
        foreign, known_c, known_l = foreign_rows(creator, c_code - 1, c_uniques, l_code - 1, l_uniques,
                                                 country_peer[start:start + n], c.country, c.language, peers.common)
        known_any = np.bincount(creator, weights=counts * (known_c | known_l), minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            foreign_share[start:start + n] = np.where(
                known_any > 0, np.bincount(creator, weights=counts * foreign, minlength=n) / known_any, np.nan)
            size = np.bincount(creator, weights=counts, minlength=n)
            fake = (profile_or_farm == 1) | (foreign & (dormant == 1))
            fake_share[start:start + n] = np.bincount(creator, weights=counts * fake, minlength=n) / size

    def medians_by_key(key: np.ndarray, values_: np.ndarray, mask: np.ndarray) -> dict:
        """Per peer key: the median of ``values_`` over its creators in ``mask`` (ALL: over all of them)."""
        codes, uniques = pd.factorize(pd.Series(key, dtype=object))
        codes = np.where(key == ALL, -1, codes)
        median = _group_median(values_, codes, mask)
        _, first = np.unique(codes, return_index=True)
        return {key[i]: float(median[i]) for i in first.tolist()}

    peers.foreign_peer_median = medians_by_key(country_peer, foreign_share, sampled & ~np.isnan(foreign_share))
    inactive = np.concatenate([c.inactive_share for c in chunks])
    peers.inactive_peer_median = medians_by_key(peers.niche_peer(platform, niche, min_peers), inactive, sampled)
    n_platforms = len(PLATFORMS)
    reachable = np.concatenate([c.reachable_share for c in chunks])
    peers.platform_sampled = grouped.counts(platform, n_platforms, sampled)
    peers.platform_fake_median = grouped.median(platform, np.where(sampled, fake_share, np.nan), n_platforms)
    peers.platform_reachable_median = grouped.median(platform, np.where(sampled, reachable, np.nan), n_platforms)
    peers.bot_like_keys = np.unique(np.concatenate([c.bot_like_keys for c in chunks]))
    return peers


def signals_with_peers(inputs: ScoringInputs, model: ScoringModel, kind: np.ndarray, size: np.ndarray,
                       peers: AudiencePeers) -> tuple[AudienceSignals, np.ndarray]:
    """:func:`~influencers.scoring.audience_signals.audience_signals` of a range of the
    workspace's creators, judged against the whole workspace's ``peers``."""
    t = model.threshold
    n = inputs.n_creators
    min_peers = int(t("peer_min_creators"))
    creator, member = inputs.sample_creator, inputs.sample_member
    sampled = size > 0
    safe = np.maximum(size, 1)
    youth = youth_members(inputs)
    youth_share = youth_shares(inputs, youth)

    country, language = _column(inputs.country, n), _column(inputs.language, n)
    country_peer = peers.country_peer(country, min_peers)
    foreign_peer_n = np.array([peers.country_sampled[k] if k != ALL else peers.n_sampled
                               for k in country_peer.tolist()], dtype=np.int64)
    codes = []
    for member_values in (inputs.member_country, inputs.member_language):
        if member_values is None:
            codes.append((np.full(len(member), -1, np.int64), np.zeros(0, object)))
        else:
            member_codes, uniques = factorized(member_values)
            codes.append((member_codes[member], uniques))
    (c_code, c_uniques), (l_code, l_uniques) = codes
    foreign, known_c, known_l = foreign_rows(creator, c_code, c_uniques, l_code, l_uniques, country_peer, country,
                                             language, peers.common)
    foreign_share, dormant, foreign_dormant, foreign_dormant_share = foreign_shares(
        creator, foreign, known_c | known_l, kind, youth[member], sampled, safe, n)
    foreign_peer_median = np.array([peers.foreign_peer_median.get(k, np.nan) for k in country_peer.tolist()])

    niche_peer = peers.niche_peer(inputs.platform, _column(inputs.niche, n), min_peers)
    inactive_peer_n = np.array([peers.niche_sampled[k] if k != ALL else peers.n_sampled
                                for k in niche_peer.tolist()], dtype=np.int64)
    inactive_peer_median = np.array([peers.inactive_peer_median.get(k, np.nan) for k in niche_peer.tolist()])

    farm_rows = np.isin(member_ids_of(inputs)[member], peers.members.farm_member_ids)
    farm_share = np.where(sampled, np.bincount(creator, weights=farm_rows, minlength=n) / safe, np.nan)
    unrelated = peers.members.unrelated_of(np.asarray(inputs.creator_ids, dtype=np.int64))
    return AudienceSignals(
        youth_share=youth_share, foreign_share=foreign_share, foreign_dormant_share=foreign_dormant_share,
        foreign_peer_median=foreign_peer_median, foreign_peer_n=foreign_peer_n,
        farm_share=farm_share, farm_unrelated_creators=unrelated,
        inactive_peer_median=inactive_peer_median, inactive_peer_n=inactive_peer_n,
        **dormancy_counts(creator, foreign, known_c | known_l, dormant, youth[member], n),
    ), farm_rows | foreign_dormant


__all__ = ["ALL", "MEMBER_TYPES", "AudiencePeers", "AudienceValues", "CreatorFacts", "MemberStatistics",
           "audience_peers", "foreign_rows", "gather_audience", "member_statistics", "member_statistics_from"]
