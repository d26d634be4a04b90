"""HTTP routes for brand monitoring: parse, check access, call the brand services, serialise."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Response, current_app, g

from influencers.api import unit_of_work
from influencers.api.auth import current_workspace_id, requires
from influencers.api.base import Blueprint, Listing, SQLPage, etag_of
from influencers.api.brands import schemas as s
from influencers.api.scoring.schemas import JobSchema
from influencers.brands import charts, reports, service
from influencers.brands.models import Brand
from influencers.creators import service as creators
from influencers.jobs import runner

blp = Blueprint("brands", __name__, url_prefix="/v1", description="Brand monitoring: mentions and share of voice")

def _key_id() -> int | None:
    return g.principal.key_id


def _brand(brand_id: int) -> Brand:
    return service.get_brand(unit_of_work.session(), current_workspace_id(), brand_id)


def _out(brand: Brand, competitors: list[dict] | None = None) -> dict:
    if competitors is None:
        competitors = service.competitors_of(unit_of_work.session(), [brand.id])[brand.id]
    return {**{c: getattr(brand, c) for c in (
        "id", "name", "handles", "hashtags", "keywords", "exclude_keywords", "rules_version",
        "matched_rules_version", "match_job_id", "created_at", "updated_at", "version")},
        "competitors": competitors}


def _dispatch_match(job_id: int | None) -> None:
    """Runs a queued re-matching job once the request's transaction has committed."""
    if job_id is None:
        return
    db, settings = unit_of_work.database(), current_app.extensions["influencers.settings"]
    unit_of_work.after_commit(lambda: runner.dispatch(db, settings, job_id))


class BrandPage(SQLPage):
    @property
    def items(self):
        brands = super().items
        competitors = service.competitors_of(self.session, [b.id for b in brands])
        return [_out(b, competitors[b.id]) for b in brands]


@blp.route("/brands", methods=["GET"], operation_id="listBrands", summary="List the workspace's brands")
@requires("read")
@blp.arguments(s.BrandListArgs, location="query", as_kwargs=True)
@blp.response(200, s.BrandSchema(many=True))
@blp.paginate(BrandPage)
def list_brands(q=None):
    return Listing(unit_of_work.session(), service.brands_select(current_workspace_id(), q))


@blp.route("/brands", methods=["POST"], operation_id="createBrand",
           summary="Define a brand to monitor (its existing posts are matched by a background job)")
@blp.etag
@requires("write")
@blp.arguments(s.BrandCreateSchema)
@blp.response(201, s.BrandSchema)
@blp.alt_response(409, description="A brand with this name exists")
def create_brand(body):
    brand = service.create_brand(unit_of_work.session(), current_workspace_id(), body, _key_id())
    _dispatch_match(brand.match_job_id)
    blp.set_etag(etag_of("brand", brand.id, brand.version))
    return _out(brand), 201, {"Location": f"/v1/brands/{brand.id}"}


@blp.route("/brands/<id:brand_id>", methods=["GET"], operation_id="getBrand", summary="Read a brand")
@blp.etag
@requires("read")
@blp.response(200, s.BrandSchema)
def get_brand(brand_id):
    brand = _brand(brand_id)
    blp.set_etag(etag_of("brand", brand.id, brand.version))
    return _out(brand)


@blp.route("/brands/<id:brand_id>", methods=["PATCH"], operation_id="updateBrand",
           summary="Update a brand (If-Match required); changed rules re-match the posts in the background")
@blp.etag
@requires("write")
@blp.arguments(s.BrandUpdateSchema)
@blp.response(200, s.BrandSchema)
@blp.alt_response(409, description="Another brand has this name")
def update_brand(changes, brand_id):
    brand = _brand(brand_id)
    blp.check_etag(etag_of("brand", brand.id, brand.version))
    job_before = brand.match_job_id
    brand = service.update_brand(unit_of_work.session(), current_workspace_id(), brand, brand.version, changes,
                                 _key_id())
    if brand.match_job_id != job_before:
        _dispatch_match(brand.match_job_id)
    blp.set_etag(etag_of("brand", brand.id, brand.version))
    return _out(brand)


@blp.route("/brands/<id:brand_id>", methods=["DELETE"], operation_id="deleteBrand",
           summary="Delete a brand and its stored mentions (If-Match required)")
@blp.etag
@requires("write")
@blp.response(204)
def delete_brand(brand_id):
    brand = _brand(brand_id)
    blp.check_etag(etag_of("brand", brand.id, brand.version))
    service.delete_brand(unit_of_work.session(), current_workspace_id(), brand, brand.version, _key_id())


@blp.route("/brands/<id:brand_id>/rematch", methods=["POST"], operation_id="rematchBrand",
           summary="Re-match every post against the brand's rules (background job; re-running changes nothing)",
           idempotent=False)
@requires("write")
@blp.response(202, JobSchema, description="The job was queued; poll GET /v1/jobs/{id}")
def rematch_brand(brand_id):
    brand = _brand(brand_id)
    session = unit_of_work.session()
    job_id = service.queue_match(session, current_workspace_id(), [brand.id])
    _dispatch_match(job_id)
    return runner.get_job(session, current_workspace_id(), job_id), 202, {"Location": f"/v1/jobs/{job_id}"}


@blp.route("/brands/<id:brand_id>/audit", methods=["GET"], operation_id="listBrandAudit",
           summary="The brand's audit trail: who created, changed or deleted it, when, and what changed")
@requires("read")
@blp.response(200, s.BrandAuditEventSchema(many=True))
@blp.paginate(SQLPage)
def list_brand_audit(brand_id):
    session = unit_of_work.session()
    return Listing(session, service.audit_trail_select(session, current_workspace_id(), brand_id))


def _filters(args: dict) -> reports.MentionFilters:
    return reports.MentionFilters(period=reports.Period.of(args.get("since"), args.get("until")),
                                  platform=args.get("platform"), sponsored=args.get("sponsored"),
                                  creator_id=args.get("creator_id"))


@dataclass(frozen=True)
class MentionListing(Listing):
    brand_id: int = 0
    filters: reports.MentionFilters | None = None


class MentionPage(SQLPage):
    @property
    def items(self):
        return [reports.mention_row(row) for row in self.rows()]

    @property
    def item_count(self):
        return reports.count_mentions(self.session, self.collection.brand_id, self.collection.filters)


@blp.route("/brands/<id:brand_id>/mentions", methods=["GET"], operation_id="listBrandMentions",
           summary="Posts mentioning the brand over a period, newest first, with creator, engagement and "
                   "what matched")
@requires("read")
@blp.arguments(s.MentionArgs, location="query", as_kwargs=True)
@blp.response(200, s.MentionSchema(many=True))
@blp.paginate(MentionPage)
def list_brand_mentions(brand_id, **args):
    brand = _brand(brand_id)
    filters = _filters(args)
    return MentionListing(unit_of_work.session(), reports.mentions_select(current_workspace_id(), brand.id, filters),
                          brand.id, filters)


@blp.route("/brands/<id:brand_id>/mentions/timeseries", methods=["GET"], operation_id="getBrandMentionSeries",
           summary="The brand's mentions per day or week: posts, engagements, estimated reach")
@requires("read")
@blp.arguments(s.TimeSeriesArgs, location="query", as_kwargs=True)
@blp.response(200, s.TimeSeriesSchema)
def get_brand_mention_series(brand_id, interval="day", **args):
    brand = _brand(brand_id)
    return reports.time_series(unit_of_work.session(), current_workspace_id(), brand.id, _filters(args), interval)


def _share_of_voice(brand_id: int, args: dict) -> dict:
    brand = _brand(brand_id)
    session = unit_of_work.session()
    return reports.share_of_voice(session, current_workspace_id(), brand, service.group_ids(session, brand),
                                  _filters(args))


@blp.route("/brands/<id:brand_id>/share-of-voice", methods=["GET"], operation_id="getBrandShareOfVoice",
           summary="Share of voice of the brand against its competitor group, by posts, engagements and "
                   "estimated authentic reach")
@requires("read")
@blp.arguments(s.PeriodArgs, location="query", as_kwargs=True)
@blp.response(200, s.ShareOfVoiceSchema)
def get_brand_share_of_voice(brand_id, **args):
    return _share_of_voice(brand_id, args)


@blp.route("/brands/<id:brand_id>/share-of-voice/csv", methods=["GET"], operation_id="getBrandShareOfVoiceCsv",
           summary="Share of voice as CSV, one row per brand of the competitor group")
@requires("read")
@blp.arguments(s.PeriodArgs, location="query", as_kwargs=True)
@blp.doc(responses={"200": {"description": "CSV with a header row",
                            "content": {"text/csv": {"schema": {"type": "string"}}}}})
def get_brand_share_of_voice_csv(brand_id, **args):
    import csv
    import io

    report = _share_of_voice(brand_id, args)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(reports.SOV_CSV_COLUMNS)
    writer.writerows(reports.share_of_voice_rows(report))
    return Response(buffer.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="share-of-voice-{brand_id}.csv"'})


@blp.route("/brands/<id:brand_id>/share-of-voice/chart", methods=["GET"], operation_id="getBrandShareOfVoiceChart",
           summary="Share of voice as a chart (SVG or PNG) to paste into a deck")
@requires("read")
@blp.arguments(s.ChartArgs, location="query", as_kwargs=True)
@blp.doc(responses={"200": {"description": "The chart", "content": {
    "image/svg+xml": {"schema": {"type": "string"}},
    "image/png": {"schema": {"type": "string", "format": "binary"}}}}})
def get_brand_share_of_voice_chart(brand_id, format="svg", metric="posts", **args):
    report = _share_of_voice(brand_id, args)
    return Response(charts.share_of_voice_chart(report, metric, format), mimetype=charts.FORMATS[format])


@blp.route("/creators/<id:creator_id>/brands", methods=["GET"], operation_id="getCreatorBrandHistory",
           summary="The brands a creator mentioned, sponsored or organically: how often, first and last date, posts")
@requires("read")
@blp.response(200, s.BrandHistorySchema)
def get_creator_brand_history(creator_id):
    session = unit_of_work.session()
    creators.get_creator(session, current_workspace_id(), creator_id)
    return reports.creator_brand_history(session, current_workspace_id(), creator_id)
