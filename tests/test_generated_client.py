"""A client generated from the committed document with openapi-python-client drives a whole journey.

What an agency does: generate a client from ``openapi/openapi.json`` (with
``openapi/client-config.yaml``), then import -> score -> discovery -> score
explanation -> overlap -> optimisation -> campaign -> deliverable review ->
results -> report (JSON and CSV), against the app under gunicorn. Every answer
must parse into the generated model of its operation (not ``None``, not ``Error``).
"""
import csv
import hashlib
import importlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

import pytest

# The session's one gunicorn server: these modules run on one xdist worker, which starts it once.
pytestmark = [pytest.mark.xdist_group("gunicorn"), pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = Path(sys.executable).with_name("openapi-python-client")
DOCUMENT = ROOT / "openapi" / "openapi.json"
CONFIG = ROOT / "openapi" / "client-config.yaml"
OUTPUT = "generator-output.txt"


def generated_client_directory() -> Path:
    """The directory holding ``influencers_client``, generated from the committed document.

    The generator takes seconds, so its output is kept in the temp directory under the hash of
    everything it depends on (document, configuration, generator version): a change to any of
    them generates anew. The generator's output is kept beside it, to check it did not warn.
    """
    key = hashlib.sha256(version("openapi-python-client").encode())
    for path in (DOCUMENT, CONFIG):
        key.update(path.read_bytes())
    cache = Path(tempfile.gettempdir()) / "influencers-generated-client" / key.hexdigest()[:24]
    if not cache.is_dir():
        cache.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=cache.parent, prefix="generating-"))
        env = {**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        result = subprocess.run(
            [str(GENERATOR), "generate", "--path", str(DOCUMENT), "--config", str(CONFIG), "--meta", "none",
             "--output-path", str(work / "influencers_client")],
            capture_output=True, text=True, env=env, timeout=300, check=False)
        output = result.stdout + result.stderr
        if result.returncode != 0:
            shutil.rmtree(work, ignore_errors=True)
            pytest.fail(output)
        (work / OUTPUT).write_text(output)
        try:
            work.rename(cache)  # atomic: another process may have finished the same key first
        except OSError:
            shutil.rmtree(work, ignore_errors=True)
    return cache


@pytest.fixture(scope="module")
def generated():
    """The generated package, imported; the generator must not warn."""
    directory = generated_client_directory()
    output = (directory / OUTPUT).read_text()
    assert "warning" not in output.lower(), output
    sys.path.insert(0, str(directory))
    try:
        yield importlib.import_module("influencers_client")
    finally:
        sys.path.remove(str(directory))
        for name in [n for n in sys.modules if n == "influencers_client" or n.startswith("influencers_client.")]:
            del sys.modules[name]


def test_every_operation_has_a_generated_function(generated):
    import json

    document = json.loads(DOCUMENT.read_text())
    missing = []
    for item in document["paths"].values():
        for method, operation in item.items():
            if method == "parameters":
                continue
            module = "".join("_" + c.lower() if c.isupper() else c for c in operation["operationId"])
            tag = operation["tags"][0].lower().replace("-", "_").replace(" ", "_")
            try:
                importlib.import_module(f"influencers_client.api.{tag}.{module}")
            except ImportError:
                missing.append(operation["operationId"])
    assert not missing


def demo_ndjson(creators: int) -> bytes:
    import tempfile

    from influencers.demo.generator import DemoConfig, write_ndjson

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.ndjson"
        write_ndjson(DemoConfig(creators=creators, seed=7), path)
        return path.read_bytes()


def test_journey_through_the_generated_client(generated, gunicorn_server):
    server = gunicorn_server.base
    models = importlib.import_module("influencers_client.models")
    types = importlib.import_module("influencers_client.types")
    _, key = gunicorn_server.workspace("agency")
    client = generated.AuthenticatedClient(base_url=server, token=key, timeout=120)

    def ok(response, model, status=200):
        assert response.status_code == status, (response.status_code, response.content[:500])
        assert isinstance(response.parsed, model), type(response.parsed)
        return response.parsed

    def op(tag, name):
        return importlib.import_module(f"influencers_client.api.{tag}.{name}")

    # Import: the multipart upload generators support, and the NDJSON body itself.
    data = demo_ndjson(40)
    half = data.count(b"\n") // 2
    lines = data.splitlines(keepends=True)
    report = ok(op("imports", "create_import").sync_detailed(client=client, body=models.CreateImportFilesBody(
        file=types.File(payload=io.BytesIO(b"".join(lines[:half])), file_name="part1.ndjson"))), models.ImportReport)
    assert report.rejected_count == 0 and report.lines_read == half
    report = ok(op("imports", "create_import").sync_detailed(
        client=client, body=types.File(payload=io.BytesIO(b"".join(lines[half:])))), models.ImportReport)
    assert report.rejected_count == 0

    # Score, and wait for the run.
    run = ok(op("scoring", "start_scoring_run").sync_detailed(client=client), models.ScoringRun, 202)
    deadline = time.time() + 240
    while run.status.value not in ("succeeded", "failed") and time.time() < deadline:
        time.sleep(0.1)
        run = ok(op("scoring", "get_scoring_run").sync_detailed(run.id, client=client), models.ScoringRun)
    assert run.status.value == "succeeded", run.error

    # Discovery and one creator's explanation.
    found = ok(op("scoring", "search_creators").sync_detailed(
        client=client, platform=models.SearchCreatorsPlatform.INSTAGRAM,
        sort=models.SearchCreatorsSort.SCORE_DESC, page_size=20), list)
    assert found and all(isinstance(c, models.ScoredCreator) for c in found)
    assert [c.score.score for c in found] == sorted((c.score.score for c in found), reverse=True)
    best = found[0]
    score = ok(op("scoring", "get_creator_score").sync_detailed(best.id, client=client), models.CreatorScore)
    explanation = score.explanation
    assert isinstance(explanation, models.ScoreExplanation)
    assert explanation.components and all(isinstance(c, models.ScoreComponent) for c in explanation.components)
    assert all(isinstance(f, models.FlagExplanation) for f in explanation.flags)
    assert isinstance(explanation.score, models.Figure) and explanation.score.kind.value == "estimated"
    assert explanation.model_version == score.summary.model_version

    # Overlap and optimisation on the best instagram creators.
    ids = [c.id for c in found[:6]]
    overlap = ok(op("shortlists", "create_overlap_report").sync_detailed(
        client=client, body=models.OverlapReportRequest(creator_ids=ids[:4])), models.OverlapReport)
    assert overlap.platform == "instagram"
    optimisation = ok(op("shortlists", "optimise_shortlist").sync_detailed(client=client,
                                                                           body=models.OptimisationRequest.from_dict({
        "creator_ids": ids, "budget_minor": 1_000_000, "currency": "EUR", "default_fee_minor": 300_000,
        "save_as": "Spring launch"})), models.Optimisation)
    picked = [pick.creator_id for pick in optimisation.picks]
    assert picked and set(picked) <= set(ids)

    # A campaign with the picked creators.
    campaign = ok(op("campaigns", "create_campaign").sync_detailed(client=client, body=models.CampaignCreate.from_dict({
        "name": "Spring launch", "brand": "Acme", "objective": "awareness", "budget_minor": 1_500_000,
        "currency": "EUR", "start_date": "2027-03-01", "end_date": "2027-04-30",
        "tracking": {"hashtags": ["#AcmeSpring"], "mentions": ["@acme"]}})), models.Campaign, 201)
    ok(op("campaigns", "create_brief_version").sync_detailed(campaign.id, client=client, body=models.BriefCreate(
        message="Cook one spring recipe with the product in hand.")), models.Brief, 201)
    ok(op("campaigns", "transition_campaign").sync_detailed(campaign.id, client=client, body=models.CampaignTransition(
        to=models.CampaignTransitionTo.ACTIVE)), models.Campaign)
    added = ok(op("campaigns", "add_campaign_creators").sync_detailed(campaign.id, client=client,
               body=models.CampaignCreatorBulk.from_dict({
                   "creators": [{"creator_id": creator_id, "fee_minor": 300_000} for creator_id in picked[:2]],
                   "source": f"shortlist:{optimisation.shortlist_id}"})),
               models.BulkAddResult, 201)
    campaign_creator = added.added[0]
    for to in ("invited", "accepted", "contracted"):
        campaign_creator = ok(op("campaign_creators", "transition_campaign_creator").sync_detailed(
            campaign_creator.id, client=client,
            body=models.CampaignCreatorTransition(to=models.CampaignCreatorTransitionTo(to))), models.CampaignCreator)
    assert campaign_creator.status.value == "contracted"

    # A deliverable through review to publication.
    deliverable = ok(op("campaign_creators", "create_deliverable").sync_detailed(
        campaign_creator.id, client=client, body=models.DeliverableCreate.from_dict({"kind": "reel"})),
        models.Deliverable, 201)
    transition = op("deliverables", "transition_deliverable")
    for body in ({"to": "submitted", "draft_text": "v1"}, {"to": "changes_requested", "comments": "Add #AcmeSpring"},
                 {"to": "submitted", "draft_text": "v2 #AcmeSpring @acme"}, {"to": "approved"}):
        change = models.DeliverableTransition.from_dict(body)
        sent = transition.sync_detailed(deliverable.id, client=client, body=change)
        deliverable = ok(sent, models.Deliverable)
    posts = ok(op("creators", "list_creator_posts").sync_detailed(campaign_creator.creator_id, client=client), list)
    deliverable = ok(transition.sync_detailed(deliverable.id, client=client,
                                              body=models.DeliverableTransition.from_dict(
        {"to": "published", "post_external_id": posts[0].external_id})), models.Deliverable)
    assert deliverable.status.value == "published"
    rounds = ok(op("deliverables", "list_deliverable_submissions").sync_detailed(deliverable.id, client=client), list)
    assert [r.decision.value for r in rounds] == ["changes_requested", "approved"]

    # Results, then the report as JSON and CSV.
    ok(op("deliverables", "create_deliverable_result").sync_detailed(deliverable.id, client=client,
       body=models.ResultCreate.from_dict({"impressions": 40_000, "reach": 30_000, "clicks": 400,
                                           "as_of": "2027-03-30T00:00:00Z"})), models.Result, 201)
    report = ok(op("campaigns", "get_campaign_report").sync_detailed(campaign.id, client=client),
                models.CampaignReport)
    assert report.totals.metrics.reach == 30_000
    assert {c.creator_id for c in report.creators} == set(picked[:2])
    text = ok(op("campaigns", "get_campaign_report_csv").sync_detailed(campaign.id, client=client), str)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["level"] for row in rows].count("deliverable") == 1 and rows[0]["level"] == "campaign"
    assert rows[0]["reach"] == "30000"
