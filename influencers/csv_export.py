"""The one CSV writer every export uses (CLI and API): no cell runs as a spreadsheet formula.

A text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is
prefixed with ``'`` (OWASP's CSV injection advice), so Excel, LibreOffice and
Google Sheets show it as text. Numbers, and strings that are plain numbers
(``-0.25``), are left as they are: they are data, not formulas.
"""
from __future__ import annotations

import csv

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text[0] in "+-"  # float() also skips leading whitespace: "\t5" stays neutralised


def neutralise(value):
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES) and not _is_number(value):
        return "'" + value
    return value


class Writer:
    """``csv.writer`` with every cell neutralised."""

    def __init__(self, out, **kwargs):
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row) -> None:
        self._writer.writerow([neutralise(value) for value in row])


class DictWriter(csv.DictWriter):
    """``csv.DictWriter`` with every cell neutralised."""

    def writerow(self, rowdict):
        return super().writerow({key: neutralise(value) for key, value in rowdict.items()})
