"""A gunicorn worker that stops (a deploy, a restart, the end of a test) exits at once."""
import gc

from influencers.serving import gunicorn_conf


def test_a_stopping_worker_skips_the_interpreter_s_last_collections():
    # gunicorn calls worker_exit in the worker just before it exits. Left to collect, the exiting
    # interpreter walks every object of the application: about a second of each stop or restart.
    before = gc.get_freeze_count()
    try:
        gunicorn_conf.worker_exit(server=None, worker=None)
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
