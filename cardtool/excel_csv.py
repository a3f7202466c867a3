"""The one spreadsheet-safe CSV writer: every CSV the product writes (the office report, the
register's deadline and history exports) is made of these lines.

- UTF-8 with a BOM at the start of a file, so Excel shows Japanese (it reads a BOM-less
  file in the machine's legacy code page);
- rows end in CRLF (RFC 4180); a line break inside a cell is quoted;
- text that a spreadsheet would run as a formula (CSV injection: a cell that starts with
  ``=``, ``+``, ``-``, ``@``, a tab or a CR, e.g. a typed reference
  ``=HYPERLINK("http://x","A")``) gets a leading apostrophe, which Excel and LibreOffice show
  as plain text. Numbers are written as numbers: only text is neutralised, and all text is,
  unless the caller marks it ``Verbatim`` (text the product itself wrote: a message from its
  catalogue, a finding code), so a writer that forgets nothing is safe by default.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence

from cardtool.jst import to_jst

BOM = "\ufeff".encode()
CSV_EOL = b"\r\n"  # rows end in CRLF; line breaks inside a cell are a bare LF
#: A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV
#: injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Verbatim(str):
    """Text the product wrote itself (a catalogue message, a code, a kind), never typed by
    anyone: written as it is."""

    __slots__ = ()


def neutralise(text: str) -> str:
    """Text as a cell a spreadsheet shows and never runs."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(value: object) -> Verbatim:
    """One value as a cell: None empty, booleans ``true``/``false``, instants in JST
    (ISO 8601 to the second), dates ISO, numbers as written, ``Verbatim`` text as it is, any
    other text neutralised. A cell is ``Verbatim``: making it again changes nothing."""
    if value is None:
        return Verbatim("")
    if isinstance(value, bool):
        return Verbatim("true" if value else "false")
    if isinstance(value, dt.datetime):
        return Verbatim(to_jst(value).isoformat(timespec="seconds"))
    if isinstance(value, dt.date):
        return Verbatim(value.isoformat())
    if isinstance(value, int | float | Verbatim):
        return Verbatim(str(value))
    return Verbatim(neutralise(str(value)))


def csv_line(values: Sequence[object]) -> bytes:
    """One CSV row (CRLF-terminated, UTF-8), each value through ``cell``."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([cell(v) for v in values])
    return buffer.getvalue().encode("utf-8")


def csv_document(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A whole CSV file: BOM, header row, rows."""
    return BOM + b"".join(csv_line(r) for r in (header, *rows))


def read_csv_rows(data: bytes) -> list[dict[str, str]]:
    """The rows of a CSV this module wrote (BOM skipped), by column name: for tests and
    tools."""
    text = data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


__all__ = ["BOM", "CSV_EOL", "FORMULA_STARTS", "Verbatim", "cell", "csv_document", "csv_line",
           "neutralise", "read_csv_rows"]
