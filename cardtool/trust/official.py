"""The official ISA CAs that sign residence-card chip data, recognised by SHA-256
fingerprint. The only reader of ``cardtool/data/isa-ca-fingerprints.json`` (package data;
provenance in the file and in ``cardtool/data/README.md``).

Tests inject a different list in one place: point ``OFFICIAL_LIST`` at a copy (e.g. with a
TEST CA's fingerprint added). Nothing else decides what is official.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from cardtool.authenticity import Anchor, AnchorProfile
from cardtool.i18n import Messages, pick
from cardtool.material import package_data_text

#: The official list. Tests replace it (monkeypatch) with the path of a test copy.
OFFICIAL_LIST: Path | None = None  # None: the bundled package data

PROFILE_PRODUCTION = "production"
PROFILE_OFFICIAL_TEST = "official-test"

GENERATION_NAMES = {
    "first": ("first generation (ZairyuCard CA)", "第1世代(ZairyuCard CA)"),
    "second": ("second generation and 特定在留カード (ZairyuCard CA2)",
               "第2世代・特定在留カード(ZairyuCard CA2)"),
}

_MESSAGES = Messages({
    "describe": ("{id}: {kind}, {generation}, valid {valid}, {archive}",
                 "{id}: {kind}、{generation}、有効期間 {valid}、{archive}"),
    "test_ca": ("ISA's official TEST CA (for ISA's test cards only, never a genuine verdict)",
                "ISA の公式テスト用 CA(テストカード専用、真正の判定には使いません)"),
    "official_ca": ("official ISA CA", "ISA の公式 CA"),
})


@dataclass(frozen=True)
class OfficialCA:
    id: str
    generation: str  # "first" | "second" (second: also 特定在留カード)
    profile: str  # "production" | "official-test"
    subject: str
    serial: str
    not_before: dt.datetime
    not_after: dt.datetime
    archive: str  # the ISA download it comes in
    sha256: str  # upper-case hex

    @property
    def is_test(self) -> bool:
        return self.profile != PROFILE_PRODUCTION

    def anchor(self) -> Anchor:
        profile = AnchorProfile.PRODUCTION if not self.is_test else AnchorProfile.TEST
        kind = "official TEST CA of ISA" if self.is_test else "official ISA CA"
        return Anchor(self.id, profile,
                      f"{kind}: {self.subject}, serial {self.serial}, "
                      f"{self.not_before.date()}..{self.not_after.date()}")

    def describe(self, lang: str) -> str:
        generation = GENERATION_NAMES.get(self.generation, (self.generation, self.generation))
        return _MESSAGES(
            "describe", lang, id=self.id, archive=self.archive,
            kind=_MESSAGES("test_ca" if self.is_test else "official_ca", lang),
            generation=pick(generation, lang),
            valid=f"{self.not_before.date()} – {self.not_after.date()}")

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "generation": self.generation, "profile": self.profile,
                "subject": self.subject, "serial": self.serial,
                "not_before": self.not_before.isoformat(),
                "not_after": self.not_after.isoformat(), "archive": self.archive,
                "sha256": self.sha256}


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@lru_cache(maxsize=4)
def _load(path: Path | None) -> tuple[OfficialCA, ...]:
    if path is None:
        raw = package_data_text("isa-ca-fingerprints.json")
    else:
        raw = path.read_text(encoding="utf-8")
    doc = json.loads(raw)
    return tuple(
        OfficialCA(a["id"], a["generation"], a["profile"], a["subject"], a["serial"],
                   _time(a["not_before"]), _time(a["not_after"]),
                   a.get("official_archive", ""), a["sha256"].replace(":", "").upper())
        for a in doc["anchors"])


def official_cas() -> tuple[OfficialCA, ...]:
    return _load(OFFICIAL_LIST)


def fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 over the certificate's DER encoding, upper-case hex."""
    digest = hashes.Hash(hashes.SHA256())
    digest.update(certificate.public_bytes(Encoding.DER))
    return digest.finalize().hex().upper()


def official_ca(certificate: x509.Certificate) -> OfficialCA | None:
    """The official CA this certificate is, by fingerprint; None for any other."""
    print_ = fingerprint(certificate)
    return next((ca for ca in official_cas() if ca.sha256 == print_), None)


__all__ = ["OFFICIAL_LIST", "OfficialCA", "fingerprint", "official_ca", "official_cas"]
