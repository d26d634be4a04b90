"""An app rebound to another database (how the tests share one app per process) behaves as a new one:
it serves the new database's keys and data, forgets the old keys, and starts with no rate-limit counts."""
import pytest

from influencers.app import create_app, rebind
from influencers.config import Settings
from tests.fixtures.api import make_workspace
from tests.fixtures.database import TEST_SECRET, open_database


def test_a_rebound_app_serves_only_the_new_database_and_counts_afresh(database, tmp_path):
    settings = Settings(database_url=database.url, pseudonym_secret=TEST_SECRET, rate_limit="2/minute")
    app = create_app(settings, database=database)
    client = app.test_client()
    _, old_key = make_workspace(database, "old")
    old = {"Authorization": f"Bearer {old_key}"}
    assert [client.get("/v1/workspace", headers=old).status_code for _ in range(3)] == [200, 200, 429]

    (tmp_path / "other").mkdir()
    with open_database(tmp_path / "other") as other:
        _, new_key = make_workspace(other, "new")
        rebind(app, Settings(database_url=other.url, pseudonym_secret=TEST_SECRET, rate_limit="2/minute"), other)
        new = {"Authorization": f"Bearer {new_key}"}
        answered = client.get("/v1/workspace", headers=new)
        assert answered.status_code == 200 and answered.json["name"] == "new"
        # The old key was cached by the app and counted against its limit; neither survives.
        assert client.get("/v1/workspace", headers=old).status_code == 401
        assert client.get("/v1/workspace", headers=new).status_code == 200


def test_rebinding_refuses_settings_the_app_was_not_built_with(database):
    settings = Settings(database_url=database.url, pseudonym_secret=TEST_SECRET)
    app = create_app(settings, database=database)
    with pytest.raises(ValueError, match="database_url, upload_dir"):
        rebind(app, Settings(database_url=database.url, pseudonym_secret=TEST_SECRET, rate_limit="1/minute"), database)
