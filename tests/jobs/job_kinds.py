"""Job kinds for the tests, importable by a real worker process (``INFLUENCERS_JOB_MODULES``)."""
import time

from influencers.jobs import runner


@runner.job_handler("test.sleep")
def sleep(db, settings, workspace_id, params, report_progress):
    report_progress(0.1)
    time.sleep(params["seconds"])
    return {"slept": params["seconds"]}


@runner.job_handler("test.add")
def add(db, settings, workspace_id, params, report_progress):
    report_progress(0.5)
    return {"sum": params["a"] + params["b"]}


@runner.job_handler("test.fail")
def fail(db, settings, workspace_id, params, report_progress):
    raise ValueError("bad input for this job")
