"""Audience attributes ("country FR", "age_range 18-24") as small integer codes.

``audience_shares`` holds one row per creator and attribute (~750,000 rows at 20,000
creators, rewritten by a workspace's first scoring run) and discovery filters on it by
attribute and share. Stored as one ``smallint`` instead of two strings, its rows and
both of its indexes are narrower and compare integers instead of collated text.

The coding is a pure function, no lookup table: every stored member value is
validated at import (:mod:`influencers.imports.records`: ISO 3166-1 alpha-2 country,
ISO 639-1 language, gender and age range from fixed lists), so

* country ``XY`` -> 1000 + 26 x (X - 'A') + (Y - 'A')   (1000..1675)
* language ``xy`` -> 2000 + 26 x (x - 'a') + (y - 'a')  (2000..2675)
* gender -> 3000 + its index in :data:`GENDERS`; age range -> 4000 + its index in
  :data:`AGE_RANGES` (both lists may gain values at their end, never reorder).

A value outside these rules has no code (``None`` / -1).
"""
from __future__ import annotations

import numpy as np

from influencers.creators.models import AGE_RANGES, GENDERS

AUDIENCE_DIMENSIONS = ("country", "language", "gender", "age_range")
_BLOCK = 1000
_LETTER_BASE = {"country": ord("A"), "language": ord("a")}
_ENUMS = {"gender": GENDERS, "age_range": AGE_RANGES}


def _base(dimension: str) -> int:
    return (AUDIENCE_DIMENSIONS.index(dimension) + 1) * _BLOCK


def attribute_code(dimension: str, value: str) -> int | None:
    """The code of ``dimension`` = ``value``, or None if the value cannot be a stored one."""
    if dimension in _ENUMS:
        values = _ENUMS[dimension]
        return _base(dimension) + values.index(value) if value in values else None
    if dimension not in _LETTER_BASE:
        raise ValueError(f"unknown audience dimension {dimension!r}")
    first = _LETTER_BASE[dimension]
    if len(value) != 2 or not all(first <= ord(ch) < first + 26 for ch in value):
        return None
    return _base(dimension) + 26 * (ord(value[0]) - first) + (ord(value[1]) - first)


def attribute_codes(dimension: str, values) -> np.ndarray:
    """:func:`attribute_code` of each of ``values`` (distinct values, e.g. factorised): int16, -1 for none."""
    return np.array([-1 if (code := attribute_code(dimension, str(v))) is None else code for v in values],
                    dtype=np.int16)


def attribute_of(code: int) -> tuple[str, str]:
    """(dimension, value) of a code made by :func:`attribute_code`."""
    block, offset = divmod(int(code), _BLOCK)
    if not 1 <= block <= len(AUDIENCE_DIMENSIONS):
        raise ValueError(f"not an audience attribute code: {code}")
    dimension = AUDIENCE_DIMENSIONS[block - 1]
    if dimension in _ENUMS:
        return dimension, _ENUMS[dimension][offset]
    first = _LETTER_BASE[dimension]
    return dimension, chr(first + offset // 26) + chr(first + offset % 26)


def dimension_codes(dimension: str) -> tuple[int, int]:
    """[low, high) of the codes of one dimension (for "every row of this dimension")."""
    base = _base(dimension)
    return base, base + _BLOCK
