"""A fault for a real worker process (named in ``INFLUENCERS_JOB_MODULES``): with
``INFLUENCERS_TEST_FAILING_CHUNK=k`` set, scoring chunk ``k`` of any run raises."""
import os

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
