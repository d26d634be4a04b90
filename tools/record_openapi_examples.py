"""Record every operation's OpenAPI example from the demo data.

    venv/bin/python tools/record_openapi_examples.py      # writes influencers/api/openapi_examples.json
    venv/bin/influencers openapi -o openapi/openapi.json  # puts them in the document

Generates the demo data set (the one `make run` serves: 300 creators, seed 7) in a
temporary SQLite database, walks a brand's journey through the API with the Flask
test client, and keeps each operation's parameters, request body and success
response as its example. A new operation gets its example by adding a step below;
tests/test_openapi_contract.py fails until it has one.
"""
from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from influencers.api.contract import EXAMPLES_RESOURCE  # noqa: E402  (needs ROOT on sys.path)

OUTPUT = ROOT / "influencers" / "api" / EXAMPLES_RESOURCE
SAMPLE = ROOT / "docs" / "import-sample.ndjson"
MAX_ITEMS = 3
SAMPLE_LINES = 4


def trimmed(value):
    """Long lists cut to their first items, so the docs stay readable."""
    if isinstance(value, list):
        return [trimmed(v) for v in value[:MAX_ITEMS]]
    if isinstance(value, dict):
        return {k: trimmed(v) for k, v in value.items()}
    return value


class Recorder:
    def __init__(self, client, key: str):
        self.client = client
        self.headers = {"Authorization": f"Bearer {key}"}
        self.examples: dict[str, dict] = {}

    def call(self, operation_id, method, template, *, path=None, query=None, json_body=None, form=None,
             ndjson=None, headers=None, status=200):
        path = path or {}
        url = template.format(**path)
        kwargs = {"headers": {**self.headers, **(headers or {})}, "query_string": query or {}}
        example = self.examples.setdefault(operation_id, {})
        parameters = {**path, **(query or {}), **(headers or {})}
        if parameters:
            example.setdefault("parameters", {}).update(parameters)
        if json_body is not None:
            kwargs["json"] = json_body
            example.setdefault("request", {})["application/json"] = json_body
        if ndjson is not None:
            kwargs.update(data=ndjson, content_type="application/x-ndjson")
            example.setdefault("request", {})["application/x-ndjson"] = ndjson.decode()
        if form is not None:
            example.setdefault("request", {})["multipart/form-data"] = {
                name: upload[0].getvalue().decode() for name, upload in form.items()}
            kwargs.update(data=form, content_type="multipart/form-data")
        response = self.client.open(url, method=method, **kwargs)
        if response.status_code != status:
            raise SystemExit(f"{operation_id} {method} {url}: {response.status_code} "
                             f"{response.get_data(as_text=True)[:500]}")
        if response.status_code != 204:
            media_type = response.mimetype
            # Binary bodies (PNG, skops) get no example: the document declares them as files.
            if media_type == "application/json":
                example.setdefault("responses", {})[str(status)] = {media_type: trimmed(response.json)}
            elif media_type.startswith("text/"):
                body = response.get_data(as_text=True)
                example.setdefault("responses", {})[str(status)] = {media_type: "\n".join(body.splitlines()[:4]) + "\n"}
        return response


def journey(r: Recorder) -> None:
    sample_lines = SAMPLE.read_bytes().splitlines()[:SAMPLE_LINES]
    ndjson = b"\n".join(sample_lines) + b"\n"
    r.call("getHealth", "GET", "/health")
    r.call("getWorkspace", "GET", "/v1/workspace")
    r.call("createImport", "POST", "/v1/imports", ndjson=ndjson)
    r.call("createImport", "POST", "/v1/imports", form={"file": (io.BytesIO(ndjson), "creators.ndjson")})
    r.call("createImport", "POST", "/v1/imports", ndjson=ndjson, headers={"Prefer": "respond-async"}, status=202)
    from influencers.jobs import runner

    runner.wait_for_in_process_jobs(timeout=120)

    # Keys.
    key = r.call("createApiKey", "POST", "/v1/keys", json_body={"name": "agency dashboard", "role": "analyst"},
                 status=201).json
    r.call("listApiKeys", "GET", "/v1/keys", query={"page_size": 2})
    r.call("getApiKey", "GET", "/v1/keys/{key_id}", path={"key_id": key["id"]})
    r.call("revokeApiKey", "DELETE", "/v1/keys/{key_id}", path={"key_id": key["id"]})

    # Creators.
    r.call("listCreators", "GET", "/v1/creators", query={"country": "FR", "category": "food", "sort": "-followers",
                                                         "page_size": 2})
    creator_id = 48
    r.call("getCreator", "GET", "/v1/creators/{creator_id}", path={"creator_id": creator_id})
    r.call("getCreatorAudience", "GET", "/v1/creators/{creator_id}/audience", path={"creator_id": creator_id})
    r.call("listCreatorPosts", "GET", "/v1/creators/{creator_id}/posts", path={"creator_id": creator_id},
           query={"page_size": 2})
    r.call("listCreatorSnapshots", "GET", "/v1/creators/{creator_id}/snapshots", path={"creator_id": creator_id},
           query={"page_size": 2})
    new = r.call("createCreator", "POST", "/v1/creators", status=201, json_body={
        "platform": "instagram", "handle": "chloe.bakes", "display_name": "Chloé Bernard", "country": "FR",
        "language": "fr", "categories": ["food"], "followers": 58200, "following": 410, "posts_count": 512,
        "website": "https://chloe-bakes.example"}).json
    etag = r.call("getCreator", "GET", "/v1/creators/{creator_id}", path={"creator_id": new["id"]}).headers["ETag"]
    updated = r.call("updateCreator", "PATCH", "/v1/creators/{creator_id}", path={"creator_id": new["id"]},
                     headers={"If-Match": etag}, json_body={"followers": 58900, "bio": "Pâtisserie maison"})
    r.call("deleteCreator", "DELETE", "/v1/creators/{creator_id}", path={"creator_id": new["id"]},
           headers={"If-Match": updated.headers["ETag"]}, status=204)
    r.call("getCreator", "GET", "/v1/creators/{creator_id}", path={"creator_id": creator_id})

    # Scoring.
    run = r.call("startScoringRun", "POST", "/v1/scoring-runs", status=202).json
    from influencers.jobs import runner

    runner.wait_for_in_process_jobs(timeout=300)
    r.call("getScoringRun", "GET", "/v1/scoring-runs/{scoring_run_id}", path={"scoring_run_id": run["id"]})
    r.call("listScoringRuns", "GET", "/v1/scoring-runs", query={"page_size": 2})
    r.call("getJob", "GET", "/v1/jobs/{job_id}", path={"job_id": run["job_id"]})
    models = r.call("listScoringModels", "GET", "/v1/scoring-models").json
    r.call("getScoringModel", "GET", "/v1/scoring-models/{scoring_model_id}",
           path={"scoring_model_id": models[0]["id"]})
    r.call("searchCreators", "GET", "/v1/discovery/creators", query={
        "country": "FR", "min_authenticity": 60, "without_flag": ["bought_likes"], "audience": ["country:FR:0.3"],
        "sort": "-score", "page_size": 2})
    r.call("getCreatorScore", "GET", "/v1/creators/{creator_id}/score", path={"creator_id": creator_id})
    r.call("listCreatorScores", "GET", "/v1/creators/{creator_id}/scores", path={"creator_id": creator_id})
    r.call("listCreatorLookalikes", "GET", "/v1/creators/{creator_id}/lookalikes", path={"creator_id": creator_id},
           query={"limit": 3})

    # The graph.
    r.call("getCreatorNeighbourhood", "GET", "/v1/creators/{creator_id}/neighbourhood",
           path={"creator_id": creator_id}, query={"radius": 1})
    r.call("listGraphCommunities", "GET", "/v1/graph/communities", query={"platform": "instagram", "top": 3})
    r.call("exportGraph", "GET", "/v1/graph/export", query={"platform": "instagram", "format": "graphml"})

    # Overlap, optimisation, shortlists.
    set_ids = [264, 160, 190, 84]
    r.call("createOverlapReport", "POST", "/v1/overlap-reports", json_body={"creator_ids": set_ids})
    optimisation = r.call("optimiseShortlist", "POST", "/v1/shortlist-optimisations", json_body={
        "creator_ids": [264, 160, 190, 84, 128, 261, 11, 72], "budget_minor": 1500000, "currency": "EUR",
        "default_fee_minor": 400000, "save_as": "Spring launch"}).json
    shortlist = r.call("createShortlist", "POST", "/v1/shortlists", status=201, json_body={
        "name": "Food creators FR", "notes": "For the spring menu", "creator_ids": [264, 160]}).json
    r.call("listShortlists", "GET", "/v1/shortlists", query={"page_size": 2})
    r.call("addShortlistCreators", "POST", "/v1/shortlists/{shortlist_id}/creators",
           path={"shortlist_id": shortlist["id"]}, json_body={"creator_ids": [190, 84]})
    r.call("removeShortlistCreator", "DELETE", "/v1/shortlists/{shortlist_id}/creators/{creator_id}",
           path={"shortlist_id": shortlist["id"], "creator_id": 84}, status=204)
    r.call("getShortlistOverlap", "GET", "/v1/shortlists/{shortlist_id}/overlap",
           path={"shortlist_id": shortlist["id"]}, query={"country": ["FR"]})
    etag = r.call("getShortlist", "GET", "/v1/shortlists/{shortlist_id}",
                  path={"shortlist_id": shortlist["id"]}).headers["ETag"]
    updated = r.call("updateShortlist", "PATCH", "/v1/shortlists/{shortlist_id}",
                     path={"shortlist_id": shortlist["id"]}, headers={"If-Match": etag},
                     json_body={"name": "Food creators FR (spring)"})
    r.call("deleteShortlist", "DELETE", "/v1/shortlists/{shortlist_id}", path={"shortlist_id": shortlist["id"]},
           headers={"If-Match": updated.headers["ETag"]}, status=204)
    saved_shortlist_id = optimisation["shortlist_id"]
    r.call("getShortlist", "GET", "/v1/shortlists/{shortlist_id}", path={"shortlist_id": saved_shortlist_id})

    # A campaign, from brief to report.
    rate_card = {"currency": "EUR", "note": "2027 rates",
                 "rates": {"instagram": {"like": "0.10", "comment": "0.50", "share": "1", "save": "1",
                                         "impression": "0.005"}}}
    r.call("createEmvRateCard", "POST", "/v1/emv-rate-cards", status=201, json_body=rate_card)
    r.call("createEmvRateCard", "POST", "/v1/emv-rate-cards", status=200, json_body=rate_card)  # unchanged
    r.call("listEmvRateCards", "GET", "/v1/emv-rate-cards")
    r.call("getEmvRateCard", "GET", "/v1/emv-rate-cards/{rate_card_version}", path={"rate_card_version": 1})
    campaign = r.call("createCampaign", "POST", "/v1/campaigns", status=201, json_body={
        "name": "Spring launch", "brand": "Acme", "objective": "awareness", "budget_minor": 1500000,
        "currency": "EUR", "start_date": "2027-03-01", "end_date": "2027-04-30",
        "target_kpis": {"reach": "250000", "cpe": "0.80"},
        "tracking": {"utm": {"source": "influencer", "medium": "social", "campaign": "spring-launch"},
                     "hashtags": ["#AcmeSpring"], "mentions": ["@acme"]}}).json
    cid = {"campaign_id": campaign["id"]}
    r.call("listCampaigns", "GET", "/v1/campaigns", query={"page_size": 2})
    etag = r.call("getCampaign", "GET", "/v1/campaigns/{campaign_id}", path=cid).headers["ETag"]
    r.call("updateCampaign", "PATCH", "/v1/campaigns/{campaign_id}", path=cid, headers={"If-Match": etag},
           json_body={"budget_minor": 1600000})
    brief = r.call("createBriefVersion", "POST", "/v1/campaigns/{campaign_id}/briefs", path=cid, status=201,
                   json_body={"message": "Cook one spring recipe with the product in hand.",
                              "requirements": {"formats": ["reel"], "disclosure": {"hashtags": ["#ad"]}},
                              "timeline": [{"milestone": "drafts due", "date": "2027-03-20"}],
                              "usage_rights": {"channels": ["organic", "paid"], "duration_days": 90}})
    r.call("createBriefVersion", "POST", "/v1/campaigns/{campaign_id}/briefs", path=cid, status=201,
           headers={"If-Match": brief.headers["ETag"]},
           json_body={"message": "Cook one spring recipe with the product in hand; show the label.",
                      "change_note": "show the label"})
    r.call("listBriefVersions", "GET", "/v1/campaigns/{campaign_id}/briefs", path=cid)
    r.call("getBriefVersion", "GET", "/v1/campaigns/{campaign_id}/briefs/{brief_version}",
           path={**cid, "brief_version": 2})
    r.call("transitionCampaign", "POST", "/v1/campaigns/{campaign_id}/transitions", path=cid,
           json_body={"to": "active", "reason": "kick-off"})
    added = r.call("addCampaignCreators", "POST", "/v1/campaigns/{campaign_id}/creators/bulk", path=cid,
                   status=201, json_body={"creator_ids": [264, 72],
                                          "source": f"shortlist:{saved_shortlist_id}"}).json
    cc = r.call("addCampaignCreator", "POST", "/v1/campaigns/{campaign_id}/creators", path=cid, status=201,
                json_body={"creator_id": 160, "fee_minor": 450000, "notes": "great fit"}).json
    ccid = {"campaign_creator_id": cc["id"]}
    r.call("listCampaignCreators", "GET", "/v1/campaigns/{campaign_id}/creators", path=cid, query={"page_size": 2})
    etag = r.call("getCampaignCreator", "GET", "/v1/campaign-creators/{campaign_creator_id}",
                  path=ccid).headers["ETag"]
    r.call("updateCampaignCreator", "PATCH", "/v1/campaign-creators/{campaign_creator_id}", path=ccid,
           headers={"If-Match": etag}, json_body={"fee_minor": 420000, "notes": "agreed after call"})
    for to in ("invited", "accepted", "contracted"):
        r.call("transitionCampaignCreator", "POST", "/v1/campaign-creators/{campaign_creator_id}/transitions",
               path=ccid, json_body={"to": to})
    deliverable = r.call("createDeliverable", "POST", "/v1/campaign-creators/{campaign_creator_id}/deliverables",
                         path=ccid, status=201,
                         json_body={"kind": "reel", "title": "Spring recipe reel", "due_date": "2027-03-25"}).json
    did = {"deliverable_id": deliverable["id"]}
    r.call("listCreatorDeliverables", "GET", "/v1/campaign-creators/{campaign_creator_id}/deliverables", path=ccid)
    etag = r.call("getDeliverable", "GET", "/v1/deliverables/{deliverable_id}", path=did).headers["ETag"]
    r.call("updateDeliverable", "PATCH", "/v1/deliverables/{deliverable_id}", path=did, headers={"If-Match": etag},
           json_body={"due_date": "2027-03-27"})
    post = r.client.get("/v1/creators/160/posts?page_size=1", headers=r.headers).json[0]
    r.call("transitionDeliverable", "POST", "/v1/deliverables/{deliverable_id}/transitions", path=did,
           json_body={"to": "submitted", "draft_url": "https://drafts.example/spring-reel-v1",
                      "draft_text": "Spring risotto with @acme #AcmeSpring #ad"})
    r.call("transitionDeliverable", "POST", "/v1/deliverables/{deliverable_id}/transitions", path=did,
           json_body={"to": "approved", "comments": "Great, publish it"})
    r.call("transitionDeliverable", "POST", "/v1/deliverables/{deliverable_id}/transitions", path=did,
           json_body={"to": "published", "post_external_id": post["external_id"]})
    r.call("listDeliverableSubmissions", "GET", "/v1/deliverables/{deliverable_id}/submissions", path=did)
    r.call("getDeliverableCompliance", "GET", "/v1/deliverables/{deliverable_id}/compliance", path=did)
    r.call("createDeliverableResult", "POST", "/v1/deliverables/{deliverable_id}/results", path=did, status=201,
           json_body={"impressions": 40000, "reach": 30000, "clicks": 400, "conversions": 20,
                      "revenue_minor": 400000, "as_of": "2027-03-30T00:00:00Z"})
    r.call("importCampaignResults", "POST", "/v1/campaigns/{campaign_id}/results/bulk", path=cid, status=201,
           json_body={"results": [{"deliverable_id": deliverable["id"], "impressions": 52000, "reach": 38000,
                                   "clicks": 520, "as_of": "2027-04-06T00:00:00Z"}]})
    r.call("listDeliverableResults", "GET", "/v1/deliverables/{deliverable_id}/results", path=did)
    r.call("getDeliverableKpis", "GET", "/v1/deliverables/{deliverable_id}/kpis", path=did)
    r.call("getCampaignCreatorKpis", "GET", "/v1/campaign-creators/{campaign_creator_id}/kpis", path=ccid)
    r.call("listDeliverables", "GET", "/v1/deliverables", query={"page_size": 2})
    r.call("listCampaignDeliverables", "GET", "/v1/campaigns/{campaign_id}/deliverables", path=cid)
    r.call("listDeliverableAudit", "GET", "/v1/deliverables/{deliverable_id}/audit", path=did)
    r.call("listCampaignCreatorAudit", "GET", "/v1/campaign-creators/{campaign_creator_id}/audit", path=ccid)
    r.call("transitionCampaign", "POST", "/v1/campaigns/{campaign_id}/transitions", path=cid,
           json_body={"to": "completed"})
    r.call("listCampaignAudit", "GET", "/v1/campaigns/{campaign_id}/audit", path=cid)
    r.call("getCampaignReport", "GET", "/v1/campaigns/{campaign_id}/report", path=cid)
    r.call("getCampaignReportCsv", "GET", "/v1/campaigns/{campaign_id}/report.csv", path=cid)
    assert added
    brands(r)
    webhooks(r)
    privacy(r)
    calibration(r)


def privacy(r: Recorder) -> None:
    # The sample's audiences (whose member ids are known) go in first.
    imported = r.client.post("/v1/imports", data=SAMPLE.read_bytes(), content_type="application/x-ndjson",
                             headers=r.headers)
    assert imported.status_code == 200, imported.get_data(as_text=True)
    r.call("eraseAudienceMember", "POST", "/v1/audience-erasures",
           json_body={"platform": "instagram", "member_id": "u-9f2c"})
    r.call("listAuditEvents", "GET", "/v1/audit-events", query={"page_size": 3})


# The demo's posts are dated months before today: brand reports ask for the whole year.
SINCE = "2026-01-01"


def brands(r: Recorder) -> None:
    from influencers.jobs import runner

    rival = r.call("createBrand", "POST", "/v1/brands", status=201, json_body={
        "name": "Foodbrand 03", "handles": {"instagram": ["foodbrand03"], "tiktok": ["foodbrand03"]}}).json
    brand = r.call("createBrand", "POST", "/v1/brands", status=201, json_body={
        "name": "Foodbrand 02", "handles": {"instagram": ["foodbrand02"], "tiktok": ["foodbrand02"]},
        "hashtags": ["foodbrand02"], "keywords": ["foodbrand two"], "exclude_keywords": ["giveaway"],
        "competitor_ids": [rival["id"]]}).json
    runner.wait_for_in_process_jobs(timeout=120)
    bid = {"brand_id": brand["id"]}
    r.call("listBrands", "GET", "/v1/brands", query={"page_size": 2})
    etag = r.call("getBrand", "GET", "/v1/brands/{brand_id}", path=bid).headers["ETag"]
    r.call("updateBrand", "PATCH", "/v1/brands/{brand_id}", path=bid, headers={"If-Match": etag},
           json_body={"keywords": ["foodbrand two", "food brand two"]})
    r.call("rematchBrand", "POST", "/v1/brands/{brand_id}/rematch", path=bid, status=202)
    runner.wait_for_in_process_jobs(timeout=120)
    r.call("listBrandAudit", "GET", "/v1/brands/{brand_id}/audit", path=bid)
    mentions = r.call("listBrandMentions", "GET", "/v1/brands/{brand_id}/mentions", path=bid,
                      query={"since": SINCE, "page_size": 2}).json
    r.call("getBrandMentionSeries", "GET", "/v1/brands/{brand_id}/mentions/timeseries", path=bid,
           query={"since": SINCE, "interval": "week"})
    r.call("getBrandShareOfVoice", "GET", "/v1/brands/{brand_id}/share-of-voice", path=bid, query={"since": SINCE})
    r.call("getBrandShareOfVoiceCsv", "GET", "/v1/brands/{brand_id}/share-of-voice/csv", path=bid,
           query={"since": SINCE})
    r.call("getBrandShareOfVoiceChart", "GET", "/v1/brands/{brand_id}/share-of-voice/chart", path=bid,
           query={"since": SINCE, "format": "svg", "metric": "engagements"})
    r.call("getCreatorBrandHistory", "GET", "/v1/creators/{creator_id}/brands",
           path={"creator_id": mentions[0]["creator"]["id"] if mentions else 48})
    gone = r.call("createBrand", "POST", "/v1/brands", status=201, json_body={"name": "Old brand"}).json
    etag = r.call("getBrand", "GET", "/v1/brands/{brand_id}", path={"brand_id": gone["id"]}).headers["ETag"]
    r.call("deleteBrand", "DELETE", "/v1/brands/{brand_id}", path={"brand_id": gone["id"]},
           headers={"If-Match": etag}, status=204)
    r.call("getBrand", "GET", "/v1/brands/{brand_id}", path=bid)


def calibration(r: Recorder) -> None:
    """Labels from the demo's ground truth, then a model version edited, trained, compared, activated."""
    from influencers.demo.generator import labels
    from influencers.jobs import runner

    truth = labels(r.demo_config)
    records = b"\n".join(json.dumps({
        "type": "label", "platform": t.platform, "handle": t.handle, "label": "fraud" if t.is_fraud else "clean",
        "kinds": list(t.fraud_types) if t.is_fraud else None, "source": "manual_review"}).encode() for t in truth)
    imported = r.client.post("/v1/imports", data=records + b"\n", content_type="application/x-ndjson",
                             headers=r.headers)
    assert imported.status_code == 200, imported.get_data(as_text=True)
    creator_id = 48
    label = r.call("createLabel", "POST", "/v1/labels", status=201, json_body={
        "creator_id": creator_id, "label": "fraud", "kinds": ["bought_followers"], "source": "manual_review",
        "labelled_at": "2026-11-30", "note": "Follower jump of 40% in a week, from accounts without posts"}).json
    r.call("getLabel", "GET", "/v1/labels/{label_id}", path={"label_id": label["id"]})
    r.call("listLabels", "GET", "/v1/labels", query={"label": "fraud", "page_size": 2})
    r.call("listCreatorLabels", "GET", "/v1/creators/{creator_id}/labels", path={"creator_id": creator_id})
    r.call("deleteLabel", "DELETE", "/v1/labels/{label_id}", path={"label_id": label["id"]}, status=204)

    active = r.call("getActiveScoringModel", "GET", "/v1/scoring-models/active")
    edited = r.call("createScoringModel", "POST", "/v1/scoring-models", status=201, json_body={
        "version": "agency-2027", "description": "Stricter on bought followers",
        "flag_penalties": {"bought_followers": 0.65}, "reach_rates": {"instagram": 0.18}}).json
    r.call("diffScoringModels", "GET", "/v1/scoring-models/{scoring_model_id}/diff",
           path={"scoring_model_id": edited["id"]}, query={"against": active.json["id"]})
    document = r.call("getScoringModelDocument", "GET", "/v1/scoring-models/{scoring_model_id}/document",
                      path={"scoring_model_id": edited["id"]}).json
    document["version"] = "agency-2027-copy"
    r.call("importScoringModel", "POST", "/v1/scoring-models/imports", status=201, form={
        "document": (io.BytesIO(json.dumps(document).encode()), "agency-2027.json")})
    training = r.call("trainScoringModel", "POST", "/v1/scoring-models/trainings", status=202,
                      json_body={"kind": "boosted", "description": "Trained on the agency's reviews"}).json
    runner.wait_for_in_process_jobs(timeout=600)
    trained = r.client.get(f"/v1/jobs/{training['job_id']}", headers=r.headers).json
    assert trained["status"] == "succeeded", trained
    trained_id = trained["result"]["model_id"]
    r.call("getScoringModelArtefact", "GET", "/v1/scoring-models/{scoring_model_id}/artefact",
           path={"scoring_model_id": trained_id})
    started = r.call("compareScoringModels", "POST", "/v1/scoring-model-comparisons", status=202,
                     json_body={"candidate_id": trained_id, "baseline_id": active.json["id"]}).json
    runner.wait_for_in_process_jobs(timeout=600)
    cid = {"comparison_id": started["id"]}
    r.call("getScoringModelComparison", "GET", "/v1/scoring-model-comparisons/{comparison_id}", path=cid)
    for name in ("Roc", "Reliability", "Distributions"):
        r.call(f"getScoringModelComparison{name}Plot", "GET",
               f"/v1/scoring-model-comparisons/{{comparison_id}}/plots/{name.lower()}.png", path=cid)
    r.call("listScoringModelComparisons", "GET", "/v1/scoring-model-comparisons", query={"page_size": 2})
    r.call("activateScoringModel", "PUT", "/v1/scoring-models/active", status=202,
           headers={"If-Match": active.headers["ETag"]}, json_body={"model_id": trained_id})
    runner.wait_for_in_process_jobs(timeout=600)
    r.call("listCalibrationEvents", "GET", "/v1/calibration-events", query={"page_size": 3})


RECEIVER_URL = "https://hooks.agency.example/influencers"


class Receiver:
    """A local webhook receiver (answers 204); its address is shown as RECEIVER_URL in the examples."""

    def __init__(self):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/influencers"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def wait_for_deliveries(r: Recorder, endpoint_id: int, count: int) -> list:
    import time

    deadline = time.time() + 60
    while time.time() < deadline:
        listed = r.client.get(f"/v1/webhook-endpoints/{endpoint_id}/deliveries", headers=r.headers).json
        if len([d for d in listed if d["status"] in ("succeeded", "failed")]) >= count:
            return listed
        time.sleep(0.1)
    raise SystemExit(f"deliveries of webhook endpoint {endpoint_id} did not finish")


def webhooks(r: Recorder) -> None:
    receiver = r.receiver
    endpoint = r.call("createWebhookEndpoint", "POST", "/v1/webhook-endpoints", status=201, json_body={
        "url": receiver.url, "events": ["campaign.status_changed", "deliverable.published"],
        "description": "Agency dashboard"}).json
    eid = {"webhook_endpoint_id": endpoint["id"]}
    r.call("listWebhookEndpoints", "GET", "/v1/webhook-endpoints")
    etag = r.call("getWebhookEndpoint", "GET", "/v1/webhook-endpoints/{webhook_endpoint_id}", path=eid).headers["ETag"]
    etag = r.call("updateWebhookEndpoint", "PATCH", "/v1/webhook-endpoints/{webhook_endpoint_id}", path=eid,
                  headers={"If-Match": etag},
                  json_body={"description": "Agency dashboard (production)"}).headers["ETag"]
    etag = r.call("rotateWebhookEndpointSecret", "POST", "/v1/webhook-endpoints/{webhook_endpoint_id}/secret",
                  path=eid, headers={"If-Match": etag}).headers["ETag"]
    test = r.call("sendWebhookTestEvent", "POST", "/v1/webhook-endpoints/{webhook_endpoint_id}/test", path=eid,
                  status=202).json
    wait_for_deliveries(r, endpoint["id"], 1)
    did = {**eid, "delivery_id": test["id"]}
    r.call("getWebhookDelivery", "GET", "/v1/webhook-endpoints/{webhook_endpoint_id}/deliveries/{delivery_id}",
           path=did)
    r.call("redeliverWebhook", "POST",
           "/v1/webhook-endpoints/{webhook_endpoint_id}/deliveries/{delivery_id}/redeliver", path=did, status=202)
    wait_for_deliveries(r, endpoint["id"], 2)
    r.call("listWebhookDeliveries", "GET", "/v1/webhook-endpoints/{webhook_endpoint_id}/deliveries", path=eid)
    r.call("listWebhookEndpointAudit", "GET", "/v1/webhook-endpoints/{webhook_endpoint_id}/audit", path=eid)
    etag = r.call("getWebhookEndpoint", "GET", "/v1/webhook-endpoints/{webhook_endpoint_id}", path=eid).headers["ETag"]
    r.call("deleteWebhookEndpoint", "DELETE", "/v1/webhook-endpoints/{webhook_endpoint_id}", path=eid,
           headers={"If-Match": etag}, status=204)


def record(creators: int, seed: int) -> dict:
    from click.testing import CliRunner

    from influencers.app import create_app
    from influencers.cli import main
    from influencers.config import Settings

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/examples.db"
        env = {"INFLUENCERS_DATABASE_URL": url, "INFLUENCERS_PSEUDONYM_SECRET": "examples"}
        result = CliRunner().invoke(main, ["demo", "--creators", str(creators), "--seed", str(seed)], env=env)
        if result.exit_code:
            raise SystemExit(result.output)
        key = result.output.split("admin key: ")[1].split()[0]
        receiver = Receiver()
        # Deliveries go to the local receiver: plain HTTP on loopback allowed for it.
        app = create_app(Settings(database_url=url, pseudonym_secret=b"examples", webhook_allow_http=True,
                                  webhook_allowed_networks=("127.0.0.0/8",)))
        recorder = Recorder(app.test_client(), key)
        recorder.receiver = receiver
        from influencers.demo.generator import DemoConfig

        recorder.demo_config = DemoConfig(creators=creators, seed=seed)
        journey(recorder)
        from influencers.jobs import runner

        runner.wait_for_in_process_jobs(timeout=120)
        app.extensions["influencers.db"].dispose()
        receiver.server.shutdown()
        return json.loads(json.dumps(recorder.examples).replace(receiver.url, RECEIVER_URL))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creators", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    examples = record(args.creators, args.seed)
    args.output.write_text(json.dumps(examples, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"{len(examples)} operations recorded in {args.output}")


if __name__ == "__main__":
    main()
