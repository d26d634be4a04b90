"""Set-based NDJSON import: :func:`run_import`.

How an import runs
------------------

* **One transaction.** The whole import runs in one write transaction
  (``db.transaction(write=True)``): every valid line lands together, or, if
  anything crashes, nothing does. On PostgreSQL a transaction-scoped advisory
  lock per workspace serialises concurrent imports into the same workspace (on
  SQLite the ``BEGIN IMMEDIATE`` write lock already does).

* **Streaming in chunks.** Lines are decoded one by one (:mod:`.records`) and
  collected into chunks (``chunk_size`` lines or ``chunk_bytes`` bytes, whichever
  comes first), so memory stays bounded whatever the file size. A chunk is
  written with a handful of set-based statements per table, never one query per
  record:

  1. creators of the chunk: one query reads the existing rows (and one their
     categories) for all their natural keys; new ones are bulk-inserted, changed
     ones bulk-updated;
  2. every other handle the chunk names: one query maps ``(platform, handle)``
     to creator ids;
  3. posts, snapshots, audience members, audience samples and their member
     lists, edges: per table, rows are de-duplicated on their natural key (the
     last line wins), then written with one of two equivalent strategies
     (:meth:`_Importer._store`):

     - PostgreSQL, *read first*: one ``unnest(keys) JOIN LATERAL`` query reads
       the existing rows, the new rows go in with ``COPY``, the changed ones with
       ``COPY`` into a temporary table and one ``UPDATE ... FROM``;
     - SQLite, *insert first*: one ``executemany`` of ``INSERT ... ON CONFLICT
       DO NOTHING``; only if some rows were not inserted (their key exists) are
       those few read back (one ``json_each(keys)`` join) and compared, the
       changed ones updated with ``executemany``. A first import reads nothing.
       When most keys of a batch turn out to exist (a re-import), that table
       switches to *read first* (one ``json_each`` join), and back again when
       most keys are new.

     Audience members recur from sample to sample: two bounded caches (raw id
     -> member key per platform, member key -> (id, stored profile)) spare the
     HMAC and the database for the members seen in recent chunks.

  Rows whose id child rows need (creators, members, samples) get it allocated
  up front (SQLite: counting on from ``max(id)`` under the write lock;
  PostgreSQL: ``nextval`` of the table's sequence, one query per chunk), so a
  sample's member list is written as plain (sample id, member id) pairs without
  reading ids back. Existing rows are compared in Python with the values of the
  record (in the form the driver returns them), so only real changes are written.

* **Creators defined later in the file (deferred resolution).** A record whose
  creator is neither in the workspace nor among the creators read so far is
  set aside, encoded, in a temporary file (bounded memory), and applied after the
  last line, when every creator of the file has been stored; if its creator is
  still unknown then, the line is rejected ("unknown creator"). Consequence,
  documented: such a set-aside record is applied *after* the lines that follow
  it, so if a later line upserts the same natural key (or the same audience
  member), the set-aside, earlier line wins.

* **Upsert semantics.** Natural keys: creator (platform, normalised handle),
  post (platform, external_id), snapshot (creator, date), audience sample
  (creator, sampled_at), member (platform, HMAC of the id), edge (source,
  target, kind), all within the workspace. A creator record *replaces* the
  creator's profile: optional fields it leaves out become empty (``verified``
  false) and its ``categories`` replace the stored set (none given: no
  categories). An audience record replaces that sample's member list; member
  profile fields become those of the latest record naming the member. Rows
  whose stored values already equal the record are not written at all, so
  re-importing a file changes nothing, not even ``updated_at``/``version``.

* **Report.** ``stored``: for each kind (``creator``, ``post``, ``snapshot``, ``audience``
  -- the samples, counting a changed member list as an update -- ``member``,
  ``edge``) the report says how many rows were ``inserted``, ``updated`` and
  ``unchanged``. They count distinct natural keys per chunk: a key repeated in
  one chunk (e.g. a follower in several samples) counts once there. ``records``
  counts the valid lines of each type that were stored.

* **Pseudonymisation.** Member ids are replaced with
  ``member_key(workspace_key(secret, workspace_id), platform, id)`` in memory,
  before anything reaches the database.
"""
from __future__ import annotations

import datetime as dt
import heapq
import hmac
import struct
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import repeat

import msgspec
from sqlalchemy import text

from influencers.brands.rematch import match_written_posts
from influencers.creators.contests import detect_contests
from influencers.creators.pseudonym import workspace_key
from influencers.db import Database, utcnow
from influencers.imports.records import (
    MAX_LINE_BYTES,
    RECORD_TYPES,
    Audience,
    Creator,
    Edge,
    Label,
    Member,
    Post,
    Record,
    Snapshot,
    bounded_reason,
    decoder,
    explain,
    too_long,
    unstorable_text,
)

__all__ = ["ImportReport", "run_import", "KINDS", "DEFAULT_CHUNK_SIZE", "DEFAULT_CHUNK_BYTES"]

#: Kinds of stored rows reported in :attr:`ImportReport.stored`.
KINDS: tuple[str, ...] = ("creator", "post", "snapshot", "audience", "member", "edge", "label")
DEFAULT_CHUNK_SIZE = 5000  # lines
DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_REJECTIONS = 1000
_UTC = dt.UTC
_json_encode = msgspec.json.encode
_astuple = msgspec.structs.astuple
_to_builtins = msgspec.to_builtins


@dataclass
class ImportReport:
    """What an import did (``dataclasses.asdict`` or ``to_dict()`` for JSON).

    Invariant: ``lines_read == blank_lines + accepted + rejected_count``.
    """

    workspace_id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    lines_read: int = 0
    bytes_read: int = 0
    blank_lines: int = 0
    #: valid lines stored, per record type
    records: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RECORD_TYPES, 0))
    #: rows per kind: {"creator": {"inserted": n, "updated": n, "unchanged": n}, ...}
    stored: dict[str, dict[str, int]] = field(
        default_factory=lambda: {k: {"inserted": 0, "updated": 0, "unchanged": 0} for k in KINDS}
    )
    #: records applied after the last line because their creator came later in the file
    deferred: int = 0
    #: the first ``max_rejections`` rejected lines (lowest line numbers), sorted
    rejected: list[dict] = field(default_factory=list)
    #: every rejected line, including those beyond the cap of ``rejected``
    rejected_count: int = 0

    @property
    def written(self) -> dict[str, int]:
        """Rows written (inserted or updated) per kind."""
        return {k: c["inserted"] + c["updated"] for k, c in self.stored.items()}

    @property
    def changed(self) -> bool:
        """False when the import changed nothing at all (e.g. the same file again)."""
        return any(self.written.values())

    @property
    def accepted(self) -> int:
        return sum(self.records.values())

    def to_dict(self) -> dict:
        return {
            "workspace_id": self.workspace_id,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "lines_read": self.lines_read,
            "bytes_read": self.bytes_read,
            "blank_lines": self.blank_lines,
            "accepted": self.accepted,
            "records": dict(self.records),
            "stored": {k: dict(v) for k, v in self.stored.items()},
            "deferred": self.deferred,
            "rejected_count": self.rejected_count,
            "rejected": list(self.rejected),
        }


def run_import(
    db: Database,
    workspace_id: int,
    lines: Iterable[bytes | str],
    *,
    secret: bytes,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    max_line_bytes: int = MAX_LINE_BYTES,
    max_rejections: int = DEFAULT_MAX_REJECTIONS,
    only_types: tuple[str, ...] | None = None,
    only_reason: str = "",
) -> ImportReport:
    """Import NDJSON ``lines`` (an open binary file works) into ``workspace_id``.

    ``only_types``: the record types this import may store (an analyst's key: labels);
    other lines are rejected with ``only_reason`` followed by the record's type.

    ``secret`` is the deployment's pseudonymisation secret
    (``settings.pseudonym_secret``). ``progress``, if given, is called after each
    chunk with the number of bytes consumed since the previous call (so
    ``tqdm(total=file_size, unit="B").update`` fits). Raises ``LookupError`` if
    the workspace does not exist; any database error aborts the whole import
    (nothing is stored). Invalid lines never raise: they are in the report.
    """
    if chunk_size < 1 or chunk_bytes < 1:
        raise ValueError("chunk_size and chunk_bytes must be positive")
    report = ImportReport(workspace_id=workspace_id, started_at=utcnow())
    key = workspace_key(secret, workspace_id)
    with db.transaction(write=True) as session:
        if session.execute(
            text("SELECT 1 FROM workspaces WHERE id = :id"), {"id": workspace_id}
        ).first() is None:
            raise LookupError(f"workspace {workspace_id} does not exist")
        raw = session.connection().connection.driver_connection
        backend = _SQLite(raw) if db.is_sqlite else _Postgres(raw)
        importer = _Importer(backend, workspace_id, key, report, max_rejections)
        if only_types is not None:
            importer.only = (tuple(t for t, name in _BUCKET.items() if name in only_types), only_reason)
        try:
            backend.begin(workspace_id)
            importer.run(lines, progress, chunk_size, chunk_bytes, max_line_bytes)
        finally:
            backend.end()
            importer.close()
        if report.written.get("post"):
            # The posts written are matched to the workspace's brands in the same transaction.
            match_written_posts(session, workspace_id, report.started_at)
        _announce(session, report)
    report.finished_at = utcnow()
    if sum(report.written.values()) >= STATISTICS_THRESHOLD:
        # With VACUUM on PostgreSQL: the pages just written become all-visible, so the next
        # scoring run reads the memberships and members by index-only scans, without setting
        # hint bits on millions of fresh rows (first run after importing 20,000 creators:
        # 11.6 s instead of 13.3 s). VACUUM skips the pages already all-visible.
        db.refresh_statistics(IMPORTED_TABLES, vacuum=True)
    return report


def _announce(session, report: ImportReport) -> None:
    """The ``import.completed`` webhook event, in the import's transaction."""
    from influencers.webhooks import emit

    emit(session, report.workspace_id, "import.completed", {
        "started_at": report.started_at, "finished_at": utcnow(), "lines_read": report.lines_read,
        "bytes_read": report.bytes_read, "accepted": report.accepted, "records": dict(report.records),
        "stored": {k: dict(v) for k, v in report.stored.items()}, "deferred": report.deferred,
        "rejected_count": report.rejected_count})


# A bulk import changes the tables' shape enough for the query planner to need
# fresh statistics (see Database.refresh_statistics); small ones do not.
STATISTICS_THRESHOLD = 1000
IMPORTED_TABLES = ("creators", "creator_categories", "posts", "follower_snapshots", "audience_members",
                   "audience_samples", "audience_sample_members", "creator_edges")


# -- the import ------------------------------------------------------------------

_SPOOL_HEADER = struct.Struct("<QI")
_JSON_ERRORS = (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError)
_BOM = b"\xef\xbb\xbf"

try:  # OpenSSL's HMAC object, whose copy() is a C call (hmac.HMAC.copy is Python)
    from _hashlib import hmac_new as _hmac_new
except ImportError:  # pragma: no cover
    def _hmac_new(key, msg, digestmod):
        return hmac.new(key, msg, digestmod)


class _Chunk:
    """Decoded records waiting to be written, by type, in line order."""

    __slots__ = ("creator", "post", "snapshot", "audience", "edge", "label", "lines", "weight")

    def __init__(self):
        self.creator: list[tuple[int, Creator]] = []
        self.post: list[tuple[int, Post]] = []
        self.snapshot: list[tuple[int, Snapshot]] = []
        self.audience: list[tuple[int, Audience]] = []
        self.edge: list[tuple[int, Edge]] = []
        self.label: list[tuple[int, Label]] = []
        self.lines = 0
        self.weight = 0

    def bucket(self, record_type) -> list:
        return getattr(self, _BUCKET[record_type])


_BUCKET = {Creator: "creator", Post: "post", Snapshot: "snapshot", Audience: "audience", Edge: "edge",
           Label: "label"}
# Entries per generation (two generations per cache): about 200 bytes each.
_MEMBER_CACHE = 65536  # member key -> (id, profile)
_PSEUDONYM_CACHE = 32768  # per platform: raw id -> member key


class _Generations:
    """A bounded dict: two generations; the older is dropped when the newer is full."""

    __slots__ = ("new", "old", "size")

    def __init__(self, size: int):
        self.new: dict = {}
        self.old: dict = {}
        self.size = size

    def get(self, key):
        value = self.new.get(key)
        if value is None:
            value = self.old.get(key)
            if value is not None:
                self.new[key] = value
        return value

    def rotate(self) -> None:
        """Call between batches (never while a batch holds references)."""
        if len(self.new) > self.size:
            self.old, self.new = self.new, {}


class _Importer:
    def __init__(self, backend: _Backend, workspace_id: int, key: bytes, report: ImportReport,
                 max_rejections: int):
        self.b = backend
        self.ws = workspace_id
        self.key = key
        self.report = report
        self.max_rejections = max_rejections
        self._rejected_heap: list[tuple[int, str]] = []  # max-heap on line via negation
        self._spool = None
        self._msgpack_encoder = msgspec.msgpack.Encoder()
        self._insert_first: dict[str, bool] = {}  # per table, see _store
        # Audience members recur across chunks (the same followers in many
        # samples). Two bounded caches spare the HMAC and the database round trip
        # for the ones seen lately: per platform, raw id -> member key; and member
        # key -> (id, profile as stored). The import is the only writer of these
        # rows while it runs (write lock / advisory lock), so the cache is exact.
        self._pseudonyms = {}  # platform -> _Generations(raw id -> key)
        self._hmacs = {}  # platform -> HMAC state after "<platform>:"
        self._members = _Generations(_MEMBER_CACHE)
        self.only = None  # (record classes allowed, rejection reason) or None: every type

    # ---- driving

    def run(self, lines, progress, chunk_size, chunk_bytes, max_line_bytes) -> None:
        report = self.report
        decode = decoder.decode
        chunk = _Chunk()
        buckets = {t: chunk.bucket(t) for t in _BUCKET}
        lines_in_chunk = weight = nbytes = unreported = line_no = 0
        for line_no, raw in enumerate(lines, 1):
            if type(raw) is not bytes:
                raw = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)
            n = len(raw)
            nbytes += n
            unreported += n
            if n > max_line_bytes:
                self.reject(line_no, too_long(n, max_line_bytes))
                continue
            try:
                record = decode(raw)
            except _JSON_ERRORS as exc:
                # The rare paths: blank lines, a byte-order mark, invalid lines.
                if not raw or raw.isspace():
                    report.blank_lines += 1
                    continue
                if line_no == 1 and raw.startswith(_BOM):
                    try:
                        record = decode(raw[len(_BOM):])
                    except _JSON_ERRORS as exc2:
                        self.reject(line_no, explain(raw[len(_BOM):], exc2))
                        continue
                else:
                    self.reject(line_no, explain(raw, exc))
                    continue
            if b"\\u" in raw:
                unstorable = unstorable_text(raw)
                if unstorable:
                    self.reject(line_no, unstorable)
                    continue
            if self.only is not None and type(record) not in self.only[0]:
                self.reject(line_no, f"{self.only[1]} (this is a {_BUCKET[type(record)]} record)")
                continue
            buckets[type(record)].append((line_no, record))
            lines_in_chunk += 1
            weight += n
            if lines_in_chunk >= chunk_size or weight >= chunk_bytes:
                self.flush(chunk, final=False)
                chunk = _Chunk()
                buckets = {t: chunk.bucket(t) for t in _BUCKET}
                lines_in_chunk = weight = 0
                if progress is not None:
                    progress(unreported)
                    unreported = 0
        if lines_in_chunk:
            self.flush(chunk, final=False)
        del chunk, buckets
        report.lines_read = line_no
        report.bytes_read = nbytes
        for deferred in self._deferred_chunks(chunk_size, chunk_bytes):
            self.flush(deferred, final=True)
        if progress is not None and unreported:
            progress(unreported)
        report.rejected = [
            {"line": -neg, "reason": reason} for neg, reason in sorted(self._rejected_heap, reverse=True)
        ]

    def reject(self, line: int, reason: str) -> None:
        reason = bounded_reason(reason)
        self.report.rejected_count += 1
        heap = self._rejected_heap
        if len(heap) < self.max_rejections:
            heapq.heappush(heap, (-line, reason))
        elif self.max_rejections and -heap[0][0] > line:
            heapq.heapreplace(heap, (-line, reason))

    def defer(self, line: int, record: Record) -> None:
        if self._spool is None:
            self._spool = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)
        payload = self._msgpack_encoder.encode(record)
        self._spool.write(_SPOOL_HEADER.pack(line, len(payload)))
        self._spool.write(payload)
        self.report.deferred += 1

    def _deferred_chunks(self, chunk_size: int, chunk_bytes: int) -> Iterator[_Chunk]:
        spool = self._spool
        if spool is None:
            return
        spool.seek(0)
        decode = msgspec.msgpack.Decoder(Record).decode
        header = _SPOOL_HEADER
        chunk = _Chunk()
        while True:
            head = spool.read(header.size)
            if not head:
                break
            line, size = header.unpack(head)
            record = decode(spool.read(size))
            chunk.bucket(type(record)).append((line, record))
            chunk.lines += 1
            chunk.weight += size
            if chunk.lines >= chunk_size or chunk.weight >= chunk_bytes:
                yield chunk
                chunk = _Chunk()
        if chunk.lines:
            yield chunk

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()
            self._spool = None

    def count(self, kind: str, inserted: int, updated: int, unchanged: int) -> None:
        c = self.report.stored[kind]
        c["inserted"] += inserted
        c["updated"] += updated
        c["unchanged"] += unchanged

    # ---- one chunk

    def flush(self, chunk: _Chunk, *, final: bool) -> None:
        known = self.upsert_creators(chunk.creator) if chunk.creator else {}
        # One query for every other handle the chunk names.
        wanted = {(r.platform, r.handle) for _, r in chunk.post}
        wanted.update((r.platform, r.handle) for _, r in chunk.snapshot)
        wanted.update((r.platform, r.handle) for _, r in chunk.audience)
        wanted.update((r.platform, r.handle) for _, r in chunk.label)
        wanted.update((r.platform, r.source) for _, r in chunk.edge)
        wanted.update((r.platform, r.target) for _, r in chunk.edge)
        wanted.difference_update(known)
        if wanted:
            for cid, platform, handle in self.b.fetch(
                "t.id, t.platform, t.handle", "creators", [("workspace_id", self.ws)],
                ("platform", "handle"), ("text", "text"), list(wanted),
            ):
                known[(platform, handle)] = cid
        get = known.get
        for name, upsert in (
            ("post", self.upsert_posts),
            ("snapshot", self.upsert_snapshots),
            ("audience", self.upsert_audiences),
            ("label", self.upsert_labels),
        ):
            items = getattr(chunk, name)
            if not items:
                continue
            resolved = []
            for line, rec in items:
                cid = get((rec.platform, rec.handle))
                if cid is None:
                    self._unresolved(final, line, rec, rec.platform, rec.handle, "handle")
                else:
                    resolved.append((rec, cid))
            setattr(chunk, name, None)  # let the records go as soon as they are written
            if resolved:
                self.report.records[name] += len(resolved)
                upsert(resolved)
            del resolved, items
        if chunk.edge:
            resolved = []
            for line, rec in chunk.edge:
                src = get((rec.platform, rec.source))
                dst = get((rec.platform, rec.target))
                if src is None:
                    self._unresolved(final, line, rec, rec.platform, rec.source, "source")
                elif dst is None:
                    self._unresolved(final, line, rec, rec.platform, rec.target, "target")
                else:
                    resolved.append((rec, src, dst))
            if resolved:
                self.report.records["edge"] += len(resolved)
                self.upsert_edges(resolved)

    def _unresolved(self, final: bool, line: int, rec: Record, platform: str, handle: str, path: str) -> None:
        if final:
            self.reject(
                line,
                f"unknown creator {platform}/@{handle} - at `$.{path}` "
                "(not defined in this file nor already in this workspace)",
            )
        else:
            self.defer(line, rec)

    # ---- generic read-classify-write

    def _fetch_existing(self, table, scope, key_cols, key_types, value_cols, keys, id_col="id"):
        """Existing rows for ``keys``, one query: {key: (id, values)}.

        ``value_cols`` are column names or ``(name, sql expression over t)``.
        """
        nk = len(key_cols)
        exprs = [c if isinstance(c, str) else c[1] for c in value_cols]
        select = ", ".join([f"t.{id_col}"] + [f"t.{c}" for c in key_cols] + [
            e if "(" in e else f"t.{e}" for e in exprs
        ])
        keys.sort()  # probe the index in order: each page is visited once
        rows = self.b.fetch(select, table, scope, key_cols, key_types, keys)
        if nk == 1:  # scalar keys
            return {r[1]: (r[0], r[2:]) for r in rows}
        return {r[1:1 + nk]: (r[0], r[1 + nk:]) for r in rows}

    def _store(self, kind, table, rows, *, scope, key_cols, key_types, value_cols, insert_cols,
               insert_key, id_col="id", update_by_key=False, allocate=False, wire=None, touch=None):
        """Write ``rows`` ({natural key: values}): insert the new, update the changed.

        Two strategies, same result:

        * *read first* (PostgreSQL): one query reads the existing rows of all the
          keys; the new rows are COPYed, the changed ones updated.
        * *insert first* (SQLite): ``INSERT ... ON CONFLICT DO NOTHING`` of every
          row; if some were not inserted (their key exists), only those are read
          (the inserted ones are found by rowid, which only grows) and compared.
          A first import thus reads nothing back.

        ``insert_key(key)`` gives the leading insert columns after the id (if
        ``allocate``: ids allocated here, returned as {key: id} with the ids of
        existing rows). ``wire(values)`` adapts values for writing (JSON text).
        ``touch`` names a timestamp column set to the time of this write on the rows
        inserted or changed (never compared: an unchanged row keeps its time).
        """
        b = self.b
        keys = sorted(rows)  # key order: the unique index is walked page by page
        names = [c if isinstance(c, str) else c[0] for c in value_cols]
        wire = wire or (lambda v: v)
        if touch is not None:
            written_at = b.ts(utcnow())
            insert_cols = (*insert_cols, touch)
            names = [*names, touch]
            value_wire = wire
            wire = lambda v: (*value_wire(v), written_at)  # noqa: E731
        ids: dict = {}
        insert_first = b.insert_first and self._insert_first.get(table, True)
        if insert_first:
            new_ids = b.allocate_ids(table, len(keys)) if allocate else None
            if allocate:
                ins = [(i, *insert_key(k), *wire(rows[k])) for k, i in zip(keys, new_ids)]
            else:
                ins = [(*insert_key(k), *wire(rows[k])) for k in keys]
            before = b.max_rowid(table)
            inserted = b.insert(table, insert_cols, ins, ignore_conflicts=True)
            del ins
            if inserted == len(keys):
                rest = []
                if allocate:
                    ids = dict(zip(keys, new_ids))
            else:
                got = set(b.keys_after(table, key_cols, before))
                rest = [k for k in keys if k not in got]
                if allocate:
                    ids = {k: i for k, i in zip(keys, new_ids) if k in got}
            existing = self._fetch_existing(
                table, scope, key_cols, key_types, value_cols, rest, id_col=id_col
            ) if rest else {}
            if len(rest) * 2 > len(keys):
                # Mostly existing keys (a re-import): read first from now on,
                # rather than paying for an insert attempt and a read per row.
                self._insert_first[table] = False
        else:
            existing = self._fetch_existing(table, scope, key_cols, key_types, value_cols, keys, id_col=id_col)
            new = [k for k in keys if k not in existing]
            inserted = len(new)
            if b.insert_first and len(existing) * 10 < len(keys):
                self._insert_first[table] = True  # mostly new keys again
            if new:
                if allocate:
                    new_ids = b.allocate_ids(table, len(new))
                    ids = dict(zip(new, new_ids))
                    ins = [(i, *insert_key(k), *wire(rows[k])) for k, i in zip(new, new_ids)]
                else:
                    ins = [(*insert_key(k), *wire(rows[k])) for k in new]
                b.insert(table, insert_cols, ins)
                del ins
        changed = [k for k, (_, old) in existing.items() if old != rows[k]]
        if changed:
            if update_by_key:
                b.update(table, key_cols, names, [(*k, *wire(rows[k])) for k in changed])
            else:
                b.update(table, (id_col,), names, [(existing[k][0], *wire(rows[k])) for k in changed])
        if allocate:
            for k, (i, _) in existing.items():
                ids[k] = i
        self.count(kind, inserted, len(changed), len(existing) - len(changed))
        return ids

    # ---- creators

    _CREATOR_VALUES = (
        "display_name", "bio", "country", "language", "followers", "following", "posts_count",
        "verified", "email", "website", "avatar_url", "joined_at",
    )

    def upsert_creators(self, items: list[tuple[int, Creator]]) -> dict:
        b = self.b
        date = b.date
        rows: dict[tuple, tuple] = {}
        cats: dict[tuple, frozenset] = {}
        for _, r in items:
            k = (r.platform, r.handle)
            rows[k] = (
                r.display_name, r.bio, r.country, r.language, r.followers, r.following,
                r.posts_count, bool(r.verified), r.email, r.website, r.avatar_url, date(r.joined_at),
            )
            cats[k] = frozenset(r.categories or ())
        self.report.records["creator"] += len(items)
        existing = self._fetch_existing(
            "creators", [("workspace_id", self.ws)], ("platform", "handle"), ("text", "text"),
            self._CREATOR_VALUES, list(rows),
        )
        old_cats: dict[int, set] = {}
        if existing:
            for cid, cat in b.select_in(
                "SELECT creator_id, category FROM creator_categories WHERE creator_id IN {ids}",
                [v[0] for v in existing.values()],
            ):
                old_cats.setdefault(cid, set()).add(cat)
        ids = {k: v[0] for k, v in existing.items()}
        new, changed, same = [], [], 0
        cats_changed = []
        for k, values in rows.items():
            old = existing.get(k)
            if old is None:
                new.append(k)
                continue
            cid, old_values = old
            c_diff = cats[k] != old_cats.get(cid, set())
            if c_diff:
                cats_changed.append(cid)
            if c_diff or old_values != values:
                changed.append(k)
            else:
                same += 1
        now = b.ts(utcnow())
        if new:
            new_ids = b.allocate_ids("creators", len(new))
            ins = []
            for k, cid in zip(new, new_ids):
                ids[k] = cid
                ins.append((cid, self.ws, k[0], k[1], *rows[k], now, now, 1))
            b.insert("creators", ("id", "workspace_id", "platform", "handle", *self._CREATOR_VALUES,
                                  "created_at", "updated_at", "version"), ins)
            cat_rows = [(ids[k], c) for k in new for c in sorted(cats[k])]
            if cat_rows:
                b.insert("creator_categories", ("creator_id", "category"), cat_rows)
        if changed:
            b.update(
                "creators", ("id",), (*self._CREATOR_VALUES, "updated_at"),
                [(ids[k], *rows[k], now) for k in changed], extra="version = version + 1",
            )
        if cats_changed:
            b.delete_in("creator_categories", "creator_id", cats_changed)
            by_id = {ids[k]: k for k in changed}
            cat_rows = [(cid, c) for cid in cats_changed for c in sorted(cats[by_id[cid]])]
            if cat_rows:
                b.insert("creator_categories", ("creator_id", "category"), cat_rows)
        self.count("creator", len(new), len(changed), same)
        return ids

    # ---- posts

    _POST_VALUES = (
        "creator_id", "published_at", "kind", "likes", "comments", "views", "shares", "saves",
        "sponsored", "caption", "hashtags", "mentions", "is_contest",
    )

    def upsert_posts(self, items) -> None:
        b = self.b
        ts, js = b.ts, b.json
        rows = {}
        # Whether each caption announces a contest, vectorised over the chunk (scoring reads the flag).
        contests = detect_contests([r.caption for r, _cid in items]).tolist()
        for (r, cid), is_contest in zip(items, contests):
            rows[(r.platform, r.external_id)] = (
                cid, ts(r.published_at), r.kind, r.likes, r.comments, r.views, r.shares, r.saves,
                r.sponsored, r.caption, js(r.hashtags), js(r.mentions), is_contest,
            )
        wire = b.json_wire
        ws = self.ws
        self._store(
            "post", "posts", rows, scope=[("workspace_id", ws)], key_cols=("platform", "external_id"),
            key_types=("text", "text"),
            value_cols=(*self._POST_VALUES[:10], *(b.json_column(c) for c in self._POST_VALUES[10:12]),
                        self._POST_VALUES[12]),
            insert_cols=("workspace_id", "platform", "external_id", *self._POST_VALUES),
            insert_key=lambda k: (ws, *k),
            wire=None if b.iso_dates else (lambda v: (*v[:10], wire(v[10]), wire(v[11]), v[12])),
            # When the import last changed the post's numbers: the as-of of a campaign
            # result read from it.
            touch="updated_at",
        )

    # ---- snapshots

    def upsert_snapshots(self, items) -> None:
        b = self.b
        rows = {}
        if b.iso_dates:
            for r, cid in items:
                rows[(cid, r.date.isoformat())] = (r.followers, r.following, r.posts_count)
        else:
            for r, cid in items:
                rows[(cid, r.date)] = (r.followers, r.following, r.posts_count)
        values = ("followers", "following", "posts_count")
        self._store(
            "snapshot", "follower_snapshots", rows, scope=[], key_cols=("creator_id", "date"),
            key_types=("int4", "date"), value_cols=values, insert_cols=("creator_id", "date", *values),
            insert_key=lambda k: k, id_col="creator_id", update_by_key=True,
        )

    # ---- audiences: members, samples, member lists

    _MEMBER_VALUES = (
        "followers", "following", "posts_count", "has_avatar", "bio_length", "created_at",
        "last_post_at", "country", "language", "gender", "age_range",
    )
    # upsert_audiences turns a Member into its row with astuple(): same order.
    assert Member.__struct_fields__ == ("id", *_MEMBER_VALUES)

    def upsert_audiences(self, items) -> None:
        b = self.b
        key = self.key
        iso = b.iso_dates
        # Per platform: member profiles by member key (the last record naming a
        # member wins), and raw id -> member key.
        members: dict[str, dict[str, tuple]] = {}
        samples: dict[tuple, tuple[str, list[str]]] = {}
        for r, cid in items:
            platform = r.platform
            cache = self._pseudonyms.get(platform)
            if cache is None:
                cache = self._pseudonyms[platform] = _Generations(_PSEUDONYM_CACHE)
                # The HMAC state after "<platform>:", copied for each id: equal to
                # pseudonym.member_key(key, platform, raw_id), at half the cost.
                self._hmacs[platform] = _hmac_new(key, platform.encode() + b":", "sha256")
            profiles = members.get(platform)
            if profiles is None:
                profiles = members[platform] = {}
            base, new_keys, get_key = self._hmacs[platform], cache.new, cache.get
            keys = []
            for m in r.members:
                # The profile in _MEMBER_VALUES order in C calls (the raw id, first,
                # is cut off); on SQLite with the dates as ISO strings.
                row = _to_builtins(_astuple(m)) if iso else _astuple(m)
                raw_id = row[0]
                row = row[1:]
                k = new_keys.get(raw_id) or get_key(raw_id)
                if k is None:
                    h = base.copy()
                    h.update(raw_id.encode())
                    k = new_keys[raw_id] = h.hexdigest()[:32]
                keys.append(k)
                profiles[k] = row
            samples[(cid, r.sampled_at.isoformat() if iso else r.sampled_at)] = (platform, keys)
        del items

        # Members, with their ids (allocated here for the new ones). Those in the
        # cache are known: unchanged, or updated by id; the others are stored.
        member_ids: dict[str, dict[str, int]] = {}
        ws = self.ws
        cached = self._members
        for platform, profiles in members.items():
            ids = member_ids[platform] = {}
            unknown = {}
            changed = []
            for k, row in profiles.items():
                hit = cached.get(k)
                if hit is None:
                    unknown[k] = row
                else:
                    ids[k] = hit[0]
                    if hit[1] != row:
                        changed.append((hit[0], *row))
            if changed:
                b.update("audience_members", ("id",), self._MEMBER_VALUES, changed)
            self.count("member", 0, len(changed), len(ids) - len(changed))
            if unknown:
                stored = self._store(
                    "member", "audience_members", unknown, scope=[("workspace_id", ws), ("platform", platform)],
                    key_cols=("member_key",), key_types=("text",), value_cols=self._MEMBER_VALUES,
                    insert_cols=("id", "workspace_id", "platform", "member_key", *self._MEMBER_VALUES),
                    insert_key=lambda k, platform=platform: (ws, platform, k), allocate=True,
                )
                ids.update(stored)
            remember = cached.new
            for k, row in profiles.items():
                remember[k] = (ids[k], row)
            del unknown, changed
        del members
        cached.rotate()
        for cache in self._pseudonyms.values():
            cache.rotate()

        # Samples and their member lists.
        lists = {k: frozenset(map(member_ids[p].__getitem__, keys)) for k, (p, keys) in samples.items()}
        del samples, member_ids
        existing = self._fetch_existing(
            "audience_samples", [], ("creator_id", "sampled_at"), ("int4", "date"), ("member_count",),
            list(lists),
        )
        old_lists: dict[int, set] = {}
        if existing:
            for sid, mid in b.select_in(
                "SELECT sample_id, member_id FROM audience_sample_members WHERE sample_id IN {ids}",
                [v[0] for v in existing.values()],
            ):
                old_lists.setdefault(sid, set()).add(mid)
        new, changed, same = [], [], 0
        links_add: list[tuple[int, int]] = []
        links_del: list[tuple[int, int]] = []
        count_changed = []
        for k, members_now in lists.items():
            old = existing.get(k)
            if old is None:
                new.append(k)
                continue
            sid, (old_count,) = old
            old_members = old_lists.get(sid, set())
            if members_now != old_members or old_count != len(members_now):
                changed.append(k)
                added = members_now - old_members
                removed = old_members - members_now
                links_add.extend(zip(repeat(sid, len(added)), added))
                links_del.extend(zip(repeat(sid, len(removed)), removed))
                if old_count != len(members_now):
                    count_changed.append((sid, len(members_now)))
            else:
                same += 1
        if new:
            new_ids = b.allocate_ids("audience_samples", len(new))
            ins = []
            for k, sid in zip(new, new_ids):
                listed = lists[k]
                ins.append((sid, *k, len(listed)))
                links_add.extend(zip(repeat(sid, len(listed)), listed))
            b.insert("audience_samples", ("id", "creator_id", "sampled_at", "member_count"), ins)
        if count_changed:
            b.update("audience_samples", ("id",), ("member_count",), count_changed)
        if links_del:
            b.delete_pairs("audience_sample_members", ("sample_id", "member_id"), links_del)
        if links_add:
            b.insert("audience_sample_members", ("sample_id", "member_id"), links_add)
        self.count("audience", len(new), len(changed), same)

    # ---- edges

    def upsert_edges(self, items) -> None:
        b = self.b
        date = b.date
        rows, platforms = {}, {}
        for r, src, dst in items:
            k = (src, dst, r.kind)
            rows[k] = (r.weight, date(r.observed_at))
            platforms[k] = r.platform
        values = ("weight", "observed_at")
        ws = self.ws
        self._store(
            "edge", "creator_edges", rows, scope=[], key_cols=("source_id", "target_id", "kind"),
            key_types=("int4", "int4", "text"), value_cols=values,
            insert_cols=("workspace_id", "platform", "source_id", "target_id", "kind", *values),
            insert_key=lambda k: (ws, platforms[k], *k),
        )


    # ---- labels

    def upsert_labels(self, items) -> None:
        """A creator's current verdict is replaced by a different one (the old one stays as
        history); the same verdict again changes nothing. A record without ``labelled_at``
        matches a stored verdict of any date, and a new verdict gets the import's date."""
        b = self.b
        latest = {}
        for r, cid in items:
            latest[cid] = r  # line order: the file's last verdict on a creator wins
        ids = sorted(latest)
        existing = {
            row[1]: row for row in b.fetch(
                "t.id, t.creator_id, t.label, " + _expr(b.json_column("kinds")) + ", t.source, t.labelled_at, t.note",
                "labels", [("workspace_id", self.ws), ("is_current", True)], ("creator_id",), ("int4",), ids)
        }
        today = utcnow().date()
        inserts, replaced, unchanged = [], [], 0
        for cid in ids:
            r = latest[cid]
            kinds = b.json(r.kinds or [])
            old = existing.get(cid)
            if old is not None:
                same = (old[2], old[3], old[4], old[6]) == (r.label, kinds, r.source, r.note)
                if same and (r.labelled_at is None or b.date(r.labelled_at) == old[5]):
                    unchanged += 1
                    continue
                replaced.append(old[0])
            inserts.append((cid, r.label, b.json_wire(kinds), r.source, b.date(r.labelled_at or today), r.note))
        if replaced:
            b.update("labels", ("id",), ("is_current",), [(i, False) for i in replaced])
        if inserts:
            new_ids = b.allocate_ids("labels", len(inserts))
            now = b.ts(utcnow())
            b.insert("labels", ("id", "workspace_id", "creator_id", "label", "kinds", "source", "labelled_at", "note",
                                "is_current", "created_at"),
                     [(i, self.ws, *row, True, now) for i, row in zip(new_ids, inserts)])
            # The audit trail: each verdict the import stored (no API key: file or bulk import).
            b.insert("calibration_events", ("workspace_id", "object_type", "object_id", "action", "detail", "at"),
                     [(self.ws, "label", i, "imported", b.json_wire(b.json({"creator_id": row[0], "label": row[1]})),
                       now) for i, row in zip(new_ids, inserts)])
        self.count("label", len(inserts) - len(replaced), len(replaced), unchanged)


def _expr(column) -> str:
    """A ``json_column`` result as a select expression."""
    return column[1] if isinstance(column, tuple) else f"t.{column}"


# -- database backends -------------------------------------------------------------
#
# Values are compared in the form the driver returns them, so each backend turns
# dates, timestamps and JSON into that form before comparing and writing.


class _Backend:
    def begin(self, workspace_id: int) -> None: ...
    def end(self) -> None: ...


class _SQLite(_Backend):
    """sqlite3, inside the session's ``BEGIN IMMEDIATE`` transaction."""

    iso_dates = True  # dates are stored as 'YYYY-MM-DD' text
    insert_first = True  # see _Importer._store

    # SQLAlchemy's storage formats on SQLite, so ORM and import rows compare equal.
    @staticmethod
    def date(d):
        return None if d is None else d.isoformat()

    @staticmethod
    def ts(t):
        if t.tzinfo is not _UTC:
            t = t.astimezone(_UTC)
        return t.replace(tzinfo=None).isoformat(" ", "microseconds")

    @staticmethod
    def json(v):
        # Compact JSON; stored JSON is read back through json() (minified) to compare.
        return None if v is None else _json_encode(v).decode()

    @staticmethod
    def json_wire(v):
        return v

    @staticmethod
    def json_column(name):
        return (name, f"json(t.{name})")

    def __init__(self, conn):
        self.conn = conn
        self._next_id: dict[str, int] = {}
        self._cache_size = None

    def begin(self, workspace_id: int) -> None:
        # A bigger page cache for the duration of the import: the unique indexes
        # of big tables (members) are probed and grown at random positions.
        self._cache_size = self.conn.execute("PRAGMA cache_size").fetchone()[0]
        self.conn.execute("PRAGMA cache_size = -262144")  # 256 MiB

    def end(self) -> None:
        if self._cache_size is not None:
            self.conn.execute(f"PRAGMA cache_size = {int(self._cache_size)}")

    def fetch(self, select, table, scope, key_cols, key_types, keys):
        on = [f"t.{c} = ?" for c, _ in scope]
        if len(key_cols) == 1:  # a JSON array of scalars
            on.append(f"t.{key_cols[0]} = k.value")
        else:  # a JSON array of arrays
            on += [f"t.{c} = k.value ->> {i}" for i, c in enumerate(key_cols)]
        # CROSS JOIN pins the join order: probe the table's unique index once per
        # key. (With a plain JOIN the planner may scan the workspace's rows instead.)
        sql = f"SELECT {select} FROM json_each(?) AS k CROSS JOIN {table} AS t WHERE {' AND '.join(on)}"
        return self.conn.execute(sql, [msgspec.json.encode(keys).decode(), *(v for _, v in scope)]).fetchall()

    def select_in(self, sql, ids):
        return self.conn.execute(
            sql.format(ids="(SELECT value FROM json_each(?))"), [msgspec.json.encode(ids).decode()]
        ).fetchall()

    def insert(self, table, cols, rows, ignore_conflicts=False):
        """executemany; -> the number of rows inserted."""
        marks = ", ".join("?" * len(cols))
        tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
        return self.conn.executemany(
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks}){tail}", rows
        ).rowcount

    def max_rowid(self, table):
        return self.conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0

    def keys_after(self, table, key_cols, rowid):
        """The keys of the rows inserted after ``rowid`` (rowids only grow here)."""
        rows = self.conn.execute(f"SELECT {', '.join(key_cols)} FROM {table} WHERE rowid > ?", [rowid])
        return [r[0] for r in rows] if len(key_cols) == 1 else rows.fetchall()

    def update(self, table, match_cols, set_cols, rows, extra=""):
        """``rows`` are (match values..., set values...)."""
        m = len(match_cols)
        sets = [f"{c} = ?{m + i + 1}" for i, c in enumerate(set_cols)]
        if extra:
            sets.append(extra)
        where = " AND ".join(f"{c} = ?{i + 1}" for i, c in enumerate(match_cols))
        self.conn.executemany(f"UPDATE {table} SET {', '.join(sets)} WHERE {where}", rows)

    def delete_in(self, table, col, ids):
        self.conn.execute(
            f"DELETE FROM {table} WHERE {col} IN (SELECT value FROM json_each(?))",
            [msgspec.json.encode(ids).decode()],
        )

    def delete_pairs(self, table, cols, rows):
        where = " AND ".join(f"{c} = ?" for c in cols)
        self.conn.executemany(f"DELETE FROM {table} WHERE {where}", rows)

    def allocate_ids(self, table, n):
        # Safe: the import holds SQLite's write lock (BEGIN IMMEDIATE) throughout.
        start = self._next_id.get(table)
        if start is None:
            start = (self.conn.execute(f"SELECT max(id) FROM {table}").fetchone()[0] or 0) + 1
        self._next_id[table] = start + n
        return range(start, start + n)


class _Postgres(_Backend):
    """psycopg 3: COPY for bulk writes, arrays + unnest for set-based reads."""

    _LOCK_CLASS = 0x1A7  # advisory lock namespace: "imports"
    iso_dates = False  # psycopg adapts datetime.date
    insert_first = False  # see _Importer._store

    @staticmethod
    def date(d):
        return d

    @staticmethod
    def ts(t):
        return t

    @staticmethod
    def json(v):
        return v

    @staticmethod
    def json_wire(v):
        return None if v is None else _json_encode(v).decode()

    @staticmethod
    def json_column(name):
        return name  # psycopg returns json as Python objects

    def __init__(self, conn):
        self.conn = conn
        self.cur = conn.cursor()
        self._sequences: dict[str, str] = {}
        self._staging: set[str] = set()

    def begin(self, workspace_id: int) -> None:
        # Imports into one workspace run one at a time (the existing-rows read and
        # the inserts that follow must not interleave with another import's).
        self.cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", (self._LOCK_CLASS, workspace_id))
        # The key lookups look expensive to the planner (thousands of index probes)
        # and would be JIT-compiled for nothing, chunk after chunk.
        self.cur.execute("SET LOCAL jit = off")

    def end(self) -> None:
        self.cur.close()

    def fetch(self, select, table, scope, key_cols, key_types, keys):
        n = len(key_cols)
        arrays = ", ".join(f"%s::{t}[]" for t in key_types)
        names = ", ".join(f"k{i}" for i in range(n))
        on = [f"t.{c} = %s" for c, _ in scope] + [f"t.{c} = k.k{i}" for i, c in enumerate(key_cols)]
        # One unique-index probe per key: LATERAL ... LIMIT 1 cannot be flattened
        # into a hash join, which the planner would pick on the (stale) statistics
        # of a table this very import is filling -- and scan the whole table.
        sql = (
            f"SELECT {select} FROM unnest({arrays}) AS k({names}) CROSS JOIN LATERAL "
            f"(SELECT * FROM {table} AS t WHERE {' AND '.join(on)} LIMIT 1) AS t"
        )
        columns = [keys] if n == 1 else [list(col) for col in zip(*keys)]
        self.cur.execute(sql, [*columns, *(v for _, v in scope)])
        return self.cur.fetchall()

    def select_in(self, sql, ids):
        self.cur.execute(sql.format(ids="(SELECT unnest(%s::int8[]))"), [list(ids)])
        return self.cur.fetchall()

    def insert(self, table, cols, rows):
        with self.cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
            write = copy.write_row
            for row in rows:
                write(row)

    def update(self, table, match_cols, set_cols, rows, extra=""):
        sets = [f"{c} = u.{c}" for c in set_cols]
        if extra:
            sets.append(extra)
        where = " AND ".join(f"t.{c} = u.{c}" for c in match_cols)
        stage = f"_import_{table}"
        if stage not in self._staging:
            cols = ", ".join((*match_cols, *set_cols))
            self.cur.execute(
                f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT {cols} FROM {table} WITH NO DATA"
            )
            self._staging.add(stage)
        else:
            self.cur.execute(f"TRUNCATE {stage}")
        self.insert(stage, (*match_cols, *set_cols), rows)
        self.cur.execute(f"UPDATE {table} AS t SET {', '.join(sets)} FROM {stage} AS u WHERE {where}")

    def delete_in(self, table, col, ids):
        self.cur.execute(f"DELETE FROM {table} WHERE {col} = ANY(%s::int8[])", [list(ids)])

    def delete_pairs(self, table, cols, rows):
        a, b = cols
        self.cur.execute(
            f"DELETE FROM {table} AS t USING unnest(%s::int8[], %s::int8[]) AS d(a, b) "
            f"WHERE t.{a} = d.a AND t.{b} = d.b",
            [[r[0] for r in rows], [r[1] for r in rows]],
        )

    def allocate_ids(self, table, n):
        seq = self._sequences.get(table)
        if seq is None:
            self.cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            seq = self._sequences[table] = self.cur.fetchone()[0]
        self.cur.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [seq, n])
        return [r[0] for r in self.cur.fetchall()]
