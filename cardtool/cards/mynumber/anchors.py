"""The keys that sign My Number cards' CV certificates (J-LIS CAs), read in one place.

A CV certificate names its signer by a 16-byte issuer key id and does not carry the key:
the verifier must hold it. The production keys (ids starting with '5') and J-LIS's own test
hierarchy ('6000020/23/33') come bundled as package data, ``cardtool/data/jlis-cv-ca-keys.json``,
a copy of ``shared/data/jlis-cv-ca-keys.json`` with its provenance (recovered from real cards
by two independent public projects; the test keys from one). cardtool's own TEST hierarchy
(``cardtool/virtual/pki/mynumber-cv-TEST.json``) is loaded only when the caller passes its file.

Test keys of either hierarchy count only when the caller allows them (a virtual card, or
the user's explicit option), and then give ``test-anchor``: never a genuine card.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apdu.errors import MalformedData
from cardtool.authenticity import Anchor, AnchorProfile
from cardtool.cards.mynumber import records
from cardtool.material import package_data_text

if TYPE_CHECKING:
    # cryptography is imported where it is used: a read starts importing it on a second
    # thread while the card talks (cardtool.import_ahead) and waits for it before the first use.
    from cryptography.hazmat.primitives.asymmetric import rsa

BUNDLED_KEYS = "jlis-cv-ca-keys.json"
#: The one injection point for tests (the production keys' private halves are J-LIS's, so
#: only a copy of the list that names a TEST key "production" can show the genuine path):
#: None means the bundled package data.
KEYS_FILE: Path | None = None
_PROFILES = {"production": AnchorProfile.PRODUCTION, "test": AnchorProfile.TEST,
             "cardtool-test": AnchorProfile.TEST}


@dataclass(frozen=True)
class CaKey:
    key_id: bytes
    public_key: rsa.RSAPublicKey
    anchor: Anchor


def _keys_from(document: Any, source: str) -> list[CaKey]:
    from cryptography.hazmat.primitives.asymmetric import rsa

    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise MalformedData(source, 0, "no 'keys' list")
    out = []
    for entry in document["keys"]:
        if entry.get("role", "ca") != "ca":
            continue  # municipality keys are certified on the card, never anchors
        key_id = bytes.fromhex(entry["key_id_hex"])
        profile = _PROFILES[entry["hierarchy"]]
        public = rsa.RSAPublicNumbers(int(entry["exponent"]),
                                      int(entry["modulus_hex"], 16)).public_key()
        ours = entry["hierarchy"] == "cardtool-test"
        label = records.key_id_text(key_id)
        anchor = Anchor(f"{'cardtool-test' if ours else 'jlis'}-{label.replace('/', '-')}",
                        profile, f"{'cardtool TEST' if ours else 'J-LIS'} CA {label}"
                                 f"{' (test hierarchy)' if entry['hierarchy'] == 'test' else ''}")
        out.append(CaKey(key_id, public, anchor))
    return out


def bundled_keys() -> tuple[CaKey, ...]:
    if KEYS_FILE is not None:
        return _file_keys(KEYS_FILE)
    return _package_keys()


@cache
def _package_keys() -> tuple[CaKey, ...]:
    text = package_data_text(BUNDLED_KEYS)
    return tuple(_keys_from(json.loads(text), BUNDLED_KEYS))


@cache
def _file_keys(path: Path) -> tuple[CaKey, ...]:
    return tuple(_keys_from(json.loads(path.read_text(encoding="utf-8")), str(path)))


@dataclass(frozen=True)
class CvKeyStore:
    """The CA keys a verdict may rest on. ``allow_test``: test hierarchies count (and give
    test-anchor); otherwise a certificate from one is treated as from an unknown CA."""

    allow_test: bool = False
    extra_file: Path | None = None  # e.g. cardtool's own TEST hierarchy

    def keys(self) -> tuple[CaKey, ...]:
        keys = bundled_keys()
        if self.extra_file is not None:
            keys = keys + _file_keys(self.extra_file)
        return keys

    def find(self, issuer_key_id: bytes) -> CaKey | None:
        for key in self.keys():
            if key.key_id == issuer_key_id:
                if key.anchor.profile is AnchorProfile.TEST and not self.allow_test:
                    return None
                return key
        return None
