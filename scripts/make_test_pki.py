#!/usr/bin/env python3
"""Generate the TEST JPKI-like PKI committed under cardtool/virtual/pki/ (run once; tests never
generate RSA keys). Everything here is for testing only and says TEST in its names.

  cardtool/virtual/pki/jpki-test-auth-ca.key.pem / .pem   TEST CA for user-authentication certificates
  cardtool/virtual/pki/jpki-test-sign-ca.key.pem / .pem   TEST CA for signing certificates
  cardtool/virtual/pki/card-keys/test-card-key-NN.pem     a pool of RSA-2048 card keys

Card certificates are made by the virtual card at load time from these keys (their dates
follow the persona's relative dates), see cardtool/virtual/jpki_pki.py.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[1] / "cardtool" / "virtual" / "pki"
POOL_SIZE = 16


def write_key(path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true", help="replace existing keys")
    args = parser.parse_args()
    (ROOT / "card-keys").mkdir(parents=True, exist_ok=True)
    targets = [ROOT / "jpki-test-auth-ca.key.pem", ROOT / "jpki-test-sign-ca.key.pem"]
    targets += [ROOT / "card-keys" / f"test-card-key-{i:02d}.pem" for i in range(POOL_SIZE)]
    for path in targets:
        if path.exists() and not args.force:
            continue
        write_key(path)
        print("wrote", path.relative_to(ROOT.parents[1]))
    # The CA certificates are deterministic given the keys; write them for trust anchors.
    import sys

    sys.path.insert(0, str(ROOT.parents[1]))
    from cardtool.virtual.jpki_pki import ca_certificate

    for which in ("auth", "sign"):
        pem = ca_certificate(which).public_bytes(serialization.Encoding.PEM)
        (ROOT / f"jpki-test-{which}-ca.pem").write_bytes(pem)
        print("wrote", f"cardtool/virtual/pki/jpki-test-{which}-ca.pem")


if __name__ == "__main__":
    main()
