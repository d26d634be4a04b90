"""The errors domain code raises when it refuses a request, one hierarchy for every package.

Domain functions raise these; they know nothing of HTTP. The API maps each kind to a
status in one place (``influencers.api.errors``), the CLI prints the message.

- ``message``: what went wrong, for people.
- ``fields``: which inputs were wrong and why, ``{field: [reason, ...]}`` (or, for a nested
  input, ``{group: {field: [reason, ...]}}``); empty when the problem is not with a given
  input. ``field=`` and ``reason=`` name a single one.
- ``location``: where those fields were given, when not in the body: ``"query"`` for a
  filter, ``"form"`` for an uploaded form, or a name of the caller's choosing.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DomainError(Exception):
    """A request the domain refuses. Raise a subclass: the kind says how it is answered."""

    default_message = "The request cannot be carried out."

    def __init__(self, message: str | None = None, *, field: str | None = None, reason: str | None = None,
                 fields: Mapping[str, Any] | None = None, location: str = "json"):
        self.message = message or self.default_message
        super().__init__(self.message)
        self.location = location
        self.fields: dict[str, Any] = dict(fields or {})
        if field is not None:
            self.fields.setdefault(field, []).append(reason or self.message)

    @property
    def field(self) -> str | None:
        """The first input named, if any."""
        return next(iter(self.fields), None)

    @property
    def reason(self) -> str | None:
        """Why the first input named is wrong."""
        reasons = self.fields[self.field] if self.fields else None
        return reasons[0] if isinstance(reasons, list) and reasons else None


class NotFound(DomainError):
    """No such thing, or not in the caller's workspace (the two are never told apart)."""

    default_message = "No such resource."


class PermissionDenied(DomainError):
    """The caller's role does not allow this."""

    default_message = "This API key's role does not allow this operation."


class Conflict(DomainError):
    """The request conflicts with the current state: a duplicate, or a state that forbids it."""

    default_message = "The request conflicts with the current state of the resource."


class StaleVersion(Conflict):
    """The thing changed since the caller read it (its version moved on)."""

    default_message = "It changed since it was read; fetch it again and retry."

    @classmethod
    def of(cls, what: str) -> StaleVersion:
        return cls(f"The {what} changed since it was read; fetch it again and retry.")


class InvalidInput(DomainError):
    """An input's value is unacceptable in context: ``field`` and ``reason`` say which and why.

    The message defaults to the reason, as a person reads it.
    """

    default_message = "Some inputs are invalid."

    def __init__(self, field: str | None = None, reason: str | None = None, *, message: str | None = None,
                 fields: Mapping[str, Any] | None = None, location: str = "json"):
        super().__init__(message or reason, field=field, reason=reason, fields=fields, location=location)
