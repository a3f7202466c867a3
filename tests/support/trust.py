"""The official ISA CA list, made to include our TEST CAs: the real official certificates
are not available here, so tests inject a copy of the list (``cardtool.trust.official``'s
one injection point) that adds the fingerprints of cardtool/virtual/pki's TEST CAs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cryptography import x509

from cardtool.trust.official import fingerprint
from tests.support.cli import ROOT

PKI = ROOT / "cardtool" / "virtual" / "pki"
CA1 = PKI / "residence1-ca-TEST.crt.pem"
CA2 = PKI / "residence2-ca-TEST.crt.pem"


def ca_fingerprint(path: Path) -> str:
    return fingerprint(x509.load_pem_x509_certificate(path.read_bytes()))


def official_list_with(target: Path, *, production: tuple[Path, ...] = (),
                       official_test: tuple[Path, ...] = ()) -> Path:
    """A copy of the bundled list with the given TEST CAs added as official ones."""
    bundled = ROOT / "cardtool" / "data" / "isa-ca-fingerprints.json"
    doc = json.loads(bundled.read_text(encoding="utf-8"))
    for profile, paths in (("production", production), ("official-test", official_test)):
        for path in paths:
            cert = x509.load_pem_x509_certificate(path.read_bytes())
            generation = "first" if path == CA1 else "second"
            doc["anchors"].append({
                "id": f"injected-{profile}-{generation}", "generation": generation,
                "profile": profile, "subject": cert.subject.rfc4514_string(),
                "serial": format(cert.serial_number, "X"),
                "not_before": cert.not_valid_before_utc.isoformat(),
                "not_after": cert.not_valid_after_utc.isoformat(),
                "official_archive": "test-injected.zip", "sha256": fingerprint(cert)})
    target.write_text(json.dumps(doc), encoding="utf-8")
    return target


def jlis_keys_with_ours_as_production(target: Path) -> Path:
    """A copy of the bundled J-LIS key list that also names our TEST CV CAs "production",
    so the genuine verdict can be reached (never shipped: tests only)."""
    bundled = json.loads((ROOT / "cardtool" / "data" / "jlis-cv-ca-keys.json").read_text(
        encoding="utf-8"))
    ours = json.loads((PKI / "mynumber-cv-TEST.json").read_text(encoding="utf-8"))
    for key in ours["keys"]:
        if key["role"] == "ca":
            bundled["keys"].append({**key, "hierarchy": "production"})
    target.write_text(json.dumps(bundled), encoding="utf-8")
    return target


#: Runs the CLI in a fresh interpreter with OFFICIAL_LIST pointed at argv[1].
_INJECT = """\
import sys
from pathlib import Path
import cardtool.trust.official as official
official.OFFICIAL_LIST = Path(sys.argv.pop(1))
jlis = sys.argv.pop(1)
if jlis:
    import cardtool.cards.mynumber.anchors as anchors
    anchors.KEYS_FILE = Path(jlis)
from cardtool.cli import main
main(sys.argv[1:])
"""


def cardtool_with_list(official_list: Path, *args: str, stdin: str | None = None,
                       env: dict[str, str] | None = None, timeout: float = 60,
                       jlis_keys: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Like tests.support.cli.cardtool, with the injected official list."""
    full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
                "PYTHONPATH": str(ROOT)}
    for key in ("PCSCLITE_CSOCK_NAME", "CARDTOOL_CONFIG_DIR"):
        if key in os.environ:
            full_env[key] = os.environ[key]
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-c", _INJECT, str(official_list),
                           str(jlis_keys or ""), *args],
                          input=stdin, capture_output=True, text=True, timeout=timeout,
                          env=full_env, cwd=ROOT)
