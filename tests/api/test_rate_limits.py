"""Rate limits as the README documents them: per API key over all endpoints, Retry-After only on 429,
failed authentication limited per client address, and a limiter whose storage is down fails open."""
import logging

from influencers.app import create_app
from influencers.config import Settings
from tests.fixtures.api import make_workspace
from tests.fixtures.database import TEST_SECRET


def _client(database, **settings):
    app = create_app(Settings(database_url=database.url, pseudonym_secret=TEST_SECRET, **settings), database=database)
    return app.test_client()


def test_retry_after_only_on_429(database):
    client = _client(database, rate_limit="2/minute")
    _, key = make_workspace(database, "ra")
    headers = {"Authorization": f"Bearer {key}"}
    ok = client.get("/v1/creators", headers=headers)
    assert ok.status_code == 200 and "Retry-After" not in ok.headers
    assert "X-RateLimit-Remaining" in ok.headers
    client.get("/v1/creators", headers=headers)
    limited = client.get("/v1/creators", headers=headers)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0


def test_the_limit_is_per_key_across_endpoints(database):
    client = _client(database, rate_limit="3/minute")
    _, key = make_workspace(database, "per-key")
    _, other_key = make_workspace(database, "per-key", role="viewer")
    headers = {"Authorization": f"Bearer {key}"}
    statuses = [client.get(url, headers=headers).status_code
                for url in ("/v1/creators", "/v1/workspace", "/v1/campaigns", "/v1/shortlists")]
    assert statuses == [200, 200, 200, 429]
    # Another key has its own budget.
    assert client.get("/v1/creators", headers={"Authorization": f"Bearer {other_key}"}).status_code == 200


def test_failed_authentication_is_limited_per_address(database):
    client = _client(database, auth_failure_limit="5/minute")
    _, key = make_workspace(database, "auth")
    bad = [client.get("/v1/creators", headers={"Authorization": f"Bearer inf_{i:012x}_nope"}).status_code
           for i in range(5)]
    assert bad == [401] * 5
    blocked = client.get("/v1/creators", headers={"Authorization": "Bearer inf_000000000000_again"})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert blocked.json["code"] == 429
    # While the address is blocked no key is tried at all (a brute force learns nothing).
    assert client.get("/v1/creators", headers={"Authorization": f"Bearer {key}"}).status_code == 429
    other_address = client.get("/v1/creators", headers={"Authorization": f"Bearer {key}"},
                               environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert other_address.status_code == 200


def test_rate_limit_storage_down_fails_open_with_a_warning(database, caplog):
    client = _client(database, rate_limit_storage_url="redis://127.0.0.1:1/0")
    _, key = make_workspace(database, "redis-down")
    headers = {"Authorization": f"Bearer {key}"}
    with caplog.at_level(logging.WARNING):
        responses = [client.get("/v1/creators", headers=headers) for _ in range(3)]
        bad = client.get("/v1/creators", headers={"Authorization": "Bearer inf_000000000000_nope"})
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert bad.status_code == 401
    assert any("storage" in r.getMessage().lower() for r in caplog.records if r.levelno >= logging.WARNING)


def test_counting_requests_starts_no_thread(database, monkeypatch):
    """The in-memory limiter expires its windows as it counts, not with a timer thread per request."""
    import threading
    import time

    client = _client(database, rate_limit="1000/minute")
    _, key = make_workspace(database, "threads")
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/v1/creators", headers=headers).status_code == 200
    started = []
    original_start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda thread: (started.append(thread), original_start(thread)))
    for _ in range(5):
        time.sleep(0.03)  # longer than the idle life of the storage's expiry timer
        assert client.get("/v1/creators", headers=headers).status_code == 200
    assert started == []


def test_an_expired_window_starts_afresh_and_is_forgotten(database, monkeypatch):
    import time

    from influencers.api.rate_limits import SweepingMemoryStorage

    now = [1_000_000.0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    storage = SweepingMemoryStorage()
    assert storage.incr("key:a", expiry=60) == 1
    assert storage.incr("key:a", expiry=60) == 2
    now[0] += 61
    assert storage.incr("key:b", expiry=60) == 1  # a count made after the sweep interval sweeps
    assert "key:a" not in storage.storage
    assert storage.incr("key:a", expiry=60) == 1


def test_which_limits_apply_is_worked_out_once_per_endpoint(database, monkeypatch):
    """flask-limiter's resolution of a request's limits is kept per endpoint, not redone per request."""
    from flask_limiter._manager import LimitManager

    calls = []
    resolve = LimitManager.resolve_limits

    def counted(self, *args, **kwargs):
        calls.append(args)
        return resolve(self, *args, **kwargs)

    monkeypatch.setattr(LimitManager, "resolve_limits", counted)
    client = _client(database, rate_limit="1000/minute")
    _, key = make_workspace(database, "resolved")
    headers = {"Authorization": f"Bearer {key}"}
    assert [client.get("/v1/creators", headers=headers).status_code for _ in range(5)] == [200] * 5
    assert len(calls) == 1
    assert client.get("/v1/workspace", headers=headers).status_code == 200
    assert len(calls) == 2


def test_a_limit_or_exemption_declared_later_applies_at_once(database):
    client = _client(database, rate_limit="2/minute")
    _, key = make_workspace(database, "declared")
    headers = {"Authorization": f"Bearer {key}"}
    assert [client.get("/v1/creators", headers=headers).status_code for _ in range(3)] == [200, 200, 429]
    limiter = next(iter(client.application.extensions["limiter"]))
    limiter.exempt(client.application.view_functions["creators.list_creators"])
    assert client.get("/v1/creators", headers=headers).status_code == 200
    assert client.get("/v1/workspace", headers=headers).status_code == 429
