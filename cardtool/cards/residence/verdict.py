"""A residence card's signature check as named authenticity checks, turned into the one
verdict (``cardtool.authenticity.verdict``; residence cards have no chip challenge, so
``data-genuine`` at best).

Checks, in order:
  signer-certificate    the card's signer certificate (DF3 DB/DD) parses
  signature             the signed data read from the card verifies with its key
  certificate-chain     a trust anchor issued that certificate (skipped without one)
  card-number-matches   second generation / 特定: the number stored in DF1/EF01 equals the
                        one that opened the card
"""

from __future__ import annotations

from cardtool.authenticity import (
    Anchor,
    Authenticity,
    AuthenticityCheck,
    Status,
    failed,
    passed,
    skipped,
    verdict,
)
from cardtool.cards.residence.signature import (
    STEP_CERTIFICATE,
    STEP_CHAIN,
    STEP_SIGNATURE,
    SignatureCheck,
    SignatureStatus,
)

CARD_NUMBER_MATCHES = "card-number-matches"

ADVICE_INSTALL_EN = ("Install the official ISA CA certificate for this card generation: "
                     "download it from the ISA website and run 'cardtool trust add FILE' "
                     "('cardtool trust list' shows what is missing).")
ADVICE_INSTALL_JA = ("このカードの世代の ISA 公式 CA 証明書をインストールしてください: ISA の"
                     "ウェブサイトからダウンロードし 'cardtool trust add FILE' を実行します"
                     "('cardtool trust list' で不足分を確認できます)。")


def _checks(sig: SignatureCheck) -> list[AuthenticityCheck]:
    reason_en, reason_ja = sig.reason_en, sig.reason_ja
    if sig.status is SignatureStatus.INVALID and sig.failed_step == STEP_CERTIFICATE:
        return [failed(STEP_CERTIFICATE, reason_en, reason_ja),
                skipped(STEP_SIGNATURE, "not checked: the signer certificate is unreadable",
                        "未検証: 署名者証明書を読み取れません"),
                skipped(STEP_CHAIN, "not checked: the signer certificate is unreadable",
                        "未検証: 署名者証明書を読み取れません")]
    cert = passed(STEP_CERTIFICATE, f"the card's signer certificate: {sig.signer}",
                  f"カードの署名者証明書: {sig.signer}")
    if sig.status is SignatureStatus.INVALID and sig.failed_step != STEP_CHAIN:
        return [cert, failed(STEP_SIGNATURE, reason_en, reason_ja),
                skipped(STEP_CHAIN, "not checked: the data does not match the certificate",
                        "未検証: データが証明書と一致しません")]
    signature = passed(STEP_SIGNATURE, "the data read from the card is signed by the card's "
                       "certificate", "カードから読んだデータはカードの証明書で署名されています")
    if sig.status is SignatureStatus.INVALID:
        return [cert, signature, failed(STEP_CHAIN, reason_en, reason_ja)]
    if sig.status is SignatureStatus.NO_ANCHOR:
        return [cert, signature, skipped(STEP_CHAIN, reason_en, reason_ja)]
    return [cert, signature, passed(STEP_CHAIN, reason_en, reason_ja)]


def residence_authenticity(sig: SignatureCheck, anchor: Anchor | None,
                           card_number_matches: bool | None) -> Authenticity:
    """``anchor``: what the chain ended in (None unless ``sig`` is VALID)."""
    checks = _checks(sig)
    if card_number_matches is True:
        checks.append(passed(CARD_NUMBER_MATCHES,
                             "the card number stored in the chip equals the one entered",
                             "チップ内の在留カード番号は入力した番号と一致します"))
    elif card_number_matches is False:
        checks.append(failed(CARD_NUMBER_MATCHES,
                             "the card number stored in the chip differs from the one that "
                             "opened the card", "チップ内の在留カード番号が、カードを開いた番号と"
                             "異なります"))
    if sig.status is not SignatureStatus.VALID:
        anchor = None
    result = verdict(checks, anchor, chip_challenge=None)
    if result.status is Status.UNANCHORED:
        return verdict(checks, anchor, chip_challenge=None, advice_en=ADVICE_INSTALL_EN,
                       advice_ja=ADVICE_INSTALL_JA)
    return result
