"""The apdu layer's exceptions.

Every exception carries a message in English and Japanese (class templates filled from
``params``) and an exit-code category, so a front end can print one clear line in the
user's language without knowing each class. ``str(error)`` is the English line.

Rule: params never hold a PIN, a card number or personal data; they go into messages.
"""

from __future__ import annotations

from typing import Any, ClassVar

from apdu.pcsc_service import service_hint

# Exit codes shared by every front end (README lists them).
EXIT_OK = 0
EXIT_USAGE = 1
EXIT_NO_READER = 2
EXIT_CARD = 3
EXIT_PIN = 4
EXIT_EXPIRY = 5
EXIT_BAD_INPUT = 6


class ApduLayerError(Exception):
    """Root of every error raised by ``apdu`` (and, through CardtoolError, by cardtool)."""

    en: ClassVar[str] = "{detail}"
    ja: ClassVar[str] = "{detail}"
    exit_code: ClassVar[int] = EXIT_CARD

    def __init__(self, **params: Any) -> None:
        self.params = params
        super().__init__(self.render("en"))

    def render(self, lang: str = "en") -> str:
        template = self.ja if lang == "ja" else self.en
        try:
            return template.format(**self.params)
        except (KeyError, IndexError, ValueError):  # a template bug must not hide the error
            return f"{type(self).__name__}: {self.params!r}"


# --- malformed data -----------------------------------------------------------------


class MalformedData(ApduLayerError):
    """Bytes that do not follow the expected structure. ``offset`` names where."""

    en = "Malformed {what} at offset {offset}: {detail}."
    ja = "{what} の形式が不正です(オフセット {offset}): {detail}。"
    exit_code = EXIT_CARD

    def __init__(self, what: str, offset: int, detail: str) -> None:
        super().__init__(what=what, offset=offset, detail=detail)
        self.offset = offset


class InvalidApdu(ApduLayerError):
    """A command APDU that cannot be encoded or parsed (bad lengths, bad field ranges)."""

    en = "Invalid APDU: {detail}."
    ja = "APDU が不正です: {detail}。"
    exit_code = EXIT_USAGE


# --- transport ------------------------------------------------------------------------


class TransportError(ApduLayerError):
    """The link to the reader or card failed."""

    en = "Communication with the reader failed: {detail}. Check the reader and try again."
    ja = "リーダーとの通信に失敗しました: {detail}。リーダーを確認して再実行してください。"
    exit_code = EXIT_NO_READER


class PcscUnavailable(TransportError):
    """The PC/SC service is not running or not reachable; the advice names this operating
    system's service (``apdu.pcsc_service``)."""

    en = "The PC/SC service is not available ({detail}). {service_action_en} Then try again."
    ja = "PC/SC サービスが利用できません({detail})。{service_action_ja}その後、再実行してください。"

    def __init__(self, **params: Any) -> None:
        hint = service_hint()
        super().__init__(**{"service_action_en": hint.action[0],
                            "service_action_ja": hint.action[1], **params})


class NoReader(TransportError):
    en = "No card reader found{detail}. Connect a reader (e.g. Sony RC-S300) and try again."
    ja = "カードリーダーが見つかりません{detail}。リーダー(例: Sony RC-S300)を接続して再実行してください。"


class NoCard(TransportError):
    en = "No card on reader '{reader}'{detail}. Hold the card on the reader and try again."
    ja = "リーダー '{reader}' にカードがありません{detail}。カードをリーダーにかざして再実行してください。"


class CardRemoved(TransportError):
    en = "The card was removed during the operation. Hold it still on the reader and try again."
    ja = "処理中にカードが離れました。カードをリーダーに置いたまま再実行してください。"


class CardReset(TransportError):
    en = "The card was reset by another program during the operation. Try again."
    ja = "処理中に別のプログラムがカードをリセットしました。再実行してください。"


class TransmitFailed(TransportError):
    """The reader could not carry an APDU (e.g. an extended APDU it does not support)."""

    en = "The reader could not transmit the command ({detail}). Try again."
    ja = "リーダーがコマンドを送信できませんでした({detail})。再実行してください。"


# --- card answers ---------------------------------------------------------------------


class ApduError(ApduLayerError):
    """The card answered a status word other than the expected ones."""

    en = "The card answered {sw_hex} ({meaning}) to {command}."
    ja = "カードが {command} に {sw_hex}({meaning})を返しました。"
    exit_code = EXIT_CARD

    def __init__(self, sw: int, command: str, data: bytes = b"") -> None:
        from apdu.sw import describe_sw  # local: sw imports nothing from here at module level

        self.sw = sw
        self.data = data
        self._meaning_ja = describe_sw(sw, "ja")
        super().__init__(
            sw_hex=f"{sw >> 8:02X} {sw & 0xFF:02X}",
            meaning=describe_sw(sw, "en"),
            command=command,
        )

    def render(self, lang: str = "en") -> str:
        if lang == "ja":
            return self.ja.format(**{**self.params, "meaning": self._meaning_ja})
        return super().render(lang)


# --- traces ---------------------------------------------------------------------------


class TraceError(ApduLayerError):
    exit_code = EXIT_BAD_INPUT


class TraceFormatError(TraceError):
    en = "Trace file {path} is not a valid cardtool trace (line {line}): {detail}."
    ja = "トレースファイル {path} の形式が不正です({line} 行目): {detail}。"


class ForeignLogFormatError(TraceFormatError):
    """An apdu4j dump, pcsc-spy log or OpenSC debug log that does not parse."""

    en = "The {format} log {path} is malformed (line {line}): {detail}."
    ja = "{format} のログ {path} の形式が不正です({line} 行目): {detail}。"


class ReplayRefused(TraceError):
    """A trace that cannot be replayed as asked (e.g. a secure-messaging session without the
    host randomness that made it)."""

    en = "Cannot replay {path}: {detail}."
    ja = "{path} は再生できません: {detail}。"


class TraceDivergence(TraceError):
    """Replay: the program sent something other than what the trace holds."""

    en = (
        "Replay diverged from trace {path} at exchange {exchange}: expected {expected}, "
        "sent {sent}. The program no longer sends what was recorded; record a new trace."
    )
    ja = (
        "トレース {path} の再生が交換 {exchange} で一致しません: 期待 {expected}、"
        "送信 {sent}。記録時と異なるコマンドです。トレースを記録し直してください。"
    )


class TraceExhausted(TraceError):
    en = "Replay of {path}: the program sent more than the {count} recorded exchanges ({sent})."
    ja = "{path} の再生: 記録された {count} 件より多くのコマンドが送信されました({sent})。"
