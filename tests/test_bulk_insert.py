"""db.bulk_insert_arrays: numeric columns straight from numpy (binary COPY on PostgreSQL)."""
import numpy as np
import pytest
from sqlalchemy import select

from influencers.db import bulk_insert_arrays
from influencers.scoring.store import AudienceShare, CreatorScore


def rows(database):
    with database.transaction(write=False) as session:
        return session.execute(select(AudienceShare.creator_id, AudienceShare.attribute, AudienceShare.share,
                                      AudienceShare.sample_size).order_by(AudienceShare.creator_id)).all()


def test_arrays_are_stored_exactly_as_given(database):
    shares = np.array([1 / 3, 0.1, 0.05, 1.0, 5e-324])  # float bits must survive, down to a denormal
    arrays = {"creator_id": np.array([1, 2, 3, 2**31 - 1, 7]), "attribute": np.array([1000, 2003, 4006, -5, 32767],
                                                                                      dtype=np.int16),
              "share": shares, "sample_size": np.array([200, 3, 0, 1, 2**31 - 1])}
    with database.transaction() as session:
        bulk_insert_arrays(session, AudienceShare.__table__, arrays)
    stored = rows(database)
    assert [r[0] for r in stored] == [1, 2, 3, 7, 2**31 - 1]
    by_creator = {r[0]: r for r in stored}
    for k, creator_id in enumerate(arrays["creator_id"].tolist()):
        assert by_creator[creator_id] == (creator_id, int(arrays["attribute"][k]), float(shares[k]),
                                          int(arrays["sample_size"][k]))


def test_no_rows_is_nothing_to_insert(database):
    empty = np.zeros(0, dtype=np.int64)
    with database.transaction() as session:
        bulk_insert_arrays(session, AudienceShare.__table__, {"creator_id": empty, "attribute": empty,
                                                              "share": np.zeros(0), "sample_size": empty})
    assert rows(database) == []


@pytest.mark.parametrize("column,value", [("creator_id", 2**31), ("attribute", 40000), ("sample_size", -2**31 - 1)])
def test_a_value_out_of_its_columns_range_is_refused_not_wrapped(database, column, value):
    arrays = {"creator_id": np.array([1, 2]), "attribute": np.array([1000, 1001]), "share": np.array([0.5, 0.5]),
              "sample_size": np.array([10, 10])}
    arrays[column] = np.array([arrays[column][0], value])
    with pytest.raises(ValueError, match=f"audience_shares.{column}: values out of the column's range"):
        with database.transaction() as session:
            bulk_insert_arrays(session, AudienceShare.__table__, arrays)
    assert rows(database) == []


def test_only_integer_and_double_columns_are_taken(database):
    with pytest.raises(TypeError, match="creator_scores.model_version"):
        with database.transaction() as session:
            bulk_insert_arrays(session, CreatorScore.__table__, {"model_version": np.array([1])})
