"""Brand-aware discovery filters (also in the optimiser's search) and the campaigns' exclusivity warning."""
import datetime as dt

import pytest

from tests.fixtures.brands import create_brand, creator, creator_ids, import_records, post, set_reach

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def ago(days: int) -> str:
    return (NOW - dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def day(days: int) -> str:
    return (NOW.date() - dt.timedelta(days=days)).isoformat()


def snapshot(handle, days, followers):
    return {"type": "snapshot", "platform": "instagram", "handle": handle, "date": day(days), "followers": followers}


@pytest.fixture
def world(api, database):
    import_records(
        api, creator("alice", email="alice@example.com"), creator("bob"), creator("carol"), creator("dave"),
        post("a1", "alice", ago(10), "loving my Beta Shoes", sponsored=True),
        post("b1", "bob", ago(5), "acme is great"),
        post("c1", "carol", ago(100), "#acme gifted", sponsored=True),
        post("d1", "dave", ago(3), "nothing to see"),
        snapshot("alice", 29, 1000), snapshot("alice", 10, 1100), snapshot("alice", 0, 1200),
        snapshot("bob", 20, 1000), snapshot("bob", 0, 950),
        snapshot("carol", 0, 5000),
        snapshot("dave", 80, 100), snapshot("dave", 40, 150), snapshot("dave", 1, 300),
    )
    ids = creator_ids(api)
    set_reach(database, api.workspace_id, {i: 100 for i in ids.values()})
    beta = create_brand(api, name="Beta", keywords=["beta shoes"])
    acme = create_brand(api, name="Acme", hashtags=["acme"], keywords=["acme"], competitor_ids=[beta["id"]])
    return {"ids": ids, "acme": acme, "beta": beta}


def search(api, query):
    response = api.get(f"/v1/discovery/creators?{query}")
    assert response.status_code == 200, response.json
    return sorted(c["handle"] for c in response.json)


def test_mentions_brand_within_days_and_kind(api, world):
    assert search(api, "mentions_brand=acme") == ["bob"]
    assert search(api, "mentions_brand=ACME&mention_within_days=120") == ["bob", "carol"]
    assert search(api, "mentions_brand=acme&mention_within_days=120&mention_kind=sponsored") == ["carol"]
    assert search(api, "mentions_brand=acme&mention_within_days=120&mention_kind=organic") == ["bob"]
    bad = api.get("/v1/discovery/creators?mentions_brand=nobody")
    assert bad.status_code == 422 and "mentions_brand" in bad.json["errors"]["query"]


def test_not_sponsored_by_a_brand_or_its_competitor_group(api, world):
    assert search(api, "not_sponsored_by=beta") == ["bob", "carol", "dave"]
    assert search(api, "not_sponsored_by_group=acme") == ["bob", "carol", "dave"]
    assert search(api, "not_sponsored_by_group=acme&sponsored_within_days=365") == ["bob", "dave"]
    assert search(api, "not_sponsored_by=acme") == ["alice", "bob", "carol", "dave"]


def test_has_contact_and_growth(api, world):
    assert search(api, "has_contact=true") == ["alice"]
    assert search(api, "has_contact=false") == ["bob", "carol", "dave"]
    assert search(api, "min_growth_30d=0.1") == ["alice"]
    assert search(api, "max_growth_30d=0") == ["bob"]
    assert search(api, "min_growth_90d=1.5") == ["dave"]      # 100 -> 300 over 80 days
    rows = {c["handle"]: c for c in api.get("/v1/discovery/creators?min_growth_30d=0.1").json}
    growth = rows["alice"]["growth"]
    assert growth["growth_30d"] == pytest.approx(0.2) and growth["snapshots_30d"] == 3
    everyone = {c["handle"]: c["growth"] for c in api.get("/v1/discovery/creators").json}
    assert everyone["carol"]["growth_30d"] is None and everyone["carol"]["snapshots_30d"] == 1
    assert api.get("/v1/discovery/creators?min_growth_30d=abc").status_code == 422


def test_growth_window_bounds_count_only_snapshots_inside_the_window(api, database):
    """The window includes the snapshot exactly N days old and nothing older: an older snapshot is
    neither the earliest nor counted; a zero earliest count never passes; both bounds inclusive."""
    import_records(
        api, creator("edge"), creator("lonely"), creator("zero"),
        snapshot("edge", 31, 10), snapshot("edge", 30, 1000), snapshot("edge", 0, 1500),
        snapshot("lonely", 45, 1000), snapshot("lonely", 31, 1000), snapshot("lonely", 2, 5000),
        snapshot("zero", 30, 0), snapshot("zero", 0, 100),
    )
    set_reach(database, api.workspace_id, {i: 100 for i in creator_ids(api).values()})
    assert search(api, "min_growth_30d=0.5&max_growth_30d=0.5") == ["edge"]
    assert search(api, "min_growth_30d=-1") == ["edge"]
    assert search(api, "min_growth_90d=-1") == ["edge", "lonely"]
    assert search(api, "max_growth_90d=4") == ["lonely"]   # 1000 -> 5000; edge over 90 days: 10 -> 1500
    assert search(api, "max_growth_90d=149") == ["edge", "lonely"]
    assert search(api, "max_growth_90d=148.9") == ["lonely"]


def test_the_optimiser_search_takes_the_same_filters(api, world):
    response = api.post("/v1/shortlist-optimisations", json={
        "search": {"not_sponsored_by_group": "acme", "has_contact": False, "limit": 50}, "k": 1,
        "platform": "instagram"})
    assert response.status_code == 200, response.json
    assert response.json["candidates"] == 3
    bad = api.post("/v1/shortlist-optimisations", json={"search": {"mentions_brand": "nobody"}, "k": 1})
    assert bad.status_code == 422


def test_adding_a_creator_sponsored_by_a_competitor_within_the_window_warns(api, world):
    campaign = api.post("/v1/campaigns", json={"name": "Spring", "brand": "Acme", "objective": "awareness",
                                               "budget_minor": 100000, "currency": "EUR"}).json
    brief = api.post(f"/v1/campaigns/{campaign['id']}/briefs", json={"message": "Go", "exclusivity_days": 30})
    assert brief.status_code == 201, brief.json
    assert brief.json["exclusivity_days"] == 30
    ids = world["ids"]
    added = api.post(f"/v1/campaigns/{campaign['id']}/creators", json={"creator_id": ids["alice"]})
    assert added.status_code == 201
    (warning,) = added.json["exclusivity_warnings"]
    assert warning["brand"] == "Beta" and [p["external_id"] for p in warning["posts"]] == ["a1"]
    assert "Beta" in warning["message"] and "a1" in warning["message"]
    clean = api.post(f"/v1/campaigns/{campaign['id']}/creators", json={"creator_id": ids["bob"]})
    assert clean.status_code == 201 and clean.json["exclusivity_warnings"] == []
    bulk = api.post(f"/v1/campaigns/{campaign['id']}/creators/bulk",
                    json={"creator_ids": [ids["carol"], ids["dave"]]})
    assert bulk.status_code == 201 and bulk.json["exclusivity_warnings"] == []
    short = api.post("/v1/campaigns", json={"name": "Other", "brand": "Acme", "objective": "awareness",
                                            "budget_minor": 1, "currency": "EUR"}).json
    api.post(f"/v1/campaigns/{short['id']}/briefs", json={"message": "Go", "exclusivity_days": 5})
    later = api.post(f"/v1/campaigns/{short['id']}/creators", json={"creator_id": ids["alice"]})
    assert later.status_code == 201 and later.json["exclusivity_warnings"] == []   # a1 is 10 days old
