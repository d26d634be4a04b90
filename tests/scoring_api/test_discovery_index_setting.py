"""``INFLUENCERS_DISCOVERY_INDEX_MIN_CREATORS`` is a setting like the others: read by
``load_settings`` (not at import), and the app's settings decide which workspaces are indexed."""
import pytest

from influencers.app import create_app
from influencers.config import Settings, load_settings
from influencers.discovery import index as discovery_index
from tests.fixtures.api import ApiClient
from tests.fixtures.database import TEST_SECRET
from tests.fixtures.scoring import import_demo, run_scoring


@pytest.mark.parametrize(("raw", "expected"), [("", 2000), ("off", None), ("5", 5)])
def test_the_threshold_is_read_with_the_other_settings(monkeypatch, tmp_path, raw, expected):
    monkeypatch.setenv("INFLUENCERS_DISCOVERY_INDEX_MIN_CREATORS", raw)
    settings = load_settings(database_url=f"sqlite:///{tmp_path}/x.db", pseudonym_secret=b"x")
    assert settings.discovery_index_min_creators == expected


@pytest.mark.parametrize(("threshold", "indexed"), [(10, True), (13, False), (None, False)])
def test_the_apps_settings_decide_whether_a_workspace_is_searched_from_an_index(
        api, database, monkeypatch, threshold, indexed):
    monkeypatch.setattr(discovery_index, "BUILD_IN_BACKGROUND", False)
    import_demo(api, creators=12, seed=1)
    run_scoring(api)
    settings = Settings(database_url=database.url, pseudonym_secret=TEST_SECRET,
                        discovery_index_min_creators=threshold)
    client = ApiClient(create_app(settings, database=database).test_client(), api.key, api.workspace_id)
    response = client.get("/v1/discovery/creators?sort=-score&page_size=100")
    assert response.status_code == 200, response.json
    assert len(response.json) == 12
    held = discovery_index.cache_for(database).slot(api.workspace_id).index
    assert (held is not None) is indexed
