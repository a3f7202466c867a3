"""ISO/IEC 7816-4 status words: one table of names and meanings in English and Japanese.

Cards answer with families (``61xx``, ``63Cx``, ``6Cxx``) as well as fixed words; the
functions here know both. Card-specific readings (e.g. ``63 00`` for a residence card's
wrong card number) belong to the card modules, which can pass their own overrides.
"""

from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple


class SW(IntEnum):
    OK = 0x9000
    WARNING_NO_INFO = 0x6200
    END_OF_FILE = 0x6282
    FILE_INVALIDATED = 0x6283
    VERIFY_FAILED = 0x6300
    WRONG_LENGTH = 0x6700
    LOGICAL_CHANNEL_NOT_SUPPORTED = 0x6881
    SECURE_MESSAGING_NOT_SUPPORTED = 0x6882
    COMMAND_INCOMPATIBLE = 0x6981
    SECURITY_STATUS_NOT_SATISFIED = 0x6982
    AUTH_METHOD_BLOCKED = 0x6983
    REFERENCE_DATA_UNUSABLE = 0x6984
    CONDITIONS_NOT_SATISFIED = 0x6985
    COMMAND_NOT_ALLOWED = 0x6986
    SM_DATA_MISSING = 0x6987
    SM_DATA_INCORRECT = 0x6988
    WRONG_DATA = 0x6A80
    FUNCTION_NOT_SUPPORTED = 0x6A81
    FILE_NOT_FOUND = 0x6A82
    RECORD_NOT_FOUND = 0x6A83
    NOT_ENOUGH_MEMORY = 0x6A84
    INCORRECT_P1P2 = 0x6A86
    LC_INCONSISTENT_WITH_P1P2 = 0x6A87
    REFERENCE_NOT_FOUND = 0x6A88
    WRONG_PARAMETERS = 0x6B00
    INS_NOT_SUPPORTED = 0x6D00
    CLA_NOT_SUPPORTED = 0x6E00
    NO_PRECISE_DIAGNOSIS = 0x6F00


#: Answers that mean "not this way" rather than "no" when a card is asked in a shortened
#: form (a short EF id in P1/P2, extended length, an MF-level GET DATA): the card does not
#: support the form, so the plain form (SELECT, then the command) is worth one more try.
#: Not among them: 69 82 (security status), 63 Cx / 69 83 / 69 84 (a key was reached).
SHORTCUT_REFUSALS: frozenset[int] = frozenset({
    SW.WRONG_LENGTH, SW.COMMAND_INCOMPATIBLE, SW.COMMAND_NOT_ALLOWED,
    SW.FUNCTION_NOT_SUPPORTED, SW.FILE_NOT_FOUND, SW.INCORRECT_P1P2, SW.REFERENCE_NOT_FOUND,
    SW.WRONG_PARAMETERS, SW.INS_NOT_SUPPORTED, SW.CLA_NOT_SUPPORTED,
})


class _Meaning(NamedTuple):
    en: str
    ja: str


_FIXED: dict[int, _Meaning] = {
    SW.OK: _Meaning("success", "正常終了"),
    SW.WARNING_NO_INFO: _Meaning("warning, no information given", "警告(情報なし)"),
    SW.END_OF_FILE: _Meaning("end of file reached before Le bytes", "Le バイト読む前にファイル終端"),
    SW.FILE_INVALIDATED: _Meaning("selected file deactivated", "選択されたファイルは無効化されています"),
    SW.VERIFY_FAILED: _Meaning("verification failed", "照合不一致"),
    SW.WRONG_LENGTH: _Meaning("wrong length", "長さが不正"),
    SW.LOGICAL_CHANNEL_NOT_SUPPORTED: _Meaning(
        "logical channel not supported", "論理チャネル未対応"
    ),
    SW.SECURE_MESSAGING_NOT_SUPPORTED: _Meaning(
        "secure messaging not supported", "セキュアメッセージング未対応"
    ),
    SW.COMMAND_INCOMPATIBLE: _Meaning(
        "command incompatible with file structure", "ファイル構造と矛盾するコマンド"
    ),
    SW.SECURITY_STATUS_NOT_SATISFIED: _Meaning(
        "security status not satisfied", "セキュリティステータスが満たされていません"
    ),
    SW.AUTH_METHOD_BLOCKED: _Meaning("authentication method blocked", "認証方法がロックされています"),
    SW.REFERENCE_DATA_UNUSABLE: _Meaning(
        "reference data not usable (blocked)", "参照データが使用できません(ロック)"
    ),
    SW.CONDITIONS_NOT_SATISFIED: _Meaning(
        "conditions of use not satisfied", "使用条件が満たされていません"
    ),
    SW.COMMAND_NOT_ALLOWED: _Meaning("command not allowed (no current EF)", "コマンド不許可(EF 未選択)"),
    SW.SM_DATA_MISSING: _Meaning(
        "expected secure messaging data objects missing", "セキュアメッセージングのデータオブジェクトがありません"
    ),
    SW.SM_DATA_INCORRECT: _Meaning(
        "secure messaging data objects incorrect", "セキュアメッセージングのデータオブジェクトが不正"
    ),
    SW.WRONG_DATA: _Meaning("incorrect parameters in the data field", "データフィールドのパラメータが不正"),
    SW.FUNCTION_NOT_SUPPORTED: _Meaning("function not supported", "機能未対応"),
    SW.FILE_NOT_FOUND: _Meaning("file or application not found", "ファイルまたはアプリケーションがありません"),
    SW.RECORD_NOT_FOUND: _Meaning("record not found", "レコードがありません"),
    SW.NOT_ENOUGH_MEMORY: _Meaning("not enough memory space in the file", "ファイルの容量不足"),
    SW.INCORRECT_P1P2: _Meaning("incorrect parameters P1-P2", "P1-P2 が不正"),
    SW.LC_INCONSISTENT_WITH_P1P2: _Meaning("Lc inconsistent with P1-P2", "Lc が P1-P2 と矛盾"),
    SW.REFERENCE_NOT_FOUND: _Meaning("referenced data not found", "参照データがありません"),
    SW.WRONG_PARAMETERS: _Meaning("wrong parameters P1-P2 (offset outside the EF)", "P1-P2 が不正(EF 範囲外)"),
    SW.INS_NOT_SUPPORTED: _Meaning("instruction not supported", "命令コード未対応"),
    SW.CLA_NOT_SUPPORTED: _Meaning("class not supported", "クラス未対応"),
    SW.NO_PRECISE_DIAGNOSIS: _Meaning("no precise diagnosis", "詳細不明のエラー"),
}


def sw_name(sw: int) -> str:
    """A short symbolic name (``FILE_NOT_FOUND``, ``RETRIES_LEFT``...) for logs and JSON."""
    if sw in _FIXED:
        return SW(sw).name
    sw1, sw2 = sw >> 8, sw & 0xFF
    if sw1 == 0x61:
        return "BYTES_AVAILABLE"
    if sw1 == 0x6C:
        return "WRONG_LE"
    if sw1 == 0x63 and sw2 & 0xF0 == 0xC0:
        return "RETRIES_LEFT"
    if sw1 in (0x62, 0x63):
        return "WARNING"
    if sw1 == 0x64 or sw1 == 0x65:
        return "EXECUTION_ERROR"
    return "UNKNOWN"


def describe_sw(sw: int, lang: str = "en") -> str:
    """The meaning of a status word in English (``lang='en'``) or Japanese (``'ja'``)."""
    ja = lang == "ja"
    fixed = _FIXED.get(sw)
    if fixed is not None:
        return fixed.ja if ja else fixed.en
    sw1, sw2 = sw >> 8, sw & 0xFF
    if sw1 == 0x61:
        n = sw2 or 256
        return f"{n} バイトの応答データあり" if ja else f"{n} response bytes available"
    if sw1 == 0x6C:
        n = sw2 or 256
        return f"Le が不正(正しい Le は {n})" if ja else f"wrong Le, exact length is {n}"
    if sw1 == 0x63 and sw2 & 0xF0 == 0xC0:
        n = sw2 & 0x0F
        return f"残り試行回数 {n}" if ja else f"{n} tries left"
    if sw1 == 0x62:
        return "警告(不揮発メモリ不変)" if ja else "warning, non-volatile memory unchanged"
    if sw1 == 0x63:
        return "警告(不揮発メモリ変更)" if ja else "warning, non-volatile memory changed"
    if sw1 == 0x64:
        return "実行エラー(不揮発メモリ不変)" if ja else "execution error, memory unchanged"
    if sw1 == 0x65:
        return "実行エラー(不揮発メモリ変更)" if ja else "execution error, memory changed"
    if sw1 == 0x67:
        return "長さが不正" if ja else "wrong length"
    if sw1 == 0x68:
        return "CLA の機能未対応" if ja else "functions in CLA not supported"
    if sw1 == 0x69:
        return "コマンド不許可" if ja else "command not allowed"
    if sw1 == 0x6A:
        return "パラメータが不正" if ja else "wrong parameters"
    return "不明なステータス" if ja else "unknown status"


def retries_from_sw(sw: int) -> int | None:
    """Tries left told by a VERIFY answer: ``63 Cx`` gives x, ``69 83``/``69 84`` give 0."""
    if sw >> 4 == 0x63C:
        return sw & 0x0F
    if sw in (SW.AUTH_METHOD_BLOCKED, SW.REFERENCE_DATA_UNUSABLE):
        return 0
    return None


def is_success(sw: int) -> bool:
    return sw == SW.OK
