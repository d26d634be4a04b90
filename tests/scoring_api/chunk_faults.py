"""Faults for a real worker process (named in ``INFLUENCERS_JOB_MODULES``): with
``INFLUENCERS_TEST_FAILING_CHUNK=k`` set, scoring chunk ``k`` of any run raises; with
``INFLUENCERS_TEST_LAST_CHUNK=k``, it is scored after every other chunk of its workspace."""
import os
import time

from influencers.scoring import chunked_run


def failing_chunk(k: int):
    """``chunked_run.score_chunk`` that raises for chunk ``k``."""
    real = chunked_run.score_chunk

    def score_chunk(*args, **kwargs):
        if args[4] == k:
            raise RuntimeError(f"chunk {k} broke")
        return real(*args, **kwargs)

    return score_chunk


if os.environ.get("INFLUENCERS_TEST_FAILING_CHUNK"):
    chunked_run.score_chunk = failing_chunk(int(os.environ["INFLUENCERS_TEST_FAILING_CHUNK"]))



def last_chunk(k: int, timeout: float = 60.0):
    """``chunked_run.score_chunk`` that scores chunk ``k`` only once every other chunk job of its
    workspace has finished (read on a connection of its own: the chunk's snapshot is older)."""
    real = chunked_run.score_chunk

    def score_chunk(*args, **kwargs):
        if args[4] == k:
            from sqlalchemy import func, select

            from influencers.jobs.broker import _database, _settings
            from influencers.jobs.models import Job

            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                with _database(_settings().database_url).transaction(write=False) as session:
                    unfinished = session.scalar(select(func.count()).select_from(Job).where(
                        Job.workspace_id == args[1], Job.kind == "score_chunk", Job.status.in_(("queued", "running"))))
                if unfinished <= 1:  # this one
                    break
                time.sleep(0.05)
        return real(*args, **kwargs)

    return score_chunk


if os.environ.get("INFLUENCERS_TEST_LAST_CHUNK"):
    chunked_run.score_chunk = last_chunk(int(os.environ["INFLUENCERS_TEST_LAST_CHUNK"]))
