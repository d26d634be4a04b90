"""Job kinds for the tests, importable by a real worker process (``INFLUENCERS_JOB_MODULES``)."""
import time

from influencers.jobs import runner


@runner.job_handler("test.sleep")
def sleep(db, settings, workspace_id, params, report_progress):
    report_progress(0.1)
    time.sleep(params["seconds"])
    return {"slept": params["seconds"]}
