"""The loader's date conversions give the same datetime64 values from psycopg's objects as from SQLite's strings."""
import datetime as dt

import numpy as np

from influencers.scoring.loader import _days, _utc


def test_days_from_date_objects_match_iso_strings():
    dates = [dt.date(2024, 2, 29), None, dt.date(1969, 12, 31), dt.date(2031, 1, 1)]
    strings = [None if d is None else d.isoformat() for d in dates]
    expected = np.array(strings, dtype="datetime64[D]")
    assert np.array_equal(_days(dates), expected, equal_nan=True)
    assert np.array_equal(_days(strings), expected, equal_nan=True)
    assert np.isnat(_days([None, None])).all() and len(_days([])) == 0


def test_utc_from_aware_and_naive_datetimes_match_utc_strings():
    paris = dt.timezone(dt.timedelta(hours=2))
    stamps = [dt.datetime(2024, 6, 1, 1, 30, 59, 999999, tzinfo=paris), None,
              dt.datetime(2024, 6, 1, 0, 0, 0, 1, tzinfo=dt.UTC), dt.datetime(1969, 12, 31, 23, 59, 59, 500000)]
    utc = [None if t is None else (t.astimezone(dt.UTC).replace(tzinfo=None) if t.tzinfo else t)
           for t in stamps]
    strings = [None if t is None else t.isoformat(" ") for t in utc]
    for unit in ("s", "D", "us"):
        expected = np.array(strings, dtype="datetime64[us]").astype(f"datetime64[{unit}]")
        assert np.array_equal(_utc(stamps, unit), expected, equal_nan=True), unit
        assert np.array_equal(_utc(strings, unit), expected, equal_nan=True), unit
