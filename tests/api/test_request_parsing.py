"""Arguments and pagination metadata cost one schema instance per class, not one per request, and
answer as flask-smorest's own would."""
from __future__ import annotations

import itertools

from flask_smorest.pagination import PaginationMixin

from influencers.api.base import Blueprint
from influencers.api.scoring.schemas import DiscoveryArgs


def test_pagination_metadata_is_flask_smorests():
    for total, page_size, page in itertools.product((0, 1, 5, 19, 20, 21, 100, 1001), (1, 5, 20, 100),
                                                    (1, 2, 3, 50, 51, 1000)):
        assert (Blueprint._make_pagination_metadata(page, page_size, total)
                == PaginationMixin._make_pagination_metadata(page, page_size, total)), (page, page_size, total)


def test_an_argument_schema_is_made_once_and_still_checks_each_request(scored_api, monkeypatch):
    made = []
    original = DiscoveryArgs.__init__
    monkeypatch.setattr(DiscoveryArgs, "__init__", lambda self, *a, **k: made.append(1) or original(self, *a, **k))
    Blueprint.ARGUMENTS_PARSER._schemas.pop(DiscoveryArgs, None)
    try:
        first = scored_api.get("/v1/discovery/creators?country=FR&page_size=3")
        wrong = scored_api.get("/v1/discovery/creators?contry=FR")
        again = scored_api.get("/v1/discovery/creators?country=FR&page_size=3")
    finally:
        Blueprint.ARGUMENTS_PARSER._schemas.pop(DiscoveryArgs, None)  # later tests get an unpatched one
    assert made == [1]
    assert first.status_code == again.status_code == 200 and first.json == again.json
    assert all(row["country"] == "FR" for row in first.json)
    assert wrong.status_code == 422 and "contry" in wrong.json["errors"]["query"]
