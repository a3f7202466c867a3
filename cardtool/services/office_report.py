"""Reports of an office session: one row per client, written after every card so that a
crash or Ctrl-C never loses a row already read.

- CSV: appended, one fsync per row; UTF-8 with a BOM written only when the file is created
  (so Excel shows Japanese). A client's second card appends the client's row again with the
  same ``no``: the last row with a given ``no`` is the complete one.
- JSON: the whole session, rewritten atomically (temp file + ``os.replace``) after every card.
  An existing report of this format is continued, not overwritten.
- HTML: a printable A4 report sorted by urgency, rewritten atomically after every card.

A row holds the client reference, card kinds, dates, days left, level and findings, and the
weakest authenticity verdict of the client's cards (``invalid`` rows come first). It never
holds a My Number, a name, an image, a photo or a card number: the input model cannot carry
them, ``ROW_KEYS`` lists every key a row may have, and ``clean_reference`` refuses a reference
that looks like a My Number or a residence card number.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import fcntl
import html
import io
import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypedDict

from apdu.jsonsafe import NOT_JSON, JsonRejected, loads_bounded
from cardtool.card_kind import MYNUMBER_KINDS, RESIDENCE_KINDS, kind_label
from cardtool.errors import BadInputFile, UsageError
from cardtool.expiry import (
    LEVEL_NAMES,
    Assessment,
    DateCheck,
    DateField,
    Level,
    Thresholds,
    level_legend,
)
from cardtool.files import write_atomic
from cardtool.i18n import Messages, pick
from cardtool.jst import now_jst

REPORT_FORMAT = "cardtool-office-report"
REPORT_VERSION = 1
#: A JSON report being continued is refused when larger or deeper than this, before it is
#: parsed. A row is well under 1 KB and four levels deep at most, so 32 MiB holds some
#: 40,000 clients (years of an office's checks in one file); nothing real nests 16 deep.
MAX_REPORT_BYTES = 32 << 20
MAX_REPORT_DEPTH = 16

#: Every key a CSV row has, in column order. Nothing else is ever written.
ROW_KEYS: tuple[str, ...] = (
    "no", "read_at", "as_of", "reference", "kinds", "level",
    "residence_expiry", "residence_days_left", "residence_expiry_source", "renewal_pending",
    "residence_card_expiry", "residence_card_days_left", "residence_card_expiry_source",
    "mynumber_card_expiry", "mynumber_card_days_left",
    "certificate_expiry", "certificate_days_left",
    "findings", "messages_ja", "messages_en",
    "authenticity", "authenticity_failures",
)
#: A JSON row: the same, with the findings as objects carrying their messages.
JSON_ROW_KEYS: tuple[str, ...] = tuple(k for k in ROW_KEYS
                                       if k not in ("messages_ja", "messages_en"))
FINDING_KEYS: tuple[str, ...] = ("code", "level", "date", "message_ja", "message_en")

LEVEL_BY_CODE: dict[str, Level] = {level.code: level for level in Level}
BOM = "\ufeff".encode()
CSV_EOL = b"\r\n"  # rows end in CRLF; line breaks inside a cell are a bare LF

MAX_REFERENCE_LENGTH = 40
_MY_NUMBER_LIKE = re.compile(r"\d{12}")
_CARD_NUMBER_LIKE = re.compile(r"[A-Z]{2}\d{8}[A-Z]{2}")


class ReferenceRejected(UsageError):
    pass


def looks_like_a_number(text: str) -> bool:
    """Whether ``text`` holds something shaped like a My Number or a residence card number,
    ignoring spaces, dashes, dots and slashes between the characters."""
    compact = re.sub(r"[\s\-‐_./]", "", unicodedata.normalize("NFKC", text)).upper()
    return bool(_MY_NUMBER_LIKE.search(compact) or _CARD_NUMBER_LIKE.search(compact))


def clean_reference(text: str | None) -> str | None:
    """The office's file number for a client, or None when empty. Refuses anything that
    looks like a My Number or a residence card number: those must never reach a report."""
    if text is None:
        return None
    # Control characters and line/paragraph separators go: a reference is one line in a
    # CSV cell, a table and a calendar event.
    cleaned = "".join(c for c in unicodedata.normalize("NFKC", text)
                      if unicodedata.category(c)[0] != "C"
                      and unicodedata.category(c) not in ("Zl", "Zp")).strip()
    if not cleaned:
        return None
    if looks_like_a_number(cleaned):
        raise ReferenceRejected(
            "The client reference looks like a My Number or a card number; use the office's "
            "file number instead.",
            "参照番号がマイナンバーまたはカード番号のように見えます。事務所の管理番号を"
            "入力してください。",
        )
    if len(cleaned) > MAX_REFERENCE_LENGTH:
        raise ReferenceRejected(
            f"The client reference is longer than {MAX_REFERENCE_LENGTH} characters.",
            f"参照番号が{MAX_REFERENCE_LENGTH}文字を超えています。",
        )
    return cleaned


# --- rows --------------------------------------------------------------------------------


class FindingRow(TypedDict):
    code: str
    level: str  # Level.code
    date: str | None  # ISO date
    message_ja: str
    message_en: str


class OfficeRow(TypedDict):
    """One client's row, as written to the JSON report (``JSON_ROW_KEYS``) and read back when
    a report is continued. Dates are ISO strings (JSON has no date type)."""

    no: int
    read_at: str
    as_of: str
    reference: str
    kinds: list[str]
    level: str
    residence_expiry: str | None
    residence_days_left: int | None
    residence_expiry_source: str
    renewal_pending: bool | None
    residence_card_expiry: str | None
    residence_card_days_left: int | None
    residence_card_expiry_source: str
    mynumber_card_expiry: str | None
    mynumber_card_days_left: int | None
    certificate_expiry: str | None
    certificate_days_left: int | None
    findings: list[FindingRow]
    authenticity: str | None
    authenticity_failures: list[str]


def _pick(dates: Iterable[DateCheck], latest: bool = False) -> DateCheck | None:
    chosen = sorted(dates, key=lambda c: (c.date, c.card_index))
    if not chosen:
        return None
    return chosen[-1] if latest else chosen[0]


def row_from_assessment(assessment: Assessment, number: int, read_at: dt.datetime
                        ) -> OfficeRow:
    """The JSON form of a client's row (``JSON_ROW_KEYS``)."""
    dates = assessment.dates
    # The newest residence card tells the stay (a client may bring the old one too); for
    # every other date the earliest is the one to act on.
    residence = _pick((c for c in dates if c.field is DateField.RESIDENCE), latest=True)
    residence_card = _pick(c for c in dates
                           if c.field is DateField.CARD and c.kind in RESIDENCE_KINDS)
    mynumber_card = _pick(c for c in dates
                          if c.field is DateField.CARD and c.kind in MYNUMBER_KINDS)
    certificate = _pick(c for c in dates if c.field is DateField.CERTIFICATE)
    if residence is not None:
        residence_source = residence.source or ""
    elif any(f.code == "residence-check-by-eye" for f in assessment.findings):
        # (a first-generation card of a permanent resident has no period: nothing to check)
        residence_source = "check-by-eye"
    else:
        residence_source = ""

    def day(c: DateCheck | None) -> str | None:
        return c.date.isoformat() if c else None

    def left(c: DateCheck | None) -> int | None:
        return c.days_left if c else None

    auth = assessment.authenticity

    return {
        "no": number,
        "read_at": read_at.isoformat(timespec="seconds"),
        "as_of": assessment.today.isoformat(),
        # Checked again here: whatever the caller did, no number-like reference is written.
        "reference": clean_reference(assessment.reference) or "",
        "kinds": list(assessment.kinds),
        "level": assessment.level.code,
        "residence_expiry": day(residence),
        "residence_days_left": left(residence),
        "residence_expiry_source": residence_source,
        "renewal_pending": assessment.renewal_pending,
        "residence_card_expiry": day(residence_card),
        "residence_card_days_left": left(residence_card),
        "residence_card_expiry_source": (residence_card.source or "") if residence_card else "",
        "mynumber_card_expiry": day(mynumber_card),
        "mynumber_card_days_left": left(mynumber_card),
        "certificate_expiry": day(certificate),
        "certificate_days_left": left(certificate),
        "findings": [
            {"code": f.code, "level": f.level.code,
             "date": f.date.isoformat() if f.date else None,
             "message_ja": f.message_ja, "message_en": f.message_en}
            for f in assessment.findings
        ],
        # The weakest verdict of the client's cards (None: no card gave one), and the
        # names of the checks that failed (e.g. "signature").
        "authenticity": auth.status.value if auth is not None else None,
        "authenticity_failures": sorted({c.name for a in assessment.authenticities
                                         if a is not None for c in a.failures()}),
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).replace("\r", "")


def csv_cells(row: OfficeRow) -> list[str]:
    """A JSON row as CSV cells in ``ROW_KEYS`` order."""
    flat: dict[str, Any] = dict(row)
    findings = row["findings"]
    flat["kinds"] = " ".join(row["kinds"])
    flat["findings"] = " ".join(f["code"] for f in findings)
    flat["messages_ja"] = "\n".join(f["message_ja"] for f in findings)
    flat["messages_en"] = "\n".join(f["message_en"] for f in findings)
    flat["authenticity"] = row.get("authenticity")
    flat["authenticity_failures"] = " ".join(row.get("authenticity_failures") or [])
    return [_cell(flat[key]) for key in ROW_KEYS]


def _csv_line(cells: Sequence[str]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(cells)
    return buf.getvalue().encode("utf-8")


def row_dates(row: OfficeRow) -> dict[str, tuple[str | None, int | None]]:
    """The row's four dates with their days left, by the date's key."""
    # .get: a report continued from an older version may lack a column.
    return {
        "residence_expiry": (row.get("residence_expiry"), row.get("residence_days_left")),
        "residence_card_expiry": (row.get("residence_card_expiry"),
                                  row.get("residence_card_days_left")),
        "mynumber_card_expiry": (row.get("mynumber_card_expiry"),
                                 row.get("mynumber_card_days_left")),
        "certificate_expiry": (row.get("certificate_expiry"), row.get("certificate_days_left")),
    }


def urgency_key(row: OfficeRow) -> tuple[int, int, int, int]:
    """Most urgent first: a card that is not genuine, then the level, then the nearest
    date, then the reading order."""
    lefts = [left for _, left in row_dates(row).values() if left is not None]
    nearest = min(lefts) if lefts else 10**6
    return (0 if row.get("authenticity") == "invalid" else 1, -LEVEL_BY_CODE[row["level"]],
            nearest, int(row["no"]))


# --- writers -------------------------------------------------------------------------------


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
        header = _csv_line(ROW_KEYS)
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
        line = _csv_line(csv_cells(row))
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
    text = Path(path).read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


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


# --- HTML --------------------------------------------------------------------------------

_HTML_TEXT = Messages({
    "title": ("Card expiry check", "在留カード・マイナンバーカード 有効期限チェック"),
    "generated": ("Generated {when} (JST)", "作成日時 {when}(日本時間)"),
    "thresholds": ("Soon: {soon} days or fewer; urgent: {urgent} days or fewer.",
                   "期限間近: 残り{soon}日以内、至急: 残り{urgent}日以内。"),
    "summary": ("{n} clients", "{n}名"),
    "legend": ("Levels", "区分"),
    "empty": ("No cards read yet.", "まだカードを読み取っていません。"),
    "no": ("No.", "No."),
    "reference": ("Reference", "参照番号"),
    "kinds": ("Cards", "カード"),
    "level": ("Level", "区分"),
    "residence": ("Period of stay", "在留期間満了日"),
    "residence_card": ("Residence card", "在留カード有効期限"),
    "mynumber": ("My Number card", "マイナンバーカード"),
    "certificate": ("Certificates", "電子証明書"),
    "pending": ("Renewal pending", "申請中"),
    "authenticity": ("Chip data", "ICチップ真正性"),
    "findings": ("Findings", "所見"),
    "yes": ("yes", "申請中"),
    "check_by_eye": ("check by eye", "目視確認"),
    "typed": ("typed", "入力"),
    "ocr": ("read from the card image: confirm against the card", "画像から読取: カードで確認"),
    "ocr-confirmed": ("read from the card image, confirmed", "画像から読取・確認済み"),
    "eye": ("check by eye", "目視確認"),
    "days_left": ("{n} days left", "残り{n}日"),
    "days_ago": ("{n} days ago", "{n}日経過"),
    "footer": ("No My Number, name, photo or card number is recorded in this report.",
               "この報告書にはマイナンバー・氏名・写真・カード番号を記録していません。"),
})
#: Short names of the authenticity statuses (a narrow column).
AUTHENTICITY_LABELS: dict[str, tuple[str, str]] = {
    "genuine": ("genuine", "真正"),
    "data-genuine": ("data genuine", "データ真正"),
    "test-anchor": ("TEST key only", "テスト鍵のみ"),
    "unanchored": ("no trust anchor", "アンカー未確認"),
    "not-checked": ("not checked", "未検証"),
    "invalid": ("NOT GENUINE", "不正"),
}
_LEVEL_COLOURS: dict[str, tuple[str, str]] = {  # background, text
    "expired": ("#b00020", "#ffffff"),
    "urgent": ("#e65100", "#ffffff"),
    "soon": ("#f9c74f", "#222222"),
    "check": ("#1565c0", "#ffffff"),
    "ok": ("#2e7d32", "#ffffff"),
}

_CSS = """
@page { size: A4 portrait; margin: 10mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; padding: 8mm; width: 210mm; max-width: 100%; color: #222;
  font-family: "Noto Sans CJK JP", "Noto Sans JP", "Source Han Sans JP", "IPAexGothic",
    "Hiragino Sans", "Hiragino Kaku Gothic ProN", "Yu Gothic", "Meiryo", sans-serif;
  font-size: 9pt; line-height: 1.35; }
@media print { body { padding: 0; width: auto; } }
h1 { font-size: 14pt; margin: 0 0 1mm; }
.meta { margin: 0 0 2mm; color: #444; }
.legend { display: flex; flex-wrap: wrap; gap: 1mm 4mm; margin: 0 0 3mm; padding: 1.5mm 2mm;
  border: 0.3mm solid #bbb; font-size: 7.5pt; }
.legend span.item { white-space: nowrap; }
.badge { display: inline-block; min-width: 13mm; padding: 0.3mm 1.2mm; border-radius: 1mm;
  font-weight: bold; text-align: center; font-size: 7.5pt; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; break-inside: avoid; }
th, td { border: 0.25mm solid #999; padding: 0.8mm 1mm; vertical-align: top; text-align: left;
  overflow-wrap: anywhere; }
th { background: #eee; font-size: 7.5pt; }
td.date { white-space: nowrap; font-size: 8pt; }
td.date small { display: block; color: #555; }
td.findings, td.kinds { font-size: 7.5pt; }
td.findings ul { margin: 0; padding-left: 3.5mm; }
col.c-level { width: 16mm; } col.c-no { width: 7mm; } col.c-ref { width: 15mm; }
col.c-kinds { width: 19mm; } col.c-date { width: 17.5mm; } col.c-pending { width: 10mm; }
col.c-auth { width: 15mm; }
td.auth { font-size: 7.5pt; } td.auth.invalid { color: #b00020; font-weight: bold; }
footer { margin-top: 3mm; font-size: 7pt; color: #555; }
"""


def _badge(level_code: str, lang: str) -> str:
    bg, fg = _LEVEL_COLOURS[level_code]
    name = pick(LEVEL_NAMES[LEVEL_BY_CODE[level_code]], lang)
    return f'<span class="badge" style="background:{bg};color:{fg}">{html.escape(name)}</span>'


def _date_cell(row: OfficeRow, date_key: str, lang: str, note: str = "") -> str:
    value, n = row_dates(row)[date_key]
    if not value:
        return f'<td class="date">{html.escape(note)}</td>'
    day = dt.date.fromisoformat(value)
    if n is None:
        rel = ""
    elif n >= 0:
        rel = _HTML_TEXT("days_left", lang, n=n)
    else:
        rel = _HTML_TEXT("days_ago", lang, n=-n)
    extra = f" ({note})" if note else ""
    return (f'<td class="date">{html.escape(day.isoformat())}'
            f"<small>{html.escape(rel + extra)}</small></td>")


def _source_note(source: str, lang: str) -> str:
    """How a first-generation card's date was obtained, for the printed report."""
    key = "check_by_eye" if source == "check-by-eye" else source
    return _HTML_TEXT(key, lang) if key in ("check_by_eye", "typed", "ocr", "ocr-confirmed", "eye") else ""


def render_html(rows: Sequence[OfficeRow], generated_at: dt.datetime,
                thresholds: Thresholds, lang: str) -> str:
    """A one-page A4 report (more pages when the list is long; the header row repeats)."""
    when = generated_at.strftime("%Y-%m-%d %H:%M")
    legend = "".join(
        f'<span class="item">{_badge(level.code, lang)} '
        f"{html.escape(level_legend(level, lang, thresholds))}</span>"
        for level in sorted(Level, reverse=True))
    body: list[str] = []
    for row in sorted(rows, key=urgency_key):
        kinds = "<br>".join(html.escape(_t_kind(k, lang)) for k in row["kinds"])
        source = row.get("residence_expiry_source") or ""
        note = _source_note(source, lang)
        card_note = _source_note(row.get("residence_card_expiry_source") or "", lang)
        findings = "".join(
            f"<li>{html.escape(pick((f['message_en'], f['message_ja']), lang))}</li>"
            for f in row["findings"])
        pending = _HTML_TEXT("yes", lang) if row.get("renewal_pending") else ""
        status = row.get("authenticity") or ""
        auth_label = pick(AUTHENTICITY_LABELS.get(status, (status, status)), lang)
        failures = " ".join(row.get("authenticity_failures") or [])
        body.append(
            "<tr>"
            f"<td>{_badge(row['level'], lang)}</td>"
            f"<td>{int(row['no'])}</td>"
            f"<td>{html.escape(str(row.get('reference') or ''))}</td>"
            f'<td class="kinds">{kinds}</td>'
            + _date_cell(row, "residence_expiry", lang, note)
            + _date_cell(row, "residence_card_expiry", lang,
                         card_note)
            + _date_cell(row, "mynumber_card_expiry", lang)
            + _date_cell(row, "certificate_expiry", lang)
            + f"<td>{html.escape(pending)}</td>"
            f'<td class="auth {html.escape(status)}">'
            f"{html.escape(auth_label)}"
            f"{'<small> (' + html.escape(failures) + ')</small>' if failures else ''}</td>"
            f'<td class="findings">{"<ul>" + findings + "</ul>" if findings else ""}</td>'
            "</tr>")
    if not body:
        body.append(f'<tr><td colspan="11">{html.escape(_HTML_TEXT("empty", lang))}</td></tr>')
    heads = "".join(f"<th>{html.escape(_HTML_TEXT(k, lang))}</th>" for k in (
        "level", "no", "reference", "kinds", "residence", "residence_card", "mynumber",
        "certificate", "pending", "authenticity", "findings"))
    cols = ('<colgroup><col class="c-level"><col class="c-no"><col class="c-ref">'
            '<col class="c-kinds"><col class="c-date"><col class="c-date"><col class="c-date">'
            '<col class="c-date"><col class="c-pending"><col class="c-auth"><col></colgroup>')
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{pick(("en", "ja"), lang)}"><head><meta charset="utf-8">'
        f"<title>{html.escape(_HTML_TEXT('title', lang))}</title><style>{_CSS}</style></head><body>"
        f"<h1>{html.escape(_HTML_TEXT('title', lang))}</h1>"
        f'<p class="meta">{html.escape(_HTML_TEXT("generated", lang, when=when))} · '
        f"{html.escape(_HTML_TEXT('summary', lang, n=len(rows)))} · "
        f"{html.escape(_HTML_TEXT('thresholds', lang, soon=thresholds.soon_days, urgent=thresholds.urgent_days))}"
        "</p>"
        f'<div class="legend"><strong>{html.escape(_HTML_TEXT("legend", lang))}</strong>{legend}</div>'
        f"<table>{cols}<thead><tr>{heads}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        f"<footer>{html.escape(_HTML_TEXT('footer', lang))}</footer>"
        "</body></html>\n")


def _t_kind(kind: str, lang: str) -> str:
    return kind_label(kind, lang, short=True)


# --- the session's report -------------------------------------------------------------------


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
    "FINDING_KEYS",
    "JSON_ROW_KEYS",
    "ROW_KEYS",
    "CsvLog",
    "OfficeReport",
    "ReferenceRejected",
    "clean_reference",
    "csv_cells",
    "load_json_report",
    "read_csv_rows",
    "render_html",
    "row_from_assessment",
    "urgency_key",
]
