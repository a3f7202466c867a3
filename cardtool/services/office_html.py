"""The printed report of an office session: one A4 page (more when the list is long; the
header row repeats), most urgent client first, inline CSS so the file stands alone."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence

from cardtool.authenticity import SHORT_LABELS
from cardtool.card_kind import kind_label
from cardtool.expiry import LEVEL_NAMES, Level, Thresholds, days_text, level_legend
from cardtool.i18n import Messages, pick
from cardtool.services.office_report import LEVEL_BY_CODE, OfficeRow, row_dates, urgency_key

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
    "confirmed": ("read from the card image, confirmed", "画像から読取・確認済み"),
    "footer": ("No My Number, name, photo or card number is recorded in this report.",
               "この報告書にはマイナンバー・氏名・写真・カード番号を記録していません。"),
})
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
    rel = "" if n is None else days_text(n, lang)
    extra = f" ({note})" if note else ""
    return (f'<td class="date">{html.escape(day.isoformat())}'
            f"<small>{html.escape(rel + extra)}</small></td>")


def _source_note(source: str, lang: str) -> str:
    """How a first-generation card's date was obtained, for the printed report."""
    key = "check_by_eye" if source == "check-by-eye" else source
    return _HTML_TEXT(key, lang) if key in ("check_by_eye", "typed", "ocr", "confirmed") else ""


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
        kinds = "<br>".join(html.escape(kind_label(k, lang, short=True)) for k in row["kinds"])
        source = row.get("residence_expiry_source") or ""
        note = _source_note(source, lang)
        card_note = _source_note(row.get("residence_card_expiry_source") or "", lang)
        findings = "".join(
            f"<li>{html.escape(pick((f['message_en'], f['message_ja']), lang))}</li>"
            for f in row["findings"])
        pending = _HTML_TEXT("yes", lang) if row.get("renewal_pending") else ""
        status = row.get("authenticity") or ""
        auth_label = pick(SHORT_LABELS.get(status, (status, status)), lang)
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


__all__ = ["render_html"]
