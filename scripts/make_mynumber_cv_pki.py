#!/usr/bin/env python3
"""Generate the TEST card-verifiable (CV) key hierarchy of the virtual My Number card into
cardtool/virtual/pki/ (run once; the output is committed so tests never generate keys).

A TEST imitation of the J-LIS scheme of spec §2.5, with no relation to any real key:

  mynumber-cv-text-ca-TEST.key.pem        TEST CA of the text AP (券面入力補助AP), 6990033/001
  mynumber-cv-visual-ca-TEST.key.pem      TEST CA of the visual AP (券面事項確認AP), 6990023/001
  mynumber-cv-text-municipality-TEST.key.pem
                                          TEST municipality key certified by the text CA in
                                          the text AP's EF 0004 (1399931/000); signs EF 0003/0007
  mynumber-cv-visual-municipality-TEST.key.pem
                                          TEST municipality key certified by the visual CA in
                                          the visual AP's EF 0004 (1399921/000); signs EF
                                          0001/0002/0005
  mynumber-cv-TEST.json                   the public parts: every key id and modulus, in the
                                          shape of shared/data/jlis-cv-ca-keys.json. THE place
                                          to find the TEST CA keys (trust: test-anchor only)

The ids start with '6' like the JPKI test-card hierarchy but are never the real test keys'
6000020/6000023/6000033. The per-card key comes from the existing TEST pool
(cardtool/virtual/pki/card-keys, scripts/make_test_pki.py).

Usage: .venv/bin/python scripts/make_mynumber_cv_pki.py [--force]
  without --force existing keys are kept and only the JSON is rewritten from them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cardtool.cards.mynumber.records import key_id  # noqa: E402

OUT = ROOT / "cardtool" / "virtual" / "pki"
MUNICIPALITY_CODE = "13999"  # synthetic; the virtual card's MUNICIPALITY_CODE

# (file stem, role, application, key number, group, issuer (file stem) or None)
KEYS = [
    ("mynumber-cv-text-ca-TEST", "ca", "text", "6990033", "001", None),
    ("mynumber-cv-visual-ca-TEST", "ca", "visual", "6990023", "001", None),
    ("mynumber-cv-text-municipality-TEST", "municipality", "text", MUNICIPALITY_CODE + "31",
     "000", "mynumber-cv-text-ca-TEST"),
    ("mynumber-cv-visual-municipality-TEST", "municipality", "visual", MUNICIPALITY_CODE + "21",
     "000", "mynumber-cv-visual-ca-TEST"),
]
APPLICATION = {"text": "券面入力補助AP (text AP) CV certificates",
               "visual": "券面事項確認AP (visual AP) CV certificates"}


def load_or_make(path: Path, force: bool) -> rsa.RSAPrivateKey:
    if path.exists() and not force:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    print("wrote", path.relative_to(ROOT))
    return key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--force", action="store_true", help="replace existing keys")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    ids = {stem: key_id(number, group) for stem, _r, _a, number, group, _i in KEYS}
    entries = []
    for stem, role, application, number, group, issuer in KEYS:
        key = load_or_make(OUT / f"{stem}.key.pem", args.force)
        numbers = key.public_key().public_numbers()
        entry: dict[str, object] = {
            "key_id_hex": ids[stem].hex().upper(),
            "name": f"{number}/{group}",
            "hierarchy": "cardtool-test",
            "role": role,
            "application": APPLICATION[application],
            "ap": application,
        }
        if issuer is not None:
            entry["issuer_key_id_hex"] = ids[issuer].hex().upper()
        entry.update({"modulus_hex": f"{numbers.n:0512X}", "exponent": numbers.e,
                      "private_key_file": f"{stem}.key.pem"})
        entries.append(entry)
    document = {
        "what": "TEST card-verifiable key hierarchy of cardtool's virtual My Number card: one "
                "CA key per 券面 application and the municipality keys they certify in EF 0004. "
                "TEST ONLY: the private keys are committed next to this file and worthless.",
        "key_id_format": "as real cards (spec §2.5): 7 ASCII digits, 08 05, 3 ASCII digits, "
                         "3 zero bytes, 1 byte; see cardtool/cards/mynumber/records.py",
        "trust": "test-anchor: a verdict resting on these keys must never be reported as a "
                 "genuine card",
        "generated_by": "scripts/make_mynumber_cv_pki.py",
        "municipality_code": MUNICIPALITY_CODE,
        "keys": entries,
    }
    path = OUT / "mynumber-cv-TEST.json"
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print("wrote", path.relative_to(ROOT))


if __name__ == "__main__":
    main()
