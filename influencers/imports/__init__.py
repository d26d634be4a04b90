"""NDJSON import of creator data (format: ``docs/import-format.md``).

``run_import(db, workspace_id, lines, secret=...)`` is the one entry point; the
HTTP endpoint and the CLI command are thin layers over it.
"""
from influencers.imports.importer import KINDS, ImportReport, run_import
from influencers.imports.records import RECORD_TYPES, RecordError, decode_line

__all__ = ["run_import", "ImportReport", "KINDS", "RECORD_TYPES", "RecordError", "decode_line"]
