"""The PIN-attempt policy table: one definition per secret.

Used by the live guard (before any VERIFY), by the virtual cards (their PIN objects) and by
the trace checker. Nothing else in the project may restate a PIN's format or try count.

Values from ``shared/spec/mynumber-card.md`` §3. The try limits of 照合番号A/B and the
生年月日 key are (unverified) there: 3 per one source, 10 per another. We use 10 and
say so in README; the guard never relies on the maximum, it reads the counter first.
"""

from __future__ import annotations

from cardtool.cards.mynumber import ids as mn
from cardtool.errors import EXIT_USAGE, CardtoolError
from cardtool.secret_format import (
    DIGITS_4,
    DIGITS_6,
    DIGITS_12,
    DIGITS_14,
    SIGN_PASSWORD,
    KeyRef,
    Secret,
)

# Try limit for 照合番号A/B and the birth-date key: unverified (3 or 10, spec §3).
UNVERIFIED_CODE_MAX_TRIES = 10

SECRETS: dict[str, Secret] = {
    s.name: s
    for s in (
        Secret("auth", DIGITS_4, (KeyRef("jpki", mn.JPKI_AID, mn.JpkiEF.AUTH_PIN, 3),),
               "user-authentication PIN (利用者証明用電子証明書)", "利用者証明用電子証明書の暗証番号"),
        Secret("sign", SIGN_PASSWORD, (KeyRef("jpki", mn.JPKI_AID, mn.JpkiEF.SIGN_PIN, 5),),
               "signing password (署名用電子証明書)", "署名用電子証明書の暗証番号"),
        Secret("text", DIGITS_4, (KeyRef("text", mn.TEXT_AID, mn.TextEF.PIN, 3),),
               "text-input-support PIN (券面事項入力補助用)", "券面事項入力補助用の暗証番号"),
        Secret("juki", DIGITS_4,
               (KeyRef("juki", mn.JUKI_AID, mn.JukiEF.PIN, 3),
                KeyRef("common", mn.COMMON_AID, mn.CommonEF.PIN, 3)),
               "resident-registry PIN (住民基本台帳用)", "住民基本台帳用の暗証番号"),
        Secret("number-a", DIGITS_12,
               (KeyRef("text", mn.TEXT_AID, mn.TextEF.KEY_A, UNVERIFIED_CODE_MAX_TRIES),
                KeyRef("visual", mn.VISUAL_AID, mn.VisualEF.KEY_A, UNVERIFIED_CODE_MAX_TRIES)),
               "collation number A (照合番号A: the My Number)", "照合番号A(個人番号)",
               max_tries_verified=False),
        Secret("number-b", DIGITS_14,
               (KeyRef("text", mn.TEXT_AID, mn.TextEF.KEY_B, UNVERIFIED_CODE_MAX_TRIES),
                KeyRef("visual", mn.VISUAL_AID, mn.VisualEF.KEY_B, UNVERIFIED_CODE_MAX_TRIES)),
               "collation number B (照合番号B)", "照合番号B", max_tries_verified=False),
        Secret("birth", DIGITS_6,
               (KeyRef("visual", mn.VISUAL_AID, mn.VisualEF.BIRTH_KEY, UNVERIFIED_CODE_MAX_TRIES),),
               "birth-date key (生年月日)", "生年月日照合", max_tries_verified=False),
    )
}

#: (AID, key EF) -> (secret, key), for the guard, the virtual cards and the checker.
KEYS: dict[tuple[bytes, int], tuple[Secret, KeyRef]] = {
    (key.aid, key.key_ef): (secret, key) for secret in SECRETS.values() for key in secret.keys
}


#: How many failed VERIFYs of one key in a row one trace (one session) may hold. The guard
#: never retries on its own, so a failure is followed by a fresh entry from the user; letting
#: the user retype once is normal, a third wrong value in a row looks like guessing or a
#: retry loop. Used by the trace checker (rule ``repeated-failures``).
CONSECUTIVE_FAILURES_ALLOWED = 2


#: The tries left at which one more wrong entry blocks a key. With this count the guard
#: refuses to send a VERIFY unless forced, and the trace checker reports one that was sent
#: (rule ``last-try``).
LAST_TRY = 1


def key_for(aid: bytes, key_ef: int) -> tuple[Secret, KeyRef] | None:
    """The policy's secret and key for a key EF in an application, or None if unknown."""
    return KEYS.get((aid, key_ef))


def secret(name: str) -> Secret:
    try:
        return SECRETS[name]
    except KeyError:
        raise UnknownSecret(name=name, known=", ".join(SECRETS)) from None


class UnknownSecret(CardtoolError):
    en = "Unknown PIN name '{name}'. Known: {known}."
    ja = "暗証番号の名前 '{name}' は不明です。指定できるもの: {known}。"
    exit_code = EXIT_USAGE


