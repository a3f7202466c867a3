"""The live PIN guard: the only way cardtool sends a VERIFY with data.

Before a VERIFY: the format is checked (a malformed PIN never reaches the card), the
remaining tries are read with the empty VERIFY (no try used), and with one try left the
guard refuses unless forced. After a failure it says how many tries remain. It never
retries a VERIFY: after a failed or uncertain one (e.g. the card left the reader mid
command) it raises and stops.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from apdu.errors import ApduError
from apdu.sw import SW, retries_from_sw
from cardtool.cards.mynumber.card import MyNumberCard
from cardtool.errors import EXIT_PIN, CardtoolError
from cardtool.policy.table import LAST_TRY
from cardtool.secret_format import KeyRef, Secret, encode_secret

#: Asks the user for a secret (no-echo prompt, stdin or a web form); called only when a
#: VERIFY is about to be sent.
AskSecret = Callable[[Secret], str]


class _PinError(CardtoolError):
    exit_code = EXIT_PIN
    ja_template: ClassVar[str] = ""

    def __init__(self, secret: Secret, **params: object) -> None:
        super().__init__(label=secret.label_en, label_ja=secret.label_ja, **params)


class PinBlocked(_PinError):
    en = ("The {label} is blocked. Nothing was sent to the card. It can be reset at your "
          "municipal office{hint_en}.")
    ja = "{label_ja}がロックされています。カードには送信していません。市区町村の窓口{hint_ja}で解除できます。"

    def __init__(self, secret: Secret) -> None:
        sign = secret.name == "sign"
        super().__init__(secret,
                         hint_en=" (or at a convenience-store kiosk with the auth PIN)" if sign else "",
                         hint_ja="(または利用者証明用暗証番号を使ってコンビニのキオスク端末)" if sign else "")


class LastTryRefused(_PinError):
    en = ("Only one try is left for the {label}: a wrong entry would block it. Nothing was "
          "sent. If you are sure, run again with --force.")
    ja = "{label_ja}の残り試行回数は1回です。間違えるとロックされるため送信していません。確実な場合は --force を付けて再実行してください。"


class TriesUnknown(_PinError):
    en = ("The card does not tell how many tries are left for the {label}, so nothing was "
          "sent. If you are sure, run again with --force.")
    ja = "カードが{label_ja}の残り試行回数を返さないため送信していません。確実な場合は --force を付けて再実行してください。"


class WrongPin(_PinError):
    en = "Wrong {label}: {remaining} tries left."
    ja = "{label_ja}が違います。残り {remaining} 回です。"

    def __init__(self, secret: Secret, remaining: int) -> None:
        super().__init__(secret, remaining=remaining)
        self.remaining = remaining


class WrongPinNowBlocked(_PinError):
    en = "Wrong {label}: it is now blocked. It can be reset at your municipal office."
    ja = "{label_ja}が違います。ロックされました。市区町村の窓口で解除できます。"


@dataclass(frozen=True)
class KeyStatus:
    secret: Secret
    key: KeyRef
    remaining: int | None  # None: the card did not tell
    #: False: the card has no application holding this key (e.g. no 共通 DF).
    present: bool = True

    @property
    def blocked(self) -> bool:
        return self.remaining == 0


class PinGuard:
    def __init__(self, card: MyNumberCard, *, force: bool = False) -> None:
        self.card = card
        self.force = force

    def status(self, secret: Secret, key: KeyRef) -> KeyStatus:
        return KeyStatus(secret, key, self.card.tries_left(key.aid, key.key_ef))

    def status_if_present(self, secret: Secret, key: KeyRef) -> KeyStatus:
        """Like ``status``, but a key whose application the card lacks is reported absent
        instead of failing (some cards have no 共通 DF)."""
        if not self.card.has_application(key.aid):
            return KeyStatus(secret, key, None, present=False)
        return self.status(secret, key)

    def precheck(self, status: KeyStatus) -> None:
        """Refuse before even asking the user: blocked, unknown count, or last try."""
        if status.remaining == 0:
            raise PinBlocked(status.secret)
        if status.remaining is None and not self.force:
            raise TriesUnknown(status.secret)
        if status.remaining == LAST_TRY and not self.force:
            raise LastTryRefused(status.secret)

    def ask_and_verify(self, status: KeyStatus, ask: AskSecret) -> KeyStatus:
        """Precheck, then ask for the secret, then verify: the user is not asked for a PIN
        the guard would refuse to send."""
        self.precheck(status)
        return self.verify(status.secret, status.key, ask(status.secret), before=status)

    def verify(self, secret: Secret, key: KeyRef, typed: str,
               before: KeyStatus | None = None) -> KeyStatus:
        """Verify ``typed`` for ``key``; returns the status after success. ``before`` is a
        status the caller read moments ago in this session (saves an APDU)."""
        raw = encode_secret(secret, typed)  # format first: nothing is sent if it is wrong
        if before is None or before.key != key:
            before = self.status(secret, key)
        self.precheck(before)
        response = self.card.verify(key.aid, key.key_ef, raw)
        if response.sw == SW.OK:
            return KeyStatus(secret, key, key.max_tries)
        remaining = retries_from_sw(response.sw)
        if remaining == 0:
            if response.sw >> 4 == 0x63C:
                raise WrongPinNowBlocked(secret)
            raise PinBlocked(secret)
        if remaining is not None:
            raise WrongPin(secret, remaining)
        raise ApduError(response.sw, "VERIFY")
