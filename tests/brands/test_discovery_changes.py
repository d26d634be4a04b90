"""Discovery's change rows (PostgreSQL: one per writing transaction and workspace) do not pile up
in a workspace nobody searches: the job reaper folds them into the counter, the generation exact."""
import threading

from sqlalchemy import func, select, update

from influencers.assembly import assemble
from influencers.brands.discovery_generation import DiscoveryChange
from influencers.config import Settings
from influencers.creators.models import Creator
from influencers.discovery.index import read_generation
from influencers.jobs.reaper import reap
from tests.fixtures.database import TEST_SECRET


def _generation(database, workspace_id):
    with database.transaction(write=False) as session:
        return read_generation(session, workspace_id)


def _change_rows(database, workspace_id):
    with database.transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(DiscoveryChange).where(
            DiscoveryChange.workspace_id == workspace_id))


def _write(database, creator_id, followers):
    with database.transaction() as session:
        session.execute(update(Creator).where(Creator.id == creator_id).values(followers=followers))


def test_the_reaper_folds_the_change_rows_of_a_workspace_nobody_searches(database, workspace_id):
    assemble()  # what every server and worker process does: it registers the fold with the reaper
    with database.transaction() as session:
        creator = Creator(workspace_id=workspace_id, platform="instagram", handle="written.often")
        session.add(creator)
    start = _generation(database, workspace_id)
    for followers in range(40):  # forty writing transactions, no search
        _write(database, creator.id, followers)
    written = _generation(database, workspace_id)
    assert written == start + 40
    settings = Settings(database_url=database.url, pseudonym_secret=TEST_SECRET)
    if database.is_sqlite:  # a counter only: nothing to fold
        assert reap(database, settings) == [] and _generation(database, workspace_id) == written
        return
    assert _change_rows(database, workspace_id) >= 40

    # A writer still open while the reaper folds: neither waits for the other, and its write,
    # committed after the fold, still moves the generation by one.
    open_writer = database.session(write=True)
    try:
        open_writer.execute(update(Creator).where(Creator.id == creator.id).values(followers=-1))
        reaper = threading.Thread(target=reap, args=(database, settings))
        reaper.start()
        reaper.join(timeout=10)
        assert not reaper.is_alive(), "the fold waited for an open writer"
        assert _change_rows(database, workspace_id) == 0
        assert _generation(database, workspace_id) == written  # exact: the counter took the rows
        open_writer.commit()
    finally:
        open_writer.close()
    assert _generation(database, workspace_id) == written + 1
    _write(database, creator.id, 7)
    assert _generation(database, workspace_id) == written + 2
    assert _change_rows(database, workspace_id) == 2
