"""Webhooks: workspaces register HTTPS endpoints and receive signed events.

Domain code announces what happened with :func:`emit` inside its own transaction;
the deliveries are created in that transaction and handed to the job runner once it
commits (nothing is sent for work that rolled back). Event types and their ``data``:

- ``import.completed``: an import finished (its report's counts);
- ``scoring_run.succeeded`` / ``scoring_run.failed``: ``{"scoring_run": {...}}``;
- ``scoring_model.activated``: ``{"scoring_model": {...}}`` (emitted by model activation);
- ``campaign.status_changed``: ``{"campaign": {...}, "from_status", "to_status", "reason"}``;
- ``deliverable.submitted`` / ``deliverable.approved`` / ``deliverable.published``:
  ``{"deliverable": {...}, "from_status", "to_status", "reason"}``;
- ``webhook.test``: sent on demand to one endpoint (``POST .../test``), never subscribed to.

Every request body is ``{"type": ..., "timestamp": ..., "data": {...}}``; see
:mod:`influencers.webhooks.signing` for the headers.
"""
from influencers.webhooks.events import EVENT_TYPES, TEST_EVENT, emit  # noqa: F401
