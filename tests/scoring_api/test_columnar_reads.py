"""On PostgreSQL a scoring run reads its inputs as Arrow columns through ADBC
(:mod:`influencers.columnar`): the same values as through psycopg, from the same snapshot."""
import dataclasses
import datetime as dt

import adbc_driver_manager
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy import select

from influencers.columnar import _numpy_column, columnar_reader, columnar_reads
from influencers.creators.models import Creator, Post
from influencers.scoring.audience_worker import begin_snapshot
from influencers.scoring.loader import load_inputs
from tests.fixtures.scoring import import_demo


def test_arrow_columns_become_what_the_loader_converts():
    ints = _numpy_column(pa.chunked_array([[1, 2], [3]], pa.int32()))
    assert ints.dtype == np.int64 and ints.tolist() == [1, 2, 3]
    with_null = _numpy_column(pa.chunked_array([[5, None]], pa.int64()))
    assert with_null.dtype == float and with_null[0] == 5 and np.isnan(with_null[1])
    floats = _numpy_column(pa.chunked_array([[0.5, None]], pa.float64()))
    assert floats[0] == 0.5 and np.isnan(floats[1])
    bools = _numpy_column(pa.chunked_array([[True, None, False]]))
    assert bools.tolist() == [True, None, False]
    countries = _numpy_column(pa.chunked_array([["FR", None], ["FR", "DE"] * 20]))
    assert countries.dtype == object and countries[:4].tolist() == ["FR", None, "FR", "DE"]
    keys = _numpy_column(pa.chunked_array([["a", "b", None, "c"]]))  # all distinct: value by value
    assert keys.tolist() == ["a", "b", None, "c"]
    dates = _numpy_column(pa.chunked_array([[dt.date(2026, 10, 15), None]]))
    assert dates.dtype == "datetime64[D]" and str(dates[0]) == "2026-10-15" and np.isnat(dates[1])
    stamps = _numpy_column(pa.chunked_array(
        [[dt.datetime(2026, 10, 1, 21, 59, 59, 999999, tzinfo=dt.UTC)]], pa.timestamp("us", tz="UTC")))
    assert str(stamps[0]) == "2026-10-01T21:59:59.999999"


def _postgresql_only(database):
    if database.is_sqlite:
        pytest.skip("SQLite's driver reads in C: no columnar reader there")


def test_sqlite_has_no_columnar_reader(database):
    if not database.is_sqlite:
        pytest.skip("SQLite behaviour")
    with database.transaction(write=False) as session, columnar_reads(session) as reader:
        assert reader is None and columnar_reader(session) is None


def test_columnar_inputs_equal_the_drivers_field_by_field(api, database):
    _postgresql_only(database)
    import_demo(api, creators=30, seed=4)
    with database.transaction(write=False) as session:
        begin_snapshot(session)
        by_driver = load_inputs(session, api.workspace_id)
        with columnar_reads(session) as reader:
            assert columnar_reader(session) is reader is not None
            columnar = load_inputs(session, api.workspace_id)
        assert columnar_reader(session) is None
    assert columnar.n_creators == 30 and len(columnar.sample_member) > 1000
    for field in dataclasses.fields(columnar):
        ours, theirs = getattr(columnar, field.name), getattr(by_driver, field.name)
        if isinstance(ours, np.ndarray):
            assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, field.name
            if ours.dtype.kind in "fM":
                assert np.array_equal(ours, theirs, equal_nan=True), field.name
            else:
                assert ours.tolist() == theirs.tolist(), field.name
        elif isinstance(ours, pd.Categorical):  # coded member attributes: the same values
            assert [None if pd.isna(v) else v for v in ours] == [None if pd.isna(v) else v for v in theirs], field.name
        else:
            assert ours == theirs, field.name


def test_the_columnar_reader_reads_the_sessions_snapshot(api, database):
    """Rows committed after the session's snapshot began are invisible to its reader too,
    although the reader's connection opens after that commit."""
    _postgresql_only(database)
    import_demo(api, creators=3, seed=5)
    with database.transaction(write=False) as session:
        begin_snapshot(session)
        seen = session.scalars(select(Creator.id).where(Creator.workspace_id == api.workspace_id)).all()
        with database.transaction() as writer:
            late = Creator(workspace_id=api.workspace_id, platform="instagram", handle="late", followers=5)
            writer.add(late)
            writer.flush()
            writer.add(Post(workspace_id=api.workspace_id, creator_id=late.id, platform="instagram",
                            external_id="late-post", likes=1, comments=0,
                            published_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC)))
        with columnar_reads(session) as reader:
            inputs = load_inputs(session, api.workspace_id)
        assert sorted(inputs.creator_ids.tolist()) == sorted(seen) and len(seen) == 3
        assert "late-post" not in inputs.post_external_id.tolist()
    with pytest.raises(adbc_driver_manager.ProgrammingError, match="INVALID_STATE"):
        reader.columns("SELECT 1")  # the block closed the reader's connection


def test_a_failing_read_closes_the_reader_and_leaves_the_session_usable(api, database):
    _postgresql_only(database)
    import_demo(api, creators=2, seed=5)
    with database.transaction(write=False) as session:
        begin_snapshot(session)
        with pytest.raises(adbc_driver_manager.ProgrammingError, match="no_such_table"):
            with columnar_reads(session) as reader:
                reader.columns("SELECT * FROM no_such_table")
        assert columnar_reader(session) is None
        assert len(load_inputs(session, api.workspace_id).creator_ids) == 2
