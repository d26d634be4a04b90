"""Theta sketches against exact sets: estimates within their bounds, serialisation, parameters."""
from __future__ import annotations

import numpy as np
import pytest

from influencers.overlap import (
    AudienceSketch,
    build_sketch,
    difference_estimate,
    incidence_from_samples,
    intersection_estimate,
    jaccard_estimate,
    overlap_report,
    sketch_overlap,
    sketch_unique_reach,
    union_estimate,
    union_sketch,
)


def within(est, exact, slack=0.0):
    return est.lower - slack <= exact <= est.upper + slack


def test_small_sets_are_exact():
    a, b = {f"k{i}" for i in range(50)}, {f"k{i}" for i in range(30, 90)}
    sa, sb = build_sketch(sorted(a)), build_sketch(sorted(b))
    assert sa.estimate().exact and sa.estimate().estimate == 50
    assert union_estimate([sa, sb]).estimate == len(a | b)
    assert intersection_estimate([sa, sb]).estimate == len(a & b)
    assert difference_estimate(sa, sb).estimate == len(a - b)
    assert jaccard_estimate(sa, sb).estimate == pytest.approx(len(a & b) / len(a | b))


@pytest.mark.parametrize("seed", range(3))
def test_large_sets_within_bounds(seed):
    rng = np.random.default_rng(seed)
    a = set(rng.choice(10**9, 60_000, replace=False).tolist())
    b = set(list(a)[:25_000]) | set(rng.choice(10**9, 40_000, replace=False).tolist())
    c = set(list(b)[:10_000]) | set(rng.choice(10**9, 20_000, replace=False).tolist())
    sa, sb, sc = (build_sketch(np.array(sorted(s), dtype=np.int64), lg_k=11) for s in (a, b, c))
    assert not sa.estimate().exact
    assert within(sa.estimate(3), len(a))
    assert within(union_estimate([sa, sb, sc], 3), len(a | b | c))
    assert within(intersection_estimate([sa, sb], 3), len(a & b))
    assert within(difference_estimate(sa, sb, 3), len(a - b))
    j = jaccard_estimate(sa, sb)
    assert j.lower - 0.02 <= len(a & b) / len(a | b) <= j.upper + 0.02
    ov = sketch_overlap([sa, sb, sc], num_std_devs=3)
    assert ov.shared_lower[0, 1] <= len(a & b) <= ov.shared_upper[0, 1]
    assert ov.unique[2].lower <= len(c - a - b) <= ov.unique[2].upper
    assert ov.containment[2, 1] == pytest.approx(len(b & c) / len(c), abs=0.05)


def test_serialisation_roundtrip_keeps_parameters():
    s = build_sketch([f"m{i}" for i in range(20_000)], lg_k=10, seed=12345)
    data = s.to_bytes()
    assert isinstance(data, bytes) and data[:4] == b"IFTS"
    back = AudienceSketch.from_bytes(data)
    assert (back.lg_k, back.seed) == (10, 12345)
    assert back.estimate().estimate == s.estimate().estimate
    assert AudienceSketch.from_bytes(s.to_bytes(compress=True)).estimate().estimate == s.estimate().estimate
    empty = AudienceSketch.from_bytes(build_sketch([]).to_bytes())
    assert empty.estimate().estimate == 0


def test_bad_bytes_and_mixed_seeds_rejected():
    s = build_sketch(["a", "b"], seed=1)
    t = build_sketch(["b", "c"], seed=2)
    with pytest.raises(ValueError):
        union_estimate([s, t])
    with pytest.raises(ValueError):
        AudienceSketch.from_bytes(b"nope" + s.to_bytes()[4:])
    with pytest.raises(ValueError):
        AudienceSketch.from_bytes(b"IF")
    forged = bytearray(s.to_bytes())
    forged[6:14] = (99).to_bytes(8, "little")  # claim another seed: the sketch's seed hash disagrees
    with pytest.raises(ValueError):
        AudienceSketch.from_bytes(bytes(forged))
    with pytest.raises(ValueError):
        build_sketch(["a"], lg_k=2)


def test_unique_reach_matches_exact_report_in_exact_mode():
    samples = {"a": [f"m{i}" for i in range(0, 40)], "b": [f"m{i}" for i in range(30, 60)],
               "c": [f"m{i}" for i in range(55, 70)]}
    followers = [4000.0, 900.0, 3000.0]
    fake = [0.1, 0.0, 0.3]
    exact = overlap_report(incidence_from_samples(samples), followers, fake_share=fake, n_boot=0)
    sketches = [build_sketch(v) for v in samples.values()]
    est = sketch_unique_reach(sketches, followers, fake_share=fake,
                              sample_sizes=[len(v) for v in samples.values()])
    assert est.exact
    assert est.estimate == pytest.approx(exact.authentic_reach.unique_reach)
    ov = sketch_overlap(sketches)
    assert ov.shared == pytest.approx(exact.pairwise.shared)
    assert ov.unique_share == pytest.approx(exact.unique_share)
    assert ov.union.estimate == exact.distinct_members
    assert union_sketch(sketches).estimate().estimate == exact.distinct_members


def test_unique_reach_within_bounds_in_estimation_mode():
    rng = np.random.default_rng(5)
    pool = np.arange(400_000)
    samples = [rng.choice(pool[i * 50_000:i * 50_000 + 150_000], 30_000, replace=False) for i in range(5)]
    followers = np.array([3e6, 1e6, 5e5, 2e6, 8e5])
    exact = overlap_report(incidence_from_samples(samples), followers, n_boot=0).authentic_reach.unique_reach
    est = sketch_unique_reach([build_sketch(s, lg_k=12) for s in samples], followers,
                              sample_sizes=[30_000] * 5, num_std_devs=3)
    assert not est.exact
    assert est.lower <= exact <= est.upper
    assert est.estimate == pytest.approx(exact, rel=0.05)


def test_member_sketch_keys_are_the_first_64_bits_of_the_hex_key():
    from influencers.overlap.sketch import member_sketch_keys

    keys = ["0" * 15 + "1" + "f" * 16, "f" * 16 + "0" * 16, "7" + "f" * 15 + "0" * 16]
    assert member_sketch_keys(keys).tolist() == [1, -1, 2 ** 63 - 1]
    assert member_sketch_keys(np.array(keys, dtype=object)).dtype == np.int64
    assert member_sketch_keys([]).tolist() == []


def test_member_sketch_keys_of_other_forms_are_hashed_the_same_in_any_batch():
    from influencers.overlap.sketch import member_sketch_keys

    hex_keys = [f"{i * 0x9E3779B97F4A7C15 % 2 ** 64:016x}{i:016x}" for i in range(1, 6)]
    others = ["late-member-key", "g" * 32, "ab" * 15 + " a", ""]
    mixed = member_sketch_keys(hex_keys + others)
    # The hex keys keep their integers when other keys share the batch (each key alone too).
    assert mixed[:5].tolist() == member_sketch_keys(hex_keys).tolist()
    assert [member_sketch_keys([k])[0] for k in hex_keys + others] == mixed.tolist()
    # Other keys: distinct, stable integers.
    assert len(set(mixed.tolist())) == len(mixed)
    assert member_sketch_keys(others).tolist() == mixed[5:].tolist()


def test_a_sketch_batch_sketches_each_creator_s_share_of_the_keys():
    from influencers.scoring.audience_pass import SketchBatch

    keys = np.arange(1, 11, dtype=np.int64) * 1_000_003
    batch = SketchBatch.build([7, 8, 9], [70, 80, 90], ["2026-10-01"] * 3, keys, [3, 0, 7])
    assert batch.member_counts.tolist() == [3, 0, 7]
    assert batch.blobs == [build_sketch(keys[:3]).to_bytes(), build_sketch([]).to_bytes(),
                           build_sketch(keys[3:]).to_bytes()]
    assert AudienceSketch.from_bytes(batch.blobs[2]).estimate().estimate == 7
    with pytest.raises(ValueError, match="member_counts"):
        SketchBatch.build([7, 8], [70, 80], ["2026-10-01"] * 2, keys, [3, 3])
    with pytest.raises(ValueError, match="member_counts"):
        SketchBatch.build([7, 8], [70, 80], ["2026-10-01"] * 2, keys, [12, -2])
