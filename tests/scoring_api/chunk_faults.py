"""Faults for a real worker process (named in ``INFLUENCERS_JOB_MODULES``): with
``INFLUENCERS_TEST_FAILING_CHUNK=k`` set, scoring chunk ``k`` of any run raises; with
``INFLUENCERS_TEST_SLOW_CHUNK=k:seconds``, it takes that much longer."""
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


def slow_chunk(k: int, seconds: float):
    """``chunked_run.score_chunk`` that sleeps ``seconds`` before scoring chunk ``k``."""
    real = chunked_run.score_chunk

    def score_chunk(*args, **kwargs):
        if args[4] == k:
            time.sleep(seconds)
        return real(*args, **kwargs)

    return score_chunk


if os.environ.get("INFLUENCERS_TEST_SLOW_CHUNK"):  # "k:seconds"
    _k, _seconds = os.environ["INFLUENCERS_TEST_SLOW_CHUNK"].split(":")
    chunked_run.score_chunk = slow_chunk(int(_k), float(_seconds))
