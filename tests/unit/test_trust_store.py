"""The trust store: official CAs accepted by fingerprint only, everything else refused
unless --unofficial (and then never genuine), bad files one line and exit 6, the listing
per generation. Never the real user configuration: CARDTOOL_CONFIG_DIR is a tmp dir."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

import cardtool.trust.official as official
from cardtool.authenticity import AnchorProfile
from cardtool.errors import BadInputFile
from cardtool.trust import store
from cardtool.trust.store import NotOfficialCA
from tests.support.cli import cardtool, one_line_error
from tests.support.trust import CA1, CA2, ca_fingerprint, official_list_with


@pytest.fixture(autouse=True)
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CARDTOOL_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "config"


@pytest.fixture
def injected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The official list with our TEST CA2 as a production CA and TEST CA1 as ISA's
    official test CA."""
    path = official_list_with(tmp_path / "official.json", production=(CA2,),
                              official_test=(CA1,))
    monkeypatch.setattr(official, "OFFICIAL_LIST", path)
    return path


def test_bundled_list_is_the_shared_data_with_its_provenance() -> None:
    cas = official.official_cas()
    assert {c.id for c in cas} == {"isa-rc1-ca-2015", "isa-rc1-ca-2018", "isa-rc1-ca-2021",
                                   "isa-rc1-ca-2024", "isa-rc2-ca2-2026",
                                   "isa-rc2-ca2-test-2026"}
    by_id = {c.id: c for c in cas}
    assert by_id["isa-rc2-ca2-2026"].sha256.startswith("11E6AD8B")
    assert by_id["isa-rc2-ca2-test-2026"].is_test
    assert by_id["isa-rc2-ca2-test-2026"].anchor().profile is AnchorProfile.TEST
    assert by_id["isa-rc1-ca-2024"].anchor().profile is AnchorProfile.PRODUCTION
    shared = Path(__file__).resolve().parents[3] / "shared" / "data" / "isa-ca-fingerprints.json"
    bundled = Path(official.__file__).parents[1] / "data" / "isa-ca-fingerprints.json"
    assert "provenance" in json.loads(bundled.read_text(encoding="utf-8"))
    if shared.is_file():
        assert json.loads(shared.read_text()) == json.loads(bundled.read_text())


def test_our_test_ca_is_refused_by_the_real_list(config: Path) -> None:
    with pytest.raises(NotOfficialCA) as caught:
        store.add([str(CA2)])
    assert ca_fingerprint(CA2) in caught.value.render("en")
    assert not (config / "trust-anchors").exists() or not any((config / "trust-anchors").iterdir())
    assert store.installed_anchors() == []


def test_fingerprint_match_installs_and_says_which(injected: Path, config: Path) -> None:
    added = store.add([str(CA2)])
    assert len(added) == 1 and not added[0].already
    a = added[0].anchor
    assert a.official is not None and a.official.id == "injected-production-second"
    assert a.anchor.profile is AnchorProfile.PRODUCTION
    assert "second generation" in a.official.describe("en")
    assert (config / "trust-anchors" / f"{ca_fingerprint(CA2)}.der").is_file()
    again = store.add([str(CA2)])
    assert again[0].already
    [loaded] = store.installed_anchors()
    assert loaded.anchor.profile is AnchorProfile.PRODUCTION


def test_official_test_ca_is_a_test_anchor(injected: Path) -> None:
    [added] = store.add([str(CA1)])
    assert added.anchor.official is not None and added.anchor.official.is_test
    assert added.anchor.anchor.profile is AnchorProfile.TEST


def test_profile_is_decided_at_load_time_by_fingerprint(injected: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    store.add([str(CA2)])
    # The same file, once the list no longer has it, is only an unofficial anchor.
    monkeypatch.setattr(official, "OFFICIAL_LIST", None)
    [loaded] = store.installed_anchors()
    assert loaded.official is None and loaded.anchor.profile is AnchorProfile.UNOFFICIAL


def test_unofficial_installs_but_never_counts_as_official() -> None:
    [added] = store.add([str(CA2)], unofficial=True)
    assert added.anchor.official is None
    assert added.anchor.anchor.profile is AnchorProfile.UNOFFICIAL
    [loaded] = store.installed_anchors()
    assert loaded.anchor.profile is AnchorProfile.UNOFFICIAL


def test_option_anchor_that_is_not_official_is_a_test_anchor() -> None:
    [given] = store.load_option_anchors([str(CA2)])
    assert given.anchor.profile is AnchorProfile.TEST


def test_der_and_zip_archives_are_accepted(tmp_path: Path, injected: Path) -> None:
    cert = x509.load_pem_x509_certificate(CA2.read_bytes())
    der = tmp_path / "ca2.cer"
    der.write_bytes(cert.public_bytes(Encoding.DER))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("readme.txt", "ZairyuCard CA2")
        z.writestr("ca/ZairyuCardCA2.cer", cert.public_bytes(Encoding.DER))
    archive = tmp_path / "001462221.zip"
    archive.write_bytes(buffer.getvalue())
    assert [a.sha256 for a in (x.anchor for x in store.add([str(der)]))] == [ca_fingerprint(CA2)]
    assert store.add([str(archive)])[0].already


def test_one_bad_file_installs_nothing(tmp_path: Path, injected: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    with pytest.raises(BadInputFile):
        store.add([str(CA2), str(bad)])
    assert store.installed_anchors() == []


def test_listing_shows_installed_and_missing_per_generation(injected: Path) -> None:
    store.add([str(CA2)])
    store.add([str(CA1)], unofficial=True)  # official-test in this list: still official
    doc = store.listing().to_json()
    second = doc["generations"]["second"]
    assert second["installed"] == ["injected-production-second"]
    assert second["production_anchor_installed"] is True
    assert "isa-rc2-ca2-2026" in second["missing"]
    first = doc["generations"]["first"]
    assert first["installed"] == ["injected-official-test-first"]
    assert first["production_anchor_installed"] is False
    assert set(first["missing"]) == {"isa-rc1-ca-2015", "isa-rc1-ca-2018", "isa-rc1-ca-2021",
                                     "isa-rc1-ca-2024"}


def _zip_without_certificate(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "nothing here")
    return path


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "the file is empty"),
    (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "not a certificate"),
    (b"\x30\x82\x01\x00garbage", "not a certificate"),
    (None, "holds no certificate"),
    (b"PK\x03\x04broken", "not a readable zip archive"),
])
def test_bad_input_is_one_line_exit_6(tmp_path: Path, content: bytes | None,
                                      reason: str) -> None:
    path = tmp_path / "file.zip"
    if content is None:
        _zip_without_certificate(path)
    else:
        path.write_bytes(content)
    out = cardtool("trust", "add", str(path), env={"CARDTOOL_CONFIG_DIR": str(tmp_path / "c")})
    assert out.returncode == 6
    assert reason in one_line_error(out)
    assert not (tmp_path / "c" / "trust-anchors").exists()


def test_cli_refuses_then_installs_unofficial_then_lists(tmp_path: Path) -> None:
    env = {"CARDTOOL_CONFIG_DIR": str(tmp_path / "c")}
    out = cardtool("trust", "add", str(CA2), env=env)
    assert out.returncode == 6 and "--unofficial" in one_line_error(out)
    out = cardtool("trust", "add", "--unofficial", str(CA2), env=env)
    assert out.returncode == 0 and "unofficial" in out.stdout
    listed = cardtool("trust", "list", "--json", env=env)
    doc = json.loads(listed.stdout)
    assert [a["profile"] for a in doc["installed"]] == ["unofficial"]
    assert doc["generations"]["second"]["production_anchor_installed"] is False
    text = cardtool("--lang", "ja", "trust", "list", env=env)
    assert "未インストール" in text.stdout and "cardtool trust add" in text.stdout
