"""Audience attribute codes: every value the import accepts has one, distinct, and decodes back."""
import itertools
import string

import numpy as np

from influencers.creators.models import AGE_RANGES, GENDERS
from influencers.scoring.attributes import attribute_code, attribute_codes, attribute_of, dimension_codes


def every_storable_value():
    yield from (("country", a + b) for a, b in itertools.product(string.ascii_uppercase, repeat=2))
    yield from (("language", a + b) for a, b in itertools.product(string.ascii_lowercase, repeat=2))
    yield from (("gender", g) for g in GENDERS)
    yield from (("age_range", a) for a in AGE_RANGES)


def test_every_storable_value_has_its_own_code_that_decodes_back():
    codes = {}
    for dimension, value in every_storable_value():
        code = attribute_code(dimension, value)
        assert code is not None and -2 ** 15 <= code < 2 ** 15          # a smallint
        low, high = dimension_codes(dimension)
        assert low <= code < high
        assert attribute_of(code) == (dimension, value)
        codes[code] = (dimension, value)
    assert len(codes) == 2 * 26 * 26 + len(GENDERS) + len(AGE_RANGES)


def test_values_the_import_rejects_have_no_code():
    for dimension, value in [("country", "fr"), ("country", "FRA"), ("country", "É1"), ("language", "FR"),
                             ("language", "eng"), ("gender", "Female"), ("age_range", "18-25"), ("country", "")]:
        assert attribute_code(dimension, value) is None, (dimension, value)
    assert attribute_codes("country", np.array(["FR", "xx", "DE"], dtype=object)).tolist() == [
        attribute_code("country", "FR"), -1, attribute_code("country", "DE")]
