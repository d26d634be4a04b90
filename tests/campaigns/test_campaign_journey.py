"""A brand manager runs a whole campaign through the HTTP API, down to the report's numbers."""
import csv
import io

RATE_CARD = {
    "currency": "EUR",
    "rates": {
        "instagram": {"like": "0.10", "comment": "0.50", "share": "1", "save": "1", "impression": "0.005"},
        "tiktok": {"view": "0.01", "like": "0.05"},
    },
}


def test_the_whole_journey(h, api):
    alice = h.creator("alice", "instagram", followers=10_000)
    bob = h.creator("bob", "tiktok", followers=20_000)

    # Plan.
    campaign = h.campaign()
    cid = campaign["id"]
    assert campaign["status"] == "draft" and campaign["allowed_transitions"] == ["active", "cancelled"]
    assert campaign["budget"]["committed_minor"] == 0 and campaign["budget"]["warnings"] == []

    # Brief: version 1, then version 2 with If-Match; version 1 stays readable.
    first = h.brief(cid, requirements={"formats": ["reel", "video"], "disclosure": {"hashtags": ["ad"]}},
                    timeline=[{"milestone": "drafts due", "date": "2030-06-20"}],
                    usage_rights={"channels": ["organic", "paid"], "duration_days": 90})
    assert first.status_code == 201, first.json
    assert first.json["version"] == 1
    assert first.json["requirements"]["hashtags"] == ["#AcmeSummer"]  # the campaign's tracking defaults
    assert first.json["requirements"]["mentions"] == ["@acme"]
    assert first.json["requirements"]["disclosure"] == {"hashtags": ["#ad"]}
    second = h.brief(cid, etag=first.headers["ETag"], message="Beach, sunset, the product in hand.",
                     requirements={"hashtags": ["#AcmeSummer", "#SunReady"], "mentions": ["@acme"],
                                   "disclosure": {"hashtags": ["#ad"], "paid_partnership_label": True}},
                     change_note="second hashtag")
    assert second.status_code == 201, second.json
    assert second.json["version"] == 2
    assert h.ok(api.get(f"/v1/campaigns/{cid}/briefs/1"))["message"] == "Show the product at the beach."
    assert [b["version"] for b in h.ok(api.get(f"/v1/campaigns/{cid}/briefs"))] == [2, 1]

    h.ok(api.post("/v1/emv-rate-cards", json=RATE_CARD), 201)
    h.move("campaign", cid, "active", reason="kick-off")

    # Creators: one by one, with fees; then through the pipeline.
    cc_alice = h.add(cid, alice["id"], fee_minor=300_000, notes="great fit")
    cc_bob = h.add(cid, bob["id"], fee_minor=500_000)
    assert cc_alice["status"] == "shortlisted" and cc_alice["currency"] == "EUR"
    h.contract(cc_alice["id"])
    h.contract(cc_bob["id"])
    budget = h.ok(api.get(f"/v1/campaigns/{cid}"))["budget"]
    assert budget["committed_minor"] == 800_000 and budget["remaining_minor"] == 200_000
    assert budget["over_budget"] is False and budget["warnings"] == []

    # Deliverables: review rounds, publication.
    d_alice = h.deliverable(cc_alice["id"], kind="reel")
    assert d_alice["brief_version"] == 2 and d_alice["platform"] == "instagram"
    d_bob = h.deliverable(cc_bob["id"], kind="video")
    d_bob_missed = h.deliverable(cc_bob["id"], kind="short")

    h.move("deliverable", d_alice["id"], "submitted", draft_url="https://drafts.example/a1", draft_text="v1")
    h.move("deliverable", d_alice["id"], "changes_requested", comments="Add #SunReady")
    h.move("deliverable", d_alice["id"], "submitted", draft_text="v2 #AcmeSummer #SunReady @acme #ad")
    h.move("deliverable", d_alice["id"], "approved", comments="Perfect")
    h.post(alice, "ig-1", likes=900, comments=100, shares=50, saves=50, views=20_000,
           caption="Sunset vibes #AcmeSummer #SunReady with @acme #ad")
    published = h.move("deliverable", d_alice["id"], "published", post_external_id="ig-1")
    assert published["status"] == "published" and published["published_at"].startswith("2030-07-02")
    rounds = h.ok(api.get(f"/v1/deliverables/{d_alice['id']}/submissions"))
    assert [(r["number"], r["decision"], r["brief_version"]) for r in rounds] == [
        (1, "changes_requested", 2), (2, "approved", 2)]
    assert rounds[0]["review_comments"] == "Add #SunReady"

    h.post(bob, "tt-1", likes=1500, comments=300, shares=100, saves=100, views=50_000,
           caption="My summer #AcmeSummer", sponsored=True)
    h.publish(d_bob["id"], "tt-1")
    h.move("deliverable", d_bob_missed["id"], "missed", reason="creator fell ill")

    # Compliance on the published captions.
    ok = h.ok(api.get(f"/v1/deliverables/{d_alice['id']}/compliance"))
    assert ok["compliant"] is True and ok["brief_version"] == 2
    assert ok["disclosure"]["found"] == ["#ad"]
    bad = h.ok(api.get(f"/v1/deliverables/{d_bob['id']}/compliance"))
    assert bad["compliant"] is False
    assert {t["value"]: t["present"] for t in bad["hashtags"]} == {"#AcmeSummer": True, "#SunReady": False}
    assert bad["mentions"] == [{"value": "@acme", "present": False}]
    assert bad["disclosure"]["present"] is True and bad["disclosure"]["found"] == ["paid_partnership_label"]

    # Results: a manual entry and a bulk import; imported posts supply the engagement.
    h.ok(api.post(f"/v1/deliverables/{d_alice['id']}/results", json={
        "impressions": 40_000, "reach": 30_000, "clicks": 400, "conversions": 20, "revenue_minor": 400_000,
        "as_of": "2030-07-10T00:00:00Z"}), 201)
    bulk = h.ok(api.post(f"/v1/campaigns/{cid}/results/bulk", json={"results": [
        {"deliverable_id": d_bob["id"], "impressions": 60_000, "reach": 45_000, "clicks": 600,
         "conversions": 30, "revenue_minor": 600_000, "as_of": "2030-07-10T00:00:00Z"}]}), 201)
    assert bulk["created"] == 1 and bulk["results"][0]["source"] == "bulk_import"

    dk = h.ok(api.get(f"/v1/deliverables/{d_alice['id']}/kpis"))
    assert dk["metrics"]["likes"] == 900 and dk["metrics"]["reach"] == 30_000
    assert dk["provenance"]["likes"]["source"] == "imported_post"
    assert dk["provenance"]["reach"] == {"source": "manual", "as_of": "2030-07-10T00:00:00+00:00"}
    assert dk["kpi_currency"] == "EUR" and dk["cost"] == "3000.0000"
    assert dk["kpis"] == {
        "engagements": 1100, "engagement_rate_by_followers": "0.110000", "engagement_rate_by_reach": "0.036667",
        "ctr": "0.010000", "cpm": "75.0000", "cpe": "2.7273", "cpc": "7.5000", "cpv": "0.1500", "cpa": "150.0000",
        "roas": "1.333333", "roi": "0.333333"}
    assert dk["emv"] == {"amount": "440.0000", "currency": "EUR", "rate_card_version": 1}

    bob_kpis = h.ok(api.get(f"/v1/campaign-creators/{cc_bob['id']}/kpis"))
    assert bob_kpis["deliverable_count"] == 2 and bob_kpis["published_count"] == 1
    assert bob_kpis["cost"] == "5000.0000" and bob_kpis["followers_basis"] == 20_000
    assert bob_kpis["kpis"]["cpe"] == "2.5000"  # 5000 / 2000 engagements

    # The report.
    h.move("campaign", cid, "completed")
    rep = h.ok(api.get(f"/v1/campaigns/{cid}/report"))
    assert rep["status"] == "completed"
    assert rep["budget"]["committed_minor"] == 800_000
    assert rep["deliverables_by_status"] == {"published": 2, "missed": 1}
    totals = rep["totals"]
    assert totals["metrics"] == {"impressions": 100_000, "reach": 75_000, "views": 70_000, "likes": 2400,
                                 "comments": 400, "shares": 150, "saves": 150, "clicks": 1000, "conversions": 50}
    assert totals["cost"] == "8000.0000" and totals["revenue"] == "10000.0000"
    assert totals["followers_basis"] == 30_000
    assert totals["kpis"] == {
        "engagements": 3100, "engagement_rate_by_followers": "0.103333", "engagement_rate_by_reach": "0.041333",
        "ctr": "0.010000", "cpm": "80.0000", "cpe": "2.5806", "cpc": "8.0000", "cpv": "0.1143", "cpa": "160.0000",
        "roas": "1.250000", "roi": "0.250000"}
    assert totals["emv"] == {"amount": "1015.0000", "currency": "EUR", "rate_card_version": 1}
    assert rep["kpis_by_currency"] == []
    assert {t["kpi"]: (t["actual"], t["met"]) for t in rep["targets"]} == {
        "reach": ("75000", True), "cpe": ("2.5806", False), "engagement_rate_by_reach": ("0.041333", False)}
    assert [c["handle"] for c in rep["creators"]] == ["alice", "bob"]
    assert [len(c["deliverables"]) for c in rep["creators"]] == [1, 2]
    assert rep["creators"][1]["deliverables"][0]["cost"] == "2500.0000"  # bob's fee over two deliverables

    # ...and as CSV for spreadsheets.
    response = api.get(f"/v1/campaigns/{cid}/report.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["level"] for r in rows] == ["campaign", "creator", "deliverable", "creator", "deliverable",
                                         "deliverable"]
    assert rows[0]["cpe"] == "2.5806" and rows[0]["emv"] == "1015.0000"
    assert rows[1]["handle"] == "alice" and rows[1]["fee_minor"] == "300000" and rows[1]["cpm"] == "75.0000"

    # Engagement keeps flowing in from later imports of the post.
    h.update_post("ig-1", likes=1900)
    later = h.ok(api.get(f"/v1/campaigns/{cid}/report"))
    assert later["totals"]["kpis"]["engagements"] == 4100

    # The audit trail, per object.
    trail = h.ok(api.get(f"/v1/campaigns/{cid}/audit"))
    assert [(e["from_status"], e["to_status"], e["reason"]) for e in trail] == [
        (None, "draft", None), ("draft", "active", "kick-off"), ("active", "completed", None)]
    assert all(e["key_id"] is not None and e["at"] for e in trail)
    d_trail = h.ok(api.get(f"/v1/deliverables/{d_bob_missed['id']}/audit"))
    assert [(e["to_status"], e["reason"]) for e in d_trail] == [("planned", None), ("missed", "creator fell ill")]
    cc_trail = h.ok(api.get(f"/v1/campaign-creators/{cc_alice['id']}/audit"))
    assert [e["to_status"] for e in cc_trail] == ["shortlisted", "invited", "accepted", "contracted"]


def test_overdue_deliverables_are_listed(h, api):
    creator = h.creator("late")
    campaign = h.campaign()
    cc = h.add(campaign["id"], creator["id"], fee_minor=1000)
    late = h.deliverable(cc["id"], due_date="2020-01-01")
    h.deliverable(cc["id"], due_date="2999-01-01")
    done = h.deliverable(cc["id"], due_date="2020-01-01")
    h.move("deliverable", done["id"], "missed")
    assert late["overdue"] is True
    listed = h.ok(api.get("/v1/deliverables?overdue=true"))
    assert [d["id"] for d in listed] == [late["id"]]
    assert [d["id"] for d in h.ok(api.get(f"/v1/campaigns/{campaign['id']}/deliverables?overdue=true"))] == [late["id"]]
    assert len(h.ok(api.get("/v1/deliverables?overdue=false"))) == 2


def test_bulk_add_from_a_shortlist(h, api):
    ids = [h.creator(f"c{i}")["id"] for i in range(3)]
    campaign = h.campaign()
    h.add(campaign["id"], ids[0])
    result = h.ok(api.post(f"/v1/campaigns/{campaign['id']}/creators/bulk",
                           json={"creator_ids": ids, "source": "shortlist:7"}), 201)
    assert [c["creator_id"] for c in result["added"]] == ids[1:]
    assert result["already_in_campaign"] == [ids[0]]
    assert {c["source"] for c in result["added"]} == {"shortlist:7"}
    strict = api.post(f"/v1/campaigns/{campaign['id']}/creators/bulk",
                      json={"creator_ids": ids, "skip_existing": False})
    assert strict.status_code == 409
    unknown = api.post(f"/v1/campaigns/{campaign['id']}/creators/bulk", json={"creators": [
        {"creator_id": 999_999, "fee_minor": 5}]})
    assert unknown.status_code == 422 and "creator_ids" in unknown.json["errors"]["json"]
    assert len(h.ok(api.get(f"/v1/campaigns/{campaign['id']}/creators"))) == 3
    duplicate = api.post(f"/v1/campaigns/{campaign['id']}/creators", json={"creator_id": ids[0]})
    assert duplicate.status_code == 409


def test_over_budget_is_a_warning(h, api):
    campaign = h.campaign(budget_minor=100_000)
    a = h.add(campaign["id"], h.creator("a")["id"], fee_minor=80_000)
    b = h.add(campaign["id"], h.creator("b")["id"], fee_minor=30_000)
    h.contract(a["id"])
    for to in ("invited", "accepted"):
        h.move("campaign_creator", b["id"], to)
    contracted = h.move("campaign_creator", b["id"], "contracted")
    assert contracted["status"] == "contracted"
    assert len(contracted["budget_warnings"]) == 1 and "exceeds the budget" in contracted["budget_warnings"][0]
    budget = h.ok(api.get(f"/v1/campaigns/{campaign['id']}"))["budget"]
    assert budget["over_budget"] is True and budget["remaining_minor"] == -10_000


def test_currencies_are_never_mixed_without_a_rate(h, api):
    campaign = h.campaign(budget_minor=1_000_000, currency="EUR")
    eur = h.add(campaign["id"], h.creator("eu")["id"], fee_minor=100_000)
    usd = h.add(campaign["id"], h.creator("us")["id"], fee_minor=200_000, currency="USD")
    h.contract(eur["id"])
    h.contract(usd["id"])
    for cc, external_id in ((eur, "p-eu"), (usd, "p-us")):
        d = h.deliverable(cc["id"])
        h.post({"id": cc["creator_id"], "platform": "instagram"}, external_id, likes=1000)
        h.publish(d["id"], external_id)
    budget = h.ok(api.get(f"/v1/campaigns/{campaign['id']}"))["budget"]
    assert budget["committed_minor"] is None and budget["over_budget"] is None
    assert budget["committed_by_currency"] == [{"currency": "EUR", "amount_minor": 100_000},
                                               {"currency": "USD", "amount_minor": 200_000}]
    assert "USD" in budget["warnings"][0]
    rep = h.ok(api.get(f"/v1/campaigns/{campaign['id']}/report"))
    assert rep["totals"]["kpi_currency"] is None and rep["totals"]["kpis"]["cpe"] is None
    assert {c["currency"]: c["kpis"]["cpe"] for c in rep["kpis_by_currency"]} == {"EUR": "1.0000", "USD": "2.0000"}

    # With an explicit rate, the totals are in the campaign currency.
    etag = api.get(f"/v1/campaigns/{campaign['id']}").headers["ETag"]
    h.ok(api.patch(f"/v1/campaigns/{campaign['id']}", json={"exchange_rates": {"USD": "0.90"}},
                   headers={"If-Match": etag}))
    rep = h.ok(api.get(f"/v1/campaigns/{campaign['id']}/report"))
    assert rep["budget"]["committed_minor"] == 280_000
    assert rep["totals"]["kpi_currency"] == "EUR" and rep["totals"]["cost"] == "2800.0000"
    assert rep["totals"]["kpis"]["cpe"] == "1.4000" and rep["kpis_by_currency"] == []


def test_publishing_someone_elses_post_is_refused(h, api):
    mine, theirs = h.creator("mine"), h.creator("theirs")
    campaign = h.campaign()
    d = h.deliverable(h.add(campaign["id"], mine["id"])["id"])
    h.post(theirs, "not-mine")
    h.move("deliverable", d["id"], "submitted", draft_text="draft")
    h.move("deliverable", d["id"], "approved")
    refused = api.post(f"/v1/deliverables/{d['id']}/transitions", json={"to": "published",
                                                                       "post_external_id": "not-mine"})
    assert refused.status_code == 409
    # Not imported yet: accepted, and compliance waits for the import.
    h.move("deliverable", d["id"], "published", post_external_id="future-post")
    check = h.ok(api.get(f"/v1/deliverables/{d['id']}/compliance"))
    assert check["compliant"] is None and check["post_found"] is False


def test_rate_cards_are_versioned(h, api):
    first = h.ok(api.post("/v1/emv-rate-cards", json=RATE_CARD), 201)
    second = h.ok(api.post("/v1/emv-rate-cards", json={**RATE_CARD, "currency": "USD"}), 201)
    assert (first["version"], second["version"]) == (1, 2)
    assert h.ok(api.get("/v1/emv-rate-cards/1"))["currency"] == "EUR"
    campaign = h.campaign()
    assert h.ok(api.get(f"/v1/campaigns/{campaign['id']}/report"))["totals"]["emv"]["rate_card_version"] == 2
    assert h.ok(api.get(f"/v1/campaigns/{campaign['id']}/report?rate_card_version=1"))["totals"]["emv"][
        "rate_card_version"] == 1
    assert api.get(f"/v1/campaigns/{campaign['id']}/report?rate_card_version=9").status_code == 422
