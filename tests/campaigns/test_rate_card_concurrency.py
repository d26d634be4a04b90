"""Publishing EMV rate cards at the same time: one version per distinct card, and clean answers."""
from sqlalchemy import select

from influencers.campaigns.models import EmvRateCard
from tests.fixtures.helpers import run_concurrently

CARD = {"currency": "EUR", "rates": {"instagram": {"like": "0.10", "comment": "0.50"}}}


def _versions(database):
    with database.session() as session:
        return session.scalars(select(EmvRateCard.version).order_by(EmvRateCard.version)).all()


def test_concurrent_publications_of_one_card_make_one_version(api, database):
    responses = run_concurrently(3, lambda i: api.post("/v1/emv-rate-cards", json=CARD))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200, 201], [r.json for r in responses]
    assert {r.json["version"] for r in responses} == {1}
    assert _versions(database) == [1]


def test_republishing_the_latest_card_changes_nothing(api, database):
    assert api.post("/v1/emv-rate-cards", json=CARD).status_code == 201
    again = api.post("/v1/emv-rate-cards", json=CARD)
    assert again.status_code == 200 and again.json["version"] == 1
    assert again.headers["Location"] == "/v1/emv-rate-cards/1"
    assert _versions(database) == [1]


def test_concurrent_publications_of_different_cards_each_get_a_version(api, database):
    cards = [{**CARD, "note": f"card {i}"} for i in range(3)]
    responses = run_concurrently(3, lambda i: api.post("/v1/emv-rate-cards", json=cards[i]))
    assert [r.status_code for r in responses] == [201, 201, 201], [r.json for r in responses]
    assert sorted(r.json["version"] for r in responses) == [1, 2, 3]
    assert _versions(database) == [1, 2, 3]
