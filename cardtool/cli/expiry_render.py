"""Text and JSON for the expiry rules: ``cardtool expiry`` (one card) and the live table of
``cardtool office``. Rendering only; the rules are in ``cardtool.expiry``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

from apdu.errors import EXIT_EXPIRY, EXIT_OK
from cardtool.cli.render_authenticity import authenticity_lines
from cardtool.errors import EXIT_NOT_GENUINE
from cardtool.expiry import (
    DEFAULT_SOON_DAYS,
    DEFAULT_URGENT_DAYS,
    Assessment,
    DateCheck,
    Thresholds,
)

# The names live with the rules (shared with the desk); re-exported for the CLI's modules.
from cardtool.expiry import FIELD_NAMES as FIELD_NAMES
from cardtool.expiry import SOURCE_NAMES as SOURCE_NAMES
from cardtool.expiry import days_text as days_text
from cardtool.expiry import kind_name as kind_name
from cardtool.expiry import level_name as level_name
from cardtool.i18n import Messages, Text, pick

if TYPE_CHECKING:
    from cardtool.front_dates import FaceDates
    from cardtool.services.office_report import OfficeRow

# The card rendering (display widths), the OCR results and the office report are imported
# where a table or a face is drawn: `expiry --help` and `office --help` load none of them.

F = TypeVar("F", bound=Callable[..., Any])

MESSAGES = Messages({
    "no_date": ("no date in the chip (see the card face)", "日付なし(カード表面を確認)"),
    "findings": ("Findings:", "所見:"),
    "chip_data": ("Chip data: {label}", "ICチップ真正性: {label}"),
    "not_genuine": ("Warning: the dates above come from chip data that failed its authenticity "
                    "check: do not rely on them.",
                    "注意: 上記の日付は真正性の検証に失敗したチップのデータです。信頼しないでください。"),
    "result": ("Result: {level}", "判定: {level}"),
    "confidence": ("confidence", "確信度"),
    "indefinite": ("indefinite (無期限)", "無期限"),
    "uncertain": ("uncertain: {reason}; type it from the card", "不確実: {reason}。手入力してください"),
})


def thresholds_options(f: F) -> F:
    """--soon-days / --urgent-days; the command receives ``soon_days`` and ``urgent_days``."""
    f = click.option("--urgent-days", type=click.IntRange(0, 3650), default=DEFAULT_URGENT_DAYS,
                     show_default=True, metavar="DAYS",
                     help="A date this many days away or fewer is urgent.")(f)
    f = click.option("--soon-days", type=click.IntRange(0, 3650), default=DEFAULT_SOON_DAYS,
                     show_default=True, metavar="DAYS",
                     help="A date this many days away or fewer is soon.")(f)
    return f


def exit_code_for(assessment: Assessment) -> int:
    """7 when a card's authenticity check failed; else 5 when anything is soon, urgent or
    expired; 0 otherwise (also for 'check by eye')."""
    if assessment.not_genuine:
        return EXIT_NOT_GENUINE
    return EXIT_EXPIRY if assessment.needs_attention else EXIT_OK


def _date_line(check: DateCheck, lang: str) -> str:
    source = SOURCE_NAMES.get(check.source or "", (check.source or "", check.source or ""))
    where = f" [{pick(source, lang)}]" if check.source else ""
    return (f"  {pick(FIELD_NAMES[check.field], lang)}: {check.date.isoformat()} "
            f"({days_text(check.days_left, lang)}) {level_name(check.level, lang)}{where}")


def card_date_lines(assessment: Assessment, index: int, lang: str) -> list[str]:
    """One line per date of card ``index``: date, days left, level, where it came from;
    then the card's authenticity verdict, when it has one."""
    dates = [c for c in assessment.dates if c.card_index == index]
    if not dates:
        lines = ["  " + MESSAGES("no_date", lang)]
    else:
        lines = [_date_line(c, lang) for c in dates]
    return lines + card_authenticity_lines(assessment, index, lang)


def card_authenticity_lines(assessment: Assessment, index: int, lang: str) -> list[str]:
    auth = (assessment.authenticities[index]
            if index < len(assessment.authenticities) else None)
    if auth is None:
        return []
    lines = authenticity_lines(auth, lang, lambda en, ja, value:
                               f"{pick((en, ja), lang)}: {value}")
    return ["  " + line for line in lines]


def render_assessment(assessment: Assessment, lang: str) -> list[str]:
    """Lines for a terminal: per card its dates, then the findings, then the overall level."""
    lines: list[str] = []
    for index, kind in enumerate(assessment.kinds):
        lines.append(kind_name(kind, lang) + ":")
        lines.extend(card_date_lines(assessment, index, lang))
    if assessment.findings:
        lines.append(MESSAGES("findings", lang))
        for f in assessment.findings:
            lines.append(f"  [{level_name(f.level, lang)}] {f.message(lang)}")
    auth = assessment.authenticity
    if auth is not None:
        lines.append(MESSAGES("chip_data", lang, label=auth.label(lang)))
    if assessment.not_genuine:
        lines.append(MESSAGES("not_genuine", lang))
    overall = level_name(assessment.level, lang)  # the last line, always
    lines.append(MESSAGES("result", lang, level=overall))
    return lines


def assessment_json(assessment: Assessment) -> dict[str, Any]:
    return {
        "as_of": assessment.today.isoformat(),
        "kinds": list(assessment.kinds),
        "level": assessment.level.code,
        "thresholds": {"soon_days": assessment.thresholds.soon_days,
                       "urgent_days": assessment.thresholds.urgent_days},
        "renewal_pending": assessment.renewal_pending,
        "dates": [{"card": c.card_index, "kind": c.kind, "field": c.field.value,
                   "date": c.date.isoformat(), "days_left": c.days_left, "level": c.level.code,
                   "source": c.source} for c in assessment.dates],
        "findings": [{"code": f.code, "level": f.level.code,
                      "date": f.date.isoformat() if f.date else None,
                      "card": f.card_index, "message_ja": f.message_ja,
                      "message_en": f.message_en} for f in assessment.findings],
        # One entry per card (null: the card service gave no verdict).
        "authenticity": [a.to_json() if a is not None else None
                         for a in assessment.authenticities],
    }


def thresholds_from(soon_days: int, urgent_days: int) -> Thresholds:
    return Thresholds(soon_days=soon_days, urgent_days=urgent_days)


# --- the office's live table -----------------------------------------------------------------

_TABLE_HEAD: tuple[Text, ...] = (
    ("No.", "No."), ("Reference", "参照番号"), ("Level", "区分"), ("Cards", "カード"),
    ("Nearest date", "直近の期限"), ("Findings", "所見"),
)


def _width(text: str) -> int:
    from cardtool.cli.render import display_width

    return display_width(text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _nearest(row: OfficeRow) -> str:
    from cardtool.services.office_report import row_dates

    best: tuple[int, str] | None = None
    for day, left in row_dates(row).values():
        if day and left is not None and (best is None or left < best[0]):
            best = (left, day)
    return "" if best is None else f"{best[1]} ({best[0]})"


def table_lines(rows: Sequence[OfficeRow], lang: str) -> list[str]:
    """The rows read so far, in reading order, aligned for a terminal (CJK is two columns)."""
    from cardtool.services.office_report import LEVEL_BY_CODE

    head = tuple(pick(text, lang) for text in _TABLE_HEAD)
    body = []
    for row in rows:
        kinds = "+".join(kind_name(k, lang) for k in row["kinds"])
        body.append((str(row["no"]), row.get("reference") or "-",
                     level_name(LEVEL_BY_CODE[row["level"]], lang), kinds, _nearest(row),
                     " ".join(f["code"] for f in row["findings"]) or "-"))
    widths = [max([_width(head[i])] + [_width(r[i]) for r in body]) for i in range(5)]
    lines = []
    for cells in [head, *body]:
        lines.append("  ".join(_pad(c, widths[i]) for i, c in enumerate(cells[:5]))
                     + "  " + cells[5])
    return lines


# --- first-generation cards: the dates read from the front image ------------------------------

FACE_NOTE = ("Read from the card image — confirm against the card",
             "カードの画像から読み取りました — カードの記載と照合してください")


FACE_NO_ANCHOR = (
    "(the image matches the card's own certificate; no trust anchor was given to check it)",
    "(画像はカード自身の証明書の署名と一致します。トラストアンカーでの検証はしていません)")


def face_lines(face: FaceDates | None, lang: str) -> list[str]:
    """The OCR'd dates of a first-generation card, each marked as read from the image (or
    why it is uncertain)."""
    if face is None:
        return []
    from cardtool.front_dates import FIELD_NAMES as FACE_FIELD_NAMES
    from cardtool.front_dates import Status as FaceStatus

    lines = [pick(FACE_NOTE, lang) + (f" [{face.engine}]" if face.engine else "") + ":"]
    if face.signature == "no-anchor":
        lines.append("  " + pick(FACE_NO_ANCHOR, lang))
    for d in face.dates:
        if d.status is FaceStatus.ABSENT:
            continue
        name = pick(FACE_FIELD_NAMES[d.field], lang)
        if d.status is FaceStatus.READ and d.date is not None:
            value = f"{d.date.isoformat()} ({MESSAGES('confidence', lang)} {d.confidence:.2f})"
        elif d.status is FaceStatus.INDEFINITE:
            value = MESSAGES("indefinite", lang)
        else:
            value = MESSAGES("uncertain", lang, reason=d.reason_text(lang))
        lines.append(f"  {name}: {value}")
    return lines
