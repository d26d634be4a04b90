"""Audience member attributes are held as integer codes, and the explanations a run writes are
spooled to a temporary file (bounded memory); neither changes what is computed or stored."""
from __future__ import annotations

import numpy as np
import pandas as pd

from influencers.scoring.audience import audience_authenticity
from influencers.scoring.audience_pass import audience_shares
from influencers.scoring.inputs import (
    ScoringInputs,
    coded,
    factorized,
    missing_or_empty,
)
from influencers.scoring.model import DEFAULT_MODEL
from influencers.scoring.writes import ExplanationSpool


def inputs_with(samples: list[list], member_columns: dict | None = None) -> ScoringInputs:
    """One creator per sample (FR creators), each member in one sample: its ``country`` given;
    ``member_columns`` replace or add member attributes (one value per member, in order)."""
    countries = [country for sample in samples for country in sample]
    n = len(countries)
    columns = {"country": countries, **(member_columns or {})}
    return ScoringInputs(
        platform=[0] * len(samples), followers=[10_000] * len(samples), creator_ids=list(range(1, len(samples) + 1)),
        sample_date=[np.datetime64("2026-10-31")] * len(samples), country=["FR"] * len(samples),
        member_followers=[250] * n, member_following=[300] * n, member_posts_count=[120] * n,
        member_created_at=[np.datetime64("2019-05-01")] * n, member_last_post_at=[np.datetime64("2026-10-20")] * n,
        sample_creator=[k for k, sample in enumerate(samples) for _ in sample], sample_member=list(range(n)),
        **{f"member_{name}": values for name, values in columns.items()},
    )


def test_scoring_inputs_hold_member_attributes_as_small_integer_codes():
    inputs = inputs_with([["FR", "FR", None, "DE"]], member_columns={"language": ["fr", "fr", "en", None]})
    for values in (inputs.member_country, inputs.member_language):
        assert isinstance(values, pd.Categorical) and values.codes.dtype.itemsize <= 2
    codes, distinct = factorized(inputs.member_country)
    assert [None if code < 0 else distinct[code] for code in codes.tolist()] == ["FR", "FR", None, "DE"]


def test_unknown_and_empty_values_are_missing_whether_coded_or_not():
    values = ["FR", "", None, "DE", ""]
    expected = [False, True, True, False, True]
    assert missing_or_empty(np.array(values, dtype=object)).tolist() == expected
    assert missing_or_empty(coded(values)).tolist() == expected


def test_coded_and_plain_attributes_give_the_same_audience_results():
    """Shares and the default-2 signals read the codes; a Categorical with other codes for the
    same values (categories in another order, some unused) gives the same figures."""
    countries = ["FR", "FR", "US", None, "FR", "DE", "US", "FR"]
    inputs = inputs_with([countries[:4], countries[4:]])
    shuffled = pd.Categorical(countries, categories=["US", "ZZ", "DE", "FR"])
    other = inputs_with([countries[:4], countries[4:]], member_columns={"country": shuffled})
    assert other.member_country.categories.tolist() == ["US", "ZZ", "DE", "FR"]
    a, b = audience_shares(inputs), audience_shares(other)
    assert a.attribute.tolist() == b.attribute.tolist() and a.share.tolist() == b.share.tolist()
    ra, rb = audience_authenticity(inputs, DEFAULT_MODEL), audience_authenticity(other, DEFAULT_MODEL)
    np.testing.assert_array_equal(ra.signals.foreign_share, rb.signals.foreign_share)
    np.testing.assert_array_equal(ra.fake_share, rb.fake_share)


def test_the_explanation_spool_gives_back_each_document_as_encoded():
    documents = [{"creator_id": k, "note": "line one\nline two", "handle": "ça va ✓", "value": k / 3}
                 for k in range(2500)]
    with ExplanationSpool() as spool:
        spool.extend(documents[:1000])
        first = list(spool)
        spool.extend(documents[1000:])  # appending after a read continues at the end
        texts = list(spool)
    assert len(first) == 1000 and len(texts) == len(documents) == len(spool)
    import json

    assert [json.loads(text) for text in texts] == documents
