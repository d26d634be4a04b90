"""The tiny hand-made import of tests/overlap_api (see its docstring) is reused here."""
import pytest

from tests.overlap_api.conftest import creator_ids, import_records, tiny_records


@pytest.fixture
def tiny(api):
    import_records(api, tiny_records())
    return creator_ids(api)
