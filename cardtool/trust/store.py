"""The user's trust store: ISA CA certificates installed with ``cardtool trust add``, kept
in the user's configuration directory (``CARDTOOL_CONFIG_DIR``, else platformdirs'
user config dir for "cardtool"), one DER file per certificate named by its SHA-256.

What an anchor counts as is decided each time it is loaded, by fingerprint against the
official list (``cardtool.trust.official``), never by where a file sits:

  official production CA          -> AnchorProfile.PRODUCTION  (genuine / data-genuine)
  ISA's official test CA2         -> AnchorProfile.TEST        (test-anchor)
  any other installed CA          -> AnchorProfile.UNOFFICIAL  (unanchored, never genuine)
  any other CA given on the       -> AnchorProfile.TEST        (test-anchor: the user vouches
  command line (--trust-anchor)                                  for it for this run only)
  cardtool's own TEST CAs, used   -> AnchorProfile.TEST        (test-anchor)
  for virtual cards
"""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from cardtool.authenticity import Anchor, AnchorProfile
from cardtool.errors import EXIT_BAD_INPUT, BadInputFile, CardtoolError
from cardtool.material import test_pki_dir
from cardtool.trust.official import OfficialCA, fingerprint, official_ca, official_cas

ENV_CONFIG_DIR = "CARDTOOL_CONFIG_DIR"
STORE_DIR = "trust-anchors"
#: Bounds on what a certificate file or an ISA zip may make us read.
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_ZIP_MEMBERS = 64
MAX_MEMBER_BYTES = 1024 * 1024

SOURCE_INSTALLED = "installed"
SOURCE_OPTION = "option"
SOURCE_VIRTUAL = "virtual-test"

#: cardtool's own TEST CAs for the virtual residence cards (cardtool/virtual/pki).
VIRTUAL_TEST_CAS = ("residence1-ca-TEST.crt.pem", "residence2-ca-TEST.crt.pem")


class NotOfficialCA(CardtoolError):
    en = ("{path} is not one of the official ISA CAs (SHA-256 {sha256}, {subject}); nothing "
          "was installed. If you trust it anyway, add --unofficial: it will never give a "
          "genuine verdict.")
    ja = ("{path} は ISA の公式 CA ではありません(SHA-256 {sha256}、{subject})。何もインストール"
          "していません。それでも信頼する場合は --unofficial を付けてください(真正の判定には"
          "なりません)。")
    exit_code = EXIT_BAD_INPUT


@dataclass(frozen=True)
class TrustAnchor:
    certificate: x509.Certificate
    anchor: Anchor
    official: OfficialCA | None
    source: str  # SOURCE_*
    path: str = ""

    @property
    def sha256(self) -> str:
        return fingerprint(self.certificate)

    def to_json(self) -> dict[str, Any]:
        c = self.certificate
        return {"id": self.anchor.id, "profile": self.anchor.profile.value,
                "official": self.official.to_json() if self.official else None,
                "subject": c.subject.rfc4514_string(), "serial": format(c.serial_number, "X"),
                "not_before": c.not_valid_before_utc.isoformat(),
                "not_after": c.not_valid_after_utc.isoformat(),
                "sha256": self.sha256, "file": self.path}


def config_dir() -> Path:
    env = os.environ.get(ENV_CONFIG_DIR)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir("cardtool", appauthor=False))


def store_dir() -> Path:
    return config_dir() / STORE_DIR


def classify(certificate: x509.Certificate, source: str, path: str = "") -> TrustAnchor:
    ca = official_ca(certificate)
    if ca is not None:
        return TrustAnchor(certificate, ca.anchor(), ca, source, path)
    subject = certificate.subject.rfc4514_string()
    short = fingerprint(certificate)[:16].lower()
    if source == SOURCE_INSTALLED:
        anchor = Anchor(f"unofficial-{short}", AnchorProfile.UNOFFICIAL,
                        f"installed with --unofficial (not an official ISA CA): {subject}")
    elif source == SOURCE_VIRTUAL:
        anchor = Anchor(f"cardtool-test-{short}", AnchorProfile.TEST,
                        f"cardtool's own TEST CA for virtual cards: {subject}")
    else:
        anchor = Anchor(f"given-{short}", AnchorProfile.TEST,
                        f"given with --trust-anchor (not an official ISA CA): {subject}")
    return TrustAnchor(certificate, anchor, None, source, path)


def _parse_one(data: bytes) -> list[x509.Certificate]:
    """The certificates in one blob: PEM (one or more) or DER (BER/padding tolerated)."""
    if b"-----BEGIN CERTIFICATE-----" in data:
        try:
            return list(x509.load_pem_x509_certificates(data))
        except ValueError:
            return []
    from cardtool.cards.residence.certificate import (
        MalformedCardCertificate,
        load_certificate_bytes,
    )

    try:
        return [load_certificate_bytes(data).certificate]
    except MalformedCardCertificate:
        return []


def _from_zip(path: Path, data: bytes) -> list[x509.Certificate]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_ZIP_MEMBERS:
            raise BadInputFile(path=str(path),
                               detail=f"the zip archive has more than {MAX_ZIP_MEMBERS} files")
        found: list[x509.Certificate] = []
        for member in members:
            if member.file_size > MAX_MEMBER_BYTES:
                continue
            with archive.open(member) as f:
                blob = f.read(MAX_MEMBER_BYTES + 1)
            if len(blob) <= MAX_MEMBER_BYTES:
                found += _parse_one(blob)
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, EOFError,
            NotImplementedError, zlib.error):
        raise BadInputFile(path=str(path), detail="not a readable zip archive") from None
    if not found:
        raise BadInputFile(path=str(path), detail="the zip archive holds no certificate")
    return found


def certificates_in(path: str | Path) -> list[x509.Certificate]:
    """The CA certificates in a file the user downloaded: PEM, DER or an ISA zip archive
    holding one. Raises ``BadInputFile`` (exit 6) with one short reason otherwise."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise BadInputFile(path=str(p), detail=exc.strerror or "cannot be read") from None
    if not data.strip(b"\x00 \t\r\n"):
        raise BadInputFile(path=str(p), detail="the file is empty")
    if len(data) > MAX_FILE_BYTES:
        raise BadInputFile(path=str(p), detail="too large for a certificate")
    if data[:4] == b"PK\x03\x04":
        return _from_zip(p, data)
    found = _parse_one(data)
    if not found:
        raise BadInputFile(path=str(p),
                           detail="not a certificate (PEM or DER) nor a zip archive holding one")
    return found


def load_option_anchors(paths: tuple[str, ...] | list[str]) -> list[TrustAnchor]:
    """``--trust-anchor FILE`` anchors: official ones count as what they are, any other as a
    test anchor for this run."""
    return [classify(cert, SOURCE_OPTION, str(p)) for p in paths for cert in certificates_in(p)]


def virtual_test_anchors() -> list[TrustAnchor]:
    """cardtool's own TEST CAs (cardtool/virtual/pki): only for virtual cards."""
    pki = test_pki_dir()
    return [classify(cert, SOURCE_VIRTUAL, str(pki / name)) for name in VIRTUAL_TEST_CAS
            if (pki / name).is_file() for cert in certificates_in(pki / name)]


def installed_anchors() -> list[TrustAnchor]:
    directory = store_dir()
    if not directory.is_dir():
        return []
    out = []
    for file in sorted(directory.glob("*.der")):
        out += [classify(cert, SOURCE_INSTALLED, str(file)) for cert in certificates_in(file)]
    return out


@dataclass(frozen=True)
class Added:
    anchor: TrustAnchor
    already: bool  # was installed before


def add(paths: list[str] | tuple[str, ...], *, unofficial: bool = False) -> list[Added]:
    """Install the CA certificates in ``paths``. Every file is checked before anything is
    written: one bad or non-official file (without ``unofficial``) installs nothing."""
    chosen: list[TrustAnchor] = []
    for path in paths:
        for cert in certificates_in(path):
            anchor = classify(cert, SOURCE_INSTALLED, str(path))
            if anchor.official is None and not unofficial:
                raise NotOfficialCA(path=str(path), sha256=anchor.sha256,
                                    subject=cert.subject.rfc4514_string())
            chosen.append(anchor)
    directory = store_dir()
    directory.mkdir(parents=True, exist_ok=True)
    done: list[Added] = []
    seen: set[str] = set()
    for anchor in chosen:
        if anchor.sha256 in seen:
            continue
        seen.add(anchor.sha256)
        target = directory / f"{anchor.sha256}.der"
        already = target.is_file()
        if not already:
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(anchor.certificate.public_bytes(Encoding.DER))
            os.replace(tmp, target)
        done.append(Added(classify(anchor.certificate, SOURCE_INSTALLED, str(target)),
                          already))
    return done


@dataclass(frozen=True)
class Listing:
    directory: Path
    installed: list[TrustAnchor]
    #: generation -> official CAs of it not installed
    missing: dict[str, list[OfficialCA]]

    def to_json(self) -> dict[str, Any]:
        generations: dict[str, Any] = {}
        for generation in ("first", "second"):
            have = [a.official.id for a in self.installed
                    if a.official and a.official.generation == generation]
            production = [a for a in have
                          if any(c.id == a and not c.is_test for c in official_cas())]
            generations[generation] = {
                "installed": have,
                "missing": [c.id for c in self.missing[generation]],
                "production_anchor_installed": bool(production),
            }
        return {"directory": str(self.directory),
                "installed": [a.to_json() for a in self.installed],
                "generations": generations}


def listing() -> Listing:
    installed = installed_anchors()
    have = {a.sha256 for a in installed}
    missing = {g: [c for c in official_cas() if c.generation == g and c.sha256 not in have]
               for g in ("first", "second")}
    return Listing(store_dir(), installed, missing)


__all__ = ["ENV_CONFIG_DIR", "Added", "Listing", "NotOfficialCA", "TrustAnchor", "add",
           "certificates_in", "classify", "config_dir", "installed_anchors", "listing",
           "load_option_anchors", "store_dir", "virtual_test_anchors"]
