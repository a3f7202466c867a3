"""The files of an office session, written after every card so that a crash or Ctrl-C never
loses a row already read.

- CSV (``CsvLog``): appended, one fsync per row, through the one spreadsheet-safe writer
  (``cardtool.excel_csv``: UTF-8 with a BOM written only when the file is created, so Excel
  shows Japanese; CRLF rows; typed text never run as a formula). A client's second card
  appends the client's row again with the same ``no``: the last row with a given ``no`` is
  the complete one.
- JSON: the whole session, rewritten atomically (temp file + ``os.replace``) after every card.
  An existing report of this format is continued, not overwritten.
- HTML (``cardtool.services.office_html``): a printable A4 report sorted by urgency,
  rewritten atomically after every card.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from apdu.jsonsafe import NOT_JSON, JsonRejected, loads_bounded
from cardtool import excel_csv
from cardtool.errors import BadInputFile
from cardtool.excel_csv import BOM, CSV_EOL, csv_line
from cardtool.expiry import Assessment, Thresholds
from cardtool.files import write_atomic
from cardtool.jst import now_jst
from cardtool.services.office_html import render_html
from cardtool.services.office_report import ROW_KEYS, OfficeRow, csv_cells, row_from_assessment

REPORT_FORMAT = "cardtool-office-report"
REPORT_VERSION = 1
#: A JSON report being continued is refused when larger or deeper than this, before it is
#: parsed. A row is well under 1 KB and four levels deep at most, so 32 MiB holds some
#: 40,000 clients (years of an office's checks in one file); nothing real nests 16 deep.
MAX_REPORT_BYTES = 32 << 20
MAX_REPORT_DEPTH = 16


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path.parent if str(path.parent) else ".", os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class CsvLog:
    """Append-only CSV: BOM and header when the file is new, then one fsync'd row per call."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        header = csv_line(ROW_KEYS)
        try:
            fh = open(self.path, "a+b")  # noqa: SIM115 - kept open for the whole session
        except OSError as exc:
            raise BadInputFile(path=str(self.path), detail=exc.strerror or "cannot open") from None
        self._fh = fh
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                self._prepare(header)
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        except BaseException:
            fh.close()
            raise

    def _prepare(self, header: bytes) -> None:
        fh = self._fh
        fh.seek(0)
        existing = fh.read()
        if not existing:
            fh.write(BOM + header)
            self._sync()
            _fsync_dir(self.path)
            return
        body = existing[len(BOM):] if existing.startswith(BOM) else existing
        if not body.startswith(header):
            if header.startswith(body) or not body:
                # Killed while writing the header: finish it.
                fh.truncate(0)
                fh.write(BOM + header)
                self._sync()
                return
            raise BadInputFile(path=str(self.path),
                               detail="it is not a cardtool office CSV (other columns); "
                                      "choose another file")
        if not existing.endswith(CSV_EOL):
            # A row cut off by a crash (power loss) cannot be completed: drop its remains.
            fh.truncate(existing.rindex(CSV_EOL) + len(CSV_EOL))
            self._sync()

    def _sync(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def append(self, row: OfficeRow) -> None:
        line = csv_line(csv_cells(row))
        fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX)
        try:
            self._fh.seek(0, os.SEEK_END)
            self._fh.write(line)
            self._sync()
        except OSError as exc:
            raise BadInputFile(path=str(self.path), detail=exc.strerror or "cannot write") from None
        finally:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)

    def close(self) -> None:
        self._fh.close()


def read_csv_rows(path: str | Path) -> list[dict[str, str]]:
    """The rows of an office CSV (BOM skipped), for tests and tools."""
    return excel_csv.read_csv_rows(Path(path).read_bytes())


def load_json_report(path: str | Path) -> list[OfficeRow]:
    """The rows of an existing JSON report, [] when the file is absent or empty."""
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            raw = fh.read(MAX_REPORT_BYTES + 1)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise BadInputFile(path=str(p), detail=exc.strerror or "cannot read") from None
    if not raw.strip():
        return []
    try:
        data = loads_bounded(raw, max_depth=MAX_REPORT_DEPTH, max_bytes=MAX_REPORT_BYTES,
                             what="office report")
    except JsonRejected as exc:
        detail = ("not a JSON file; choose another file" if exc.reason == NOT_JSON
                  else f"{exc.detail}; choose another file")
        raise BadInputFile(path=str(p), detail=detail) from None
    if not isinstance(data, dict) or data.get("format") != REPORT_FORMAT:
        raise BadInputFile(path=str(p),
                           detail="not a cardtool office report; choose another file")
    if data.get("version") != REPORT_VERSION or not isinstance(data.get("rows"), list):
        raise BadInputFile(path=str(p), detail=f"unsupported report version {data.get('version')}")
    rows: list[OfficeRow] = data["rows"]
    return rows


def json_document(rows: Sequence[OfficeRow], generated_at: dt.datetime,
                  thresholds: Thresholds) -> dict[str, Any]:
    return {
        "format": REPORT_FORMAT,
        "version": REPORT_VERSION,
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "thresholds": {"soon_days": thresholds.soon_days,
                       "urgent_days": thresholds.urgent_days},
        "rows": list(rows),
    }


class OfficeReport:
    """The rows of an office session and the files they go to. Every file is opened (and
    checked) on creation, so a bad path fails before the first card."""

    def __init__(self, *, csv_path: str | Path | None = None, json_path: str | Path | None = None,
                 html_path: str | Path | None = None, lang: str = "en",
                 thresholds: Thresholds | None = None,
                 now: Callable[[], dt.datetime] = now_jst) -> None:
        self.lang = lang
        self.thresholds = thresholds or Thresholds()
        self.now = now
        self.json_path = Path(json_path) if json_path else None
        self.html_path = Path(html_path) if html_path else None
        self.rows: list[OfficeRow] = (load_json_report(self.json_path)
                                           if self.json_path else [])
        self._csv = CsvLog(csv_path) if csv_path else None
        try:
            self._snapshots()  # proves the JSON/HTML paths are writable, now
        except BaseException:
            self.close()
            raise

    def add(self, assessment: Assessment) -> OfficeRow:
        """A new client's row."""
        number = max((int(r["no"]) for r in self.rows), default=0) + 1
        row = row_from_assessment(assessment, number, self.now())
        self.rows.append(row)
        self._written(row)
        return row

    def replace(self, number: int, assessment: Assessment) -> OfficeRow:
        """Client ``number`` again, now with one more card: the same ``no``. The CSV gets the
        complete row appended; JSON and HTML hold it once."""
        for i, existing in enumerate(self.rows):
            if int(existing["no"]) == number:
                row = row_from_assessment(assessment, number, self.now())
                self.rows[i] = row
                self._written(row)
                return row
        raise KeyError(number)

    def replace_last(self, assessment: Assessment) -> OfficeRow:
        if not self.rows:
            return self.add(assessment)
        return self.replace(int(self.rows[-1]["no"]), assessment)

    def _written(self, row: OfficeRow) -> None:
        if self._csv is not None:
            self._csv.append(row)
        self._snapshots()

    def _snapshots(self) -> None:
        generated = self.now()
        if self.json_path is not None:
            document = json_document(self.rows, generated, self.thresholds)
            write_atomic(self.json_path, (json.dumps(document, ensure_ascii=False, indent=1)
                                          + "\n").encode("utf-8"))
        if self.html_path is not None:
            write_atomic(self.html_path,
                         render_html(self.rows, generated, self.thresholds, self.lang)
                         .encode("utf-8"))

    def close(self) -> None:
        if self._csv is not None:
            self._csv.close()
            self._csv = None


__all__ = [
    "MAX_REPORT_BYTES",
    "REPORT_FORMAT",
    "REPORT_VERSION",
    "CsvLog",
    "OfficeReport",
    "json_document",
    "load_json_report",
    "read_csv_rows",
]
