"""Text rendering (ja/en) of an authenticity verdict, the same for every card: the status
line, each check with its result and detail, the anchor, and what to do next."""

from __future__ import annotations

from collections.abc import Callable

from cardtool.authenticity import Authenticity, Result

_RESULT_TEXT = {
    Result.PASS: ("pass", "合格"),
    Result.FAIL: ("FAIL", "不合格"),
    Result.SKIPPED: ("skipped", "未実施"),
}
_PROFILE_TEXT = {
    "production": ("official", "公式"),
    "test": ("TEST", "テスト用"),
    "unofficial": ("unofficial", "非公式"),
}


def authenticity_lines(auth: Authenticity, lang: str,
                       row: Callable[[str, str, str], str]) -> list[str]:
    """The status as one row (``row(en_label, ja_label, value)`` of the caller's table),
    then the checks, the anchor and the advice, indented."""
    ja = lang == "ja"
    lines = [row("Authenticity", "真正性", auth.label(lang))]
    for check in auth.checks:
        en, jp = _RESULT_TEXT[check.result]
        lines.append(f"  [{jp if ja else en}] {check.name}: {check.detail(lang)}")
    if auth.anchor is not None:
        en, jp = _PROFILE_TEXT.get(auth.anchor.profile.value, (auth.anchor.profile.value,) * 2)
        lines.append(("  トラストアンカー: " if ja else "  Trust anchor: ")
                     + f"{auth.anchor.id} ({jp if ja else en}): {auth.anchor.description}")
    if auth.advice_en:
        lines.append(("  対処: " if ja else "  What to do: ") + auth.advice(lang))
    return lines
