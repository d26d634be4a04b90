"""gunicorn's configuration for the API: ``influencers serve`` uses it, and so does
``gunicorn wsgi:app`` run from the repository (through ``gunicorn.conf.py``).

Threads behind an event loop that receives each request whole (see
:mod:`influencers.serving.worker`): idle or slow clients cost a socket, not a thread.
Environment: ``INFLUENCERS_WORKERS`` (processes, default 2), ``INFLUENCERS_THREADS``
(threads per process, default 8), ``INFLUENCERS_HEADER_TIMEOUT`` / ``INFLUENCERS_BODY_TIMEOUT``.
"""
import os

worker_class = "influencers.serving.worker.BufferingThreadWorker"
workers = int(os.environ.get("INFLUENCERS_WORKERS") or 2)
threads = int(os.environ.get("INFLUENCERS_THREADS") or 8)
# Connections per process: requests being received, kept alive or answered.
worker_connections = 1000
# The worker's event loop reports to the master every second whatever its threads do:
# this only catches a stuck loop, never a long request (an import runs in a thread).
timeout = 60
graceful_timeout = 30
keepalive = 5


def post_worker_init(worker):
    # Each serving process fails the jobs of processes that died (see influencers.jobs.reaper).
    from influencers.config import load_settings
    from influencers.jobs.reaper import start_process_reaper

    start_process_reaper(load_settings())


def worker_exit(server, worker):
    # The process ends next: without this its interpreter would walk every object it holds (the
    # application, its caches) in full collections, making each stop or restart wait for it
    # (figures: benchmarks/README.md). Memory is returned to the system anyway.
    import gc

    gc.freeze()
