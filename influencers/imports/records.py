"""The records of the NDJSON import format (``docs/import-format.md``) as msgspec Structs.

One line decodes to one record of the tagged union :data:`Record` (tag field
``"type"``). Decoding is strict: unknown fields are errors, ints must be JSON
integers (``2.5`` and ``2.0`` are both rejected for a count), counts are >= 0,
timestamps need a timezone, enumerations and ISO codes are checked, and strings
are limited to the width of the column they are stored in.

:func:`decode_line` turns one line into a record or raises :class:`RecordError`
whose message is the rejection reason shown to the user, e.g.
``Expected `int` >= 0 - at `$.members[3].followers```.

Choices made here (the format leaves them open):

* handles (``handle``, ``source``, ``target``) are normalised with
  :func:`~influencers.creators.models.normalise_handle` while decoding, so
  ``@Alice.Cooks`` and ``alice.cooks`` are the same creator;
* a creator's ``categories`` are de-duplicated (first occurrence kept);
* an audience sample listing the same member ``id`` twice is **rejected**: the
  two entries may carry different profiles and there is no right one to keep.
  The reason names both positions but never echoes the member id itself;
* an edge whose source and target are the same creator is rejected.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import sys
from operator import attrgetter
from typing import Annotated, Literal

import msgspec

from influencers.creators.models import (
    AGE_RANGES,
    EDGE_KINDS,
    GENDERS,
    HANDLE_MAX,
    HANDLE_RULE,
    PLATFORMS,
    POST_KINDS,
    is_valid_handle,
    normalise_handle,
)

__all__ = [
    "RECORD_TYPES",
    "MAX_LINE_BYTES",
    "Creator",
    "Post",
    "Snapshot",
    "Member",
    "Audience",
    "Edge",
    "Label",
    "Record",
    "RecordError",
    "decode_line",
    "decoder",
    "explain",
]

#: Lines longer than this (in bytes, after UTF-8 encoding) are rejected unread.
#: An audience sample of 10,000 members is about 2.5 MB.
MAX_LINE_BYTES = 16 * 1024 * 1024

# -- field types ---------------------------------------------------------------

_BIGINT_MAX = 2**63 - 1
_INT_MAX = 2**31 - 1

Count = Annotated[int, msgspec.Meta(ge=0, le=_BIGINT_MAX)]
SmallCount = Annotated[int, msgspec.Meta(ge=0, le=_INT_MAX)]
Weight = Annotated[float, msgspec.Meta(ge=0, le=sys.float_info.max)]  # finite, >= 0
Timestamp = Annotated[dt.datetime, msgspec.Meta(tz=True)]

Platform = Literal[PLATFORMS]
PostKind = Literal[POST_KINDS]
EdgeKind = Literal[EDGE_KINDS]
Gender = Literal[GENDERS]
AgeRange = Literal[AGE_RANGES]

# ISO 3166-1 alpha-2 and ISO 639-1. The length too: `$` also matches before a final line
# break, which the pattern alone would let through (and no two-character column stores).
Country = Annotated[str, msgspec.Meta(pattern="^[A-Z]{2}$", max_length=2)]
Language = Annotated[str, msgspec.Meta(pattern="^[a-z]{2}$", max_length=2)]

# Handles are checked again after normalisation (<= 100 characters, the column).
Handle = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
DisplayName = Annotated[str, msgspec.Meta(max_length=200)]
Email = Annotated[str, msgspec.Meta(max_length=320)]
Url = Annotated[str, msgspec.Meta(max_length=2000)]
Category = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
ExternalId = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
MemberId = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


def _bad_handle(handle: str, field: str) -> ValueError:
    if not handle:
        return ValueError(f"Expected a non-empty handle - at `$.{field}`")
    if len(handle) > HANDLE_MAX:
        return ValueError(f"Expected a handle of length <= {HANDLE_MAX} - at `$.{field}`")
    return ValueError(f"Expected a handle of {HANDLE_RULE} - at `$.{field}`")


# Handle as sent -> normalised (== normalise_handle()), for the valid ones: a file names the
# same creators on many lines (posts, snapshots). Bounded: emptied when full.
_HANDLES: dict[str, str] = {}
_HANDLES_MAX = 65536


def _checked_handle(handle: str) -> str:
    normalised = _HANDLES.get(handle)
    if normalised is None:
        normalised = handle.strip().lstrip("@").lower()
        if not is_valid_handle(normalised):
            raise _bad_handle(normalised, "handle")
        if len(_HANDLES) >= _HANDLES_MAX:
            _HANDLES.clear()
        _HANDLES[handle] = normalised
    return normalised


# The records hold no reference cycles, so they are not tracked by the garbage
# collector (gc=False): an import allocates millions of them.
class _Record(msgspec.Struct, forbid_unknown_fields=True, tag_field="type", gc=False):
    pass


class Creator(_Record, tag="creator"):
    platform: Platform
    handle: Handle
    followers: Count
    following: Count
    posts_count: Count
    display_name: DisplayName | None = None
    bio: str | None = None
    country: Country | None = None
    language: Language | None = None
    categories: list[Category] | None = None
    verified: bool | None = None
    email: Email | None = None
    website: Url | None = None
    avatar_url: Url | None = None
    joined_at: dt.date | None = None

    def __post_init__(self) -> None:
        self.handle = _checked_handle(self.handle)
        if self.categories:
            self.categories = list(dict.fromkeys(self.categories))


class Post(_Record, tag="post"):
    platform: Platform
    handle: Handle
    external_id: ExternalId
    published_at: Timestamp
    likes: Count
    comments: Count
    kind: PostKind | None = None
    views: Count | None = None
    shares: Count | None = None
    saves: Count | None = None
    sponsored: bool | None = None
    caption: str | None = None
    hashtags: list[Tag] | None = None
    mentions: list[Tag] | None = None

    def __post_init__(self) -> None:
        self.handle = _checked_handle(self.handle)


class Snapshot(_Record, tag="snapshot"):
    platform: Platform
    handle: Handle
    date: dt.date
    followers: Count
    following: Count | None = None
    posts_count: Count | None = None

    def __post_init__(self) -> None:
        self.handle = _checked_handle(self.handle)


class Member(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """One sampled follower account. ``id`` is pseudonymised before storage."""

    id: MemberId
    followers: Count
    following: Count
    posts_count: Count
    has_avatar: bool
    bio_length: SmallCount | None = None
    created_at: dt.date | None = None
    last_post_at: dt.date | None = None
    country: Country | None = None
    language: Language | None = None
    gender: Gender | None = None
    age_range: AgeRange | None = None


class Audience(_Record, tag="audience"):
    platform: Platform
    handle: Handle
    sampled_at: dt.date
    members: list[Member]

    def __post_init__(self) -> None:
        self.handle = _checked_handle(self.handle)
        members = self.members
        ids = {m.id for m in members}
        if len(ids) != len(members):
            first: dict[str, int] = {}
            for i, m in enumerate(members):
                j = first.setdefault(m.id, i)
                if j != i:
                    raise ValueError(
                        f"duplicate member id at `$.members[{i}]` (same id as `$.members[{j}]`)"
                    )


# -- audience lines, decoded the fast way ----------------------------------------------
# Matching the country and language patterns (a regular expression each, per member) is most
# of msgspec's time on an audience line. ``audience_decoder`` reads those two fields as plain
# strings; :func:`decode_audience` then checks the codes of all the members at once against
# the sets of every string the patterns accept, and leaves a line with any other code (or
# any error) to ``decoder``, which accepts or rejects it with its reason: the records are
# those ``decoder`` would give.


def _with_codes_unchecked(field: msgspec.structs.FieldInfo) -> tuple:
    kind = str | None if field.name in ("country", "language") else field.type
    return (field.name, kind) if field.default is msgspec.NODEFAULT else (field.name, kind, field.default)


# Member's fields, with the two codes as plain strings.
_CodesUncheckedMember = msgspec.defstruct(
    "_CodesUncheckedMember", [_with_codes_unchecked(f) for f in msgspec.structs.fields(Member)],
    forbid_unknown_fields=True, gc=False)
assert _CodesUncheckedMember.__struct_fields__ == Member.__struct_fields__


class _CodesUncheckedAudience(_Record, tag="audience"):
    platform: Platform
    handle: Handle
    sampled_at: dt.date
    members: list[_CodesUncheckedMember]

    __post_init__ = Audience.__post_init__


audience_decoder = msgspec.json.Decoder(_CodesUncheckedAudience)
_UPPER, _LOWER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"
_COUNTRY_CODES = frozenset(a + b for a in _UPPER for b in _UPPER) | {None}  # what ^[A-Z]{2}$ accepts
_LANGUAGE_CODES = frozenset(a + b for a in _LOWER for b in _LOWER) | {None}  # what ^[a-z]{2}$ accepts
_countries, _languages = attrgetter("country"), attrgetter("language")


def decode_audience(line: bytes):
    """An audience line's record, as ``decoder`` would decode it; None if the line is not
    one that ``audience_decoder`` and the code sets accept (``decoder`` has the last word)."""
    try:
        record = audience_decoder.decode(line)
    except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError):
        return None
    members = record.members
    if _COUNTRY_CODES.issuperset(map(_countries, members)) and _LANGUAGE_CODES.issuperset(
            map(_languages, members)):
        return record
    return None


class Edge(_Record, tag="edge"):
    platform: Platform
    source: Handle
    target: Handle
    kind: EdgeKind
    weight: Weight = 1.0
    observed_at: dt.date | None = None

    def __post_init__(self) -> None:
        source = normalise_handle(self.source)
        target = normalise_handle(self.target)
        if not is_valid_handle(source):
            raise _bad_handle(source, "source")
        if not is_valid_handle(target):
            raise _bad_handle(target, "target")
        self.source, self.target = source, target
        if source == target:
            raise ValueError("an edge cannot link a creator to itself (`$.source` == `$.target`)")


LabelKind = Annotated[str, msgspec.Meta(pattern="^[a-z][a-z0-9_]{0,49}$")]
LabelSource = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Note = Annotated[str, msgspec.Meta(max_length=10000)]


class Label(_Record, tag="label"):
    """An analyst's verdict on a creator (ground truth for recalibrated scoring)."""

    platform: Platform
    handle: Handle
    label: Literal["fraud", "clean"]
    kinds: list[LabelKind] | None = None
    source: LabelSource | None = None
    labelled_at: dt.date | None = None
    note: Note | None = None

    def __post_init__(self) -> None:
        handle = self.handle.strip().lstrip("@").lower()  # == normalise_handle()
        if not 0 < len(handle) <= HANDLE_MAX:
            raise _bad_handle(handle, "handle")
        self.handle = handle
        if self.kinds:
            if self.label != "fraud":
                raise ValueError("kinds are only given with a `fraud` label - at `$.kinds`")
            self.kinds = list(dict.fromkeys(self.kinds))


Record = Creator | Post | Snapshot | Audience | Edge | Label
RECORD_TYPES: tuple[str, ...] = ("creator", "post", "snapshot", "audience", "edge", "label")
_ALLOWED = ", ".join(RECORD_TYPES)


class RecordError(ValueError):
    """A line that is not a valid record; ``str(error)`` is the rejection reason."""


decoder = msgspec.json.Decoder(Record)


# -- keys: what a re-import reads of a line before deciding to decode it --------------
# Only the natural key of the line's record, unknown fields skipped unread (no validation):
# a line byte for byte the one that wrote its row (same digest) needs nothing else, and any
# other line is decoded in full (with the strict Record decoder) before it is stored.


class _Key(msgspec.Struct, tag_field="type", gc=False):
    pass


class CreatorKey(_Key, tag="creator"):
    platform: str
    handle: str

    def __post_init__(self) -> None:
        handle = self.handle
        self.handle = _HANDLES.get(handle) or handle.strip().lstrip("@").lower()  # as _checked_handle


class PostKey(_Key, tag="post"):
    platform: str
    handle: str
    external_id: str

    def __post_init__(self) -> None:
        handle = self.handle
        self.handle = _HANDLES.get(handle) or handle.strip().lstrip("@").lower()  # as _checked_handle


class AudienceKey(_Key, tag="audience"):
    platform: str
    handle: str
    sampled_at: dt.date

    def __post_init__(self) -> None:
        handle = self.handle
        self.handle = _HANDLES.get(handle) or handle.strip().lstrip("@").lower()  # as _checked_handle


class _OtherKey(_Key):
    """A record type always decoded in full (small records, or compared value by value)."""


class _SnapshotKey(_OtherKey, tag="snapshot"):
    pass


class _EdgeKey(_OtherKey, tag="edge"):
    pass


class _LabelKey(_OtherKey, tag="label"):
    pass


#: The record types read by key first: their rows keep the digest of the line that wrote them.
KEYED_TYPES = (CreatorKey, PostKey, AudienceKey)
key_decoder = msgspec.json.Decoder(CreatorKey | PostKey | AudienceKey | _SnapshotKey | _EdgeKey | _LabelKey)


class _MemberId(msgspec.Struct, gc=False):
    id: str


class AudienceMemberIds(msgspec.Struct, gc=False):
    """An audience line's member ids only (to find the members it shares with other lines)."""

    platform: str
    members: list[_MemberId]


member_ids_decoder = msgspec.json.Decoder(AudienceMemberIds)
_any_decoder = msgspec.json.Decoder()
_BOM = b"\xef\xbb\xbf"


def decode_line(line: bytes | str, *, max_bytes: int = MAX_LINE_BYTES) -> Record:
    """Decode one NDJSON line (without or with its line terminator).

    Raises :class:`RecordError` with a human-readable reason. Blank lines are the
    caller's business (the importer skips them): here they are invalid JSON.
    """
    if isinstance(line, str):
        line = line.encode("utf-8", "surrogatepass")
    if len(line) > max_bytes:
        raise RecordError(too_long(len(line), max_bytes))
    if line.startswith(_BOM):
        line = line[len(_BOM):]
    try:
        record = decoder.decode(line)
    except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise RecordError(bounded_reason(explain(line, exc))) from None
    reason = unstorable_text(line) if b"\\u" in line else None
    if reason:
        raise RecordError(reason)
    return record


# NUL and unpaired surrogates: no database column stores them. In valid UTF-8 JSON they
# can only arrive as \u escapes, so lines without one are never looked at twice.
_UNSTORABLE_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89abcdefABCDEF][0-9a-fA-F]{2})")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable_path(value, path: str) -> str | None:
    if isinstance(value, str):
        return path if _UNSTORABLE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if _UNSTORABLE.search(key):
                return path
            found = _unstorable_path(item, f"{path}.{key}")
            if found:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _unstorable_path(item, f"{path}[{i}]")
            if found:
                return found
    return None


def unstorable_text(line: bytes) -> str | None:
    """The rejection reason when a string of ``line`` holds NUL or an unpaired surrogate, else None."""
    if not _UNSTORABLE_ESCAPE.search(line):
        return None
    try:
        value = json.loads(line)  # the standard library keeps lone surrogates, to be found here
    except ValueError:
        return None
    path = _unstorable_path(value, "$")
    if path is None:
        return None
    return f"text must not contain NUL (\\u0000) or unpaired surrogate characters - at `{path}`"


_LONG_QUOTED = re.compile(r"(`[^`]{60})[^`]+`")
MAX_REASON_CHARS = 300


def bounded_reason(reason: str) -> str:
    """``reason`` with any echoed input cut short: a reason never grows with the line."""
    if len(reason) <= MAX_REASON_CHARS:
        return reason
    reason = _LONG_QUOTED.sub(lambda m: m.group(1) + "...`", reason)
    return reason if len(reason) <= MAX_REASON_CHARS else reason[:MAX_REASON_CHARS - 3] + "..."


def too_long(size: int, limit: int) -> str:
    return f"line is {size} bytes, over the limit of {limit} bytes"


def explain(line: bytes, exc: Exception) -> str:
    """The rejection reason for a decoding error of ``line``."""
    if isinstance(exc, msgspec.ValidationError):
        message = str(exc)
        if message == "Object missing required field `type`":
            return f"missing required field `type` (one of: {_ALLOWED})"
        if message.startswith("Invalid value ") and message.endswith("- at `$.type`"):
            try:
                value = _any_decoder.decode(line).get("type")
            except Exception:  # pragma: no cover - it decoded a moment ago
                value = "?"
            return f"unknown type {value!r} - at `$.type` (expected one of: {_ALLOWED})"
        return message
    if isinstance(exc, msgspec.DecodeError):
        # msgspec refuses lone surrogates with a bare "truncated" message: say which field.
        unstorable = unstorable_text(line)
        if unstorable:
            return unstorable
        # msgspec >= 0.20 reports bad UTF-8 as a DecodeError ("Invalid UTF-8 encoded
        # string") without the position; name the byte the way older versions did.
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as bad:
            exc = bad
    if isinstance(exc, UnicodeDecodeError):
        return f"invalid UTF-8: {exc.reason} at byte {exc.start}"
    return f"invalid JSON: {exc}"
