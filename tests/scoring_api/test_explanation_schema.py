"""Every stored score explanation matches the documented ScoreExplanation schema (all flags' evidence included)."""
import pytest

from tests.fixtures.openapi import DOCUMENT, check_example
from tests.fixtures.scoring import import_demo, run_scoring


@pytest.mark.slow
def test_every_explanation_of_the_demo_matches_the_documented_schema(api):
    import_demo(api, creators=100, seed=11)
    run_scoring(api)
    schema = DOCUMENT["paths"]["/v1/creators/{creator_id}/score"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    creators = [c["id"] for c in api.get("/v1/creators?page_size=100").json]
    flags = set()
    for creator_id in creators:
        score = api.get(f"/v1/creators/{creator_id}/score").json
        check_example(score, schema, f"creator {creator_id}")
        flags |= {flag["name"] for flag in score["explanation"]["flags"]}
    assert len(creators) == 100
    assert len(flags) >= 3, flags  # the demo's planted fraud raises several kinds of flag
