"""Retention: audience samples older than the configured retention are deleted (CLI / scheduled
task), with the members no sample references any more; audited per sample."""
import datetime as dt

from click.testing import CliRunner
from sqlalchemy import func, select

from influencers.creators.models import AudienceMember, AudienceSample
from influencers.privacy import service
from influencers.workspaces.models import AuditEvent


def samples(database):
    with database.session() as session:
        return sorted((cid, d.isoformat()) for cid, d in session.execute(
            select(AudienceSample.creator_id, AudienceSample.sampled_at)).all())


def members(database, workspace_id):
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(AudienceMember)
                              .where(AudienceMember.workspace_id == workspace_id))


def test_samples_older_than_the_retention_are_deleted_with_their_orphan_members(api, database, tiny):
    # tiny: latest samples 2026-10-15 (a, b, c, t), an older one of a on 2026-01-01 whose
    # members m5 m6 m7 are also in b's and c's latest samples.
    assert members(database, api.workspace_id) == 8 + 1  # m1..m8 on instagram, m1 on tiktok
    with database.transaction() as session:
        result = service.enforce_retention(session, retention_days=100, today=dt.date(2026, 10, 20))
    assert result.samples_deleted == 1
    assert (tiny["a"], "2026-01-01") not in samples(database)
    assert len(samples(database)) == 4
    assert members(database, api.workspace_id) == 9  # every member is still in a latest sample
    with database.transaction() as session:
        result = service.enforce_retention(session, retention_days=100, today=dt.date(2027, 6, 1))
    assert result.samples_deleted == 4 and samples(database) == []
    assert members(database, api.workspace_id) == 0
    with database.session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.object_type == "audience_sample")).all()
    assert len(events) == 5 and {e.action for e in events} == {"expired"}
    assert all(e.workspace_id == api.workspace_id and "100-day retention" in e.reason for e in events)


def test_nothing_within_the_retention_is_touched(api, database, tiny):
    before = samples(database)
    with database.transaction() as session:
        result = service.enforce_retention(session, retention_days=3650, today=dt.date(2026, 10, 20))
    assert result.samples_deleted == 0 and samples(database) == before


def test_retention_cli_uses_the_configured_days(api, database, settings, tiny, monkeypatch):
    from influencers import cli

    monkeypatch.setenv("INFLUENCERS_DATABASE_URL", database.url)
    monkeypatch.setenv("INFLUENCERS_PSEUDONYM_SECRET", settings.pseudonym_secret.decode())
    age = (dt.date.today() - dt.date(2026, 1, 1)).days
    monkeypatch.setenv("INFLUENCERS_AUDIENCE_RETENTION_DAYS", str(age - 1))
    result = CliRunner().invoke(cli.main, ["privacy", "enforce-retention"])
    assert result.exit_code == 0, result.output
    assert "1 audience sample" in result.output
    assert (tiny["a"], "2026-01-01") not in samples(database)
    bad = CliRunner().invoke(cli.main, ["privacy", "enforce-retention", "--days", "0"])
    assert bad.exit_code != 0


def test_a_celery_beat_entry_schedules_the_retention_task():
    from influencers.jobs.celery_app import app

    entries = [e for e in app.conf.beat_schedule.values() if e["task"] == "influencers.enforce_audience_retention"]
    assert len(entries) == 1
    assert "influencers.enforce_audience_retention" in app.tasks
