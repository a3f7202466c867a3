"""Text rendering (ja/en) of an authenticity verdict, the same for every card: the status
line, each check with its result and detail, the anchor, and what to do next."""

from __future__ import annotations

from collections.abc import Callable

from cardtool.authenticity import Authenticity, Result
from cardtool.i18n import Messages, Text, pick

_RESULT_TEXT: dict[Result, Text] = {
    Result.PASS: ("pass", "合格"),
    Result.FAIL: ("FAIL", "不合格"),
    Result.SKIPPED: ("skipped", "未実施"),
}
_PROFILE_TEXT: dict[str, Text] = {
    "production": ("official", "公式"),
    "test": ("TEST", "テスト用"),
    "unofficial": ("unofficial", "非公式"),
}

MESSAGES = Messages({
    "anchor": ("  Trust anchor: {id} ({profile}): {description}",
               "  トラストアンカー: {id} ({profile}): {description}"),
    "advice": ("  What to do: {advice}", "  対処: {advice}"),
})


def authenticity_lines(auth: Authenticity, lang: str,
                       row: Callable[[str, str, str], str]) -> list[str]:
    """The status as one row (``row(en_label, ja_label, value)`` of the caller's table),
    then the checks, the anchor and the advice, indented."""
    lines = [row("Authenticity", "真正性", auth.label(lang))]
    for check in auth.checks:
        lines.append(f"  [{pick(_RESULT_TEXT[check.result], lang)}] {check.name}: "
                     f"{check.detail(lang)}")
    if auth.anchor is not None:
        profile = auth.anchor.profile.value
        lines.append(MESSAGES("anchor", lang, id=auth.anchor.id, description=auth.anchor.description,
                              profile=pick(_PROFILE_TEXT.get(profile, (profile, profile)), lang)))
    if auth.advice_en:
        lines.append(MESSAGES("advice", lang, advice=auth.advice(lang)))
    return lines
