"""`cardtool read` on residence cards, end to end in a subprocess (and click's runner for
the no-echo prompt): fields, exit codes, one-line errors, images, fixture-trace replay, and
no card number anywhere it should not be."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from apdu.trace import read_trace
from cardtool.cli import cli
from cardtool.jst import today_jst
from tests.support.cli import ROOT, cardtool, one_line_error

TRACES = ROOT / "fixtures" / "traces"
ANCHOR1 = "cardtool/virtual/pki/residence1-ca-TEST.crt.pem"
ANCHOR2 = "cardtool/virtual/pki/residence2-ca-TEST.crt.pem"
ANCHORS = ["--trust-anchor", ANCHOR1, "--trust-anchor", ANCHOR2]
NUMBERS = {"residence": "AB12345678CD", "residence2": "AB98765432CD",
           "specified": "TK12345678AP", "residence-sp": "SP20240001AA",
           "residence2-sp": "SP20260001BB"}


def read_json(*args: str, stdin: str | None = None, env: dict[str, str] | None = None
              ) -> dict[str, object]:
    out = cardtool("read", *args, "--json", stdin=stdin, env=env)
    assert out.returncode == 0, out.stderr
    data: dict[str, object] = json.loads(out.stdout)
    return data


def test_first_generation_json_and_text() -> None:
    out = read_json("--virtual", "residence", *ANCHORS, "--card-number-stdin",
                    stdin="ab12345678cd\n")
    assert out["kind"] == "residence-first"
    r = out["residence"]
    assert isinstance(r, dict)
    assert r["generation"] == "first" and r["card_type"] == "1"
    assert r["residence_expiry"] is None and r["card_expiry"] is None
    assert "front image" in r["note"]
    assert r["renewal_pending"] is False
    assert r["signature"]["status"] == "valid"
    assert r["card_number"] == "AB********CD"
    text = cardtool("read", "--virtual", "residence", "--card-number-stdin", stdin="AB12345678CD\n")
    assert text.returncode == 0, text.stderr
    # A virtual card is checked against cardtool's own TEST CA without any option: a TEST
    # key, never genuine.
    assert "only in the front image" in text.stdout and "TEST KEY ONLY" in text.stdout
    ja = cardtool("read", "--virtual", "residence", "--card-number-stdin", stdin="AB12345678CD\n",
                  lang="ja_JP.UTF-8")
    assert "券面画像にのみ記録" in ja.stdout and "在留期間満了日" in ja.stdout


def test_second_generation_days_left_from_the_environment_variable() -> None:
    out = read_json("--virtual", "residence2:residence2-soon", *ANCHORS,
                    env={"CARDTOOL_CARD_NUMBER": "SN55556666XX"})
    r = out["residence"]
    assert isinstance(r, dict)
    assert r["generation"] == "second" and r["residence_expiry_days_left"] == 20
    expiry = today_jst().toordinal() + 20
    assert r["residence_expiry"] == type(today_jst()).fromordinal(expiry).isoformat()
    assert r["signature"]["status"] == "valid" and r["card_number_matches"] is True
    assert r["fields"]["work_restriction_code"] == "2"


def test_ber_signer_certificate_verifies_end_to_end() -> None:
    """residence2-ber: a BER-encoded signer certificate whose CA signature covers the DER
    tbsCertificate (RFC 5280), read and chained to the TEST CA2 through the CLI."""
    out = read_json("--virtual", "residence2:residence2-ber", "--trust-anchor", ANCHOR2,
                    "--card-number-stdin", stdin="BE00000004ER\n")
    r = out["residence"]
    assert isinstance(r, dict)
    assert r["card_type"] == "05"
    assert r["signature"]["status"] == "valid", r["signature"]
    assert "TEST ZairyuCard CA2" in str(r["signature"]["anchor"])


def test_specified_card_reports_both_parts() -> None:
    out = read_json("--virtual", "specified", *ANCHORS, env={"CARDTOOL_CARD_NUMBER": NUMBERS[
        "specified"]})
    assert out["kind"] == "specified" and "pins" in out
    r = out["residence"]
    assert isinstance(r, dict)
    assert r["generation"] == "specified" and r["card_type"] == "07"
    assert r["signature"]["status"] == "valid"


@pytest.mark.parametrize("kind", ["residence", "residence2", "specified"])
def test_wrong_number_exit_4_one_line_without_the_number(kind: str) -> None:
    wrong = NUMBERS[kind][:-1] + "Z"
    out = cardtool("read", "--virtual", kind, "--card-number-stdin", stdin=wrong + "\n")
    assert out.returncode == 4
    line = one_line_error(out)
    assert "card number does not match" in line
    assert wrong not in out.stdout + out.stderr and NUMBERS[kind] not in out.stdout + out.stderr
    ja = cardtool("--lang", "ja", "read", "--virtual", kind, "--card-number-stdin",
                  stdin=wrong + "\n")
    assert ja.returncode == 4 and "在留カード番号がこのカードと一致しません" in one_line_error(ja)


@pytest.mark.parametrize("typed", ["AB1234567CD", "1B12345678CD", "AB12345678CD9"])
def test_malformed_number_opens_no_card(tmp_path: Path, typed: str) -> None:
    trace = tmp_path / "t.jsonl"
    out = cardtool("read", "--virtual", "residence2", "--record", str(trace),
                   env={"CARDTOOL_CARD_NUMBER": typed})
    assert out.returncode == 4
    assert "2 letters, 8 digits, 2 letters" in one_line_error(out)
    assert not trace.exists()  # rejected before the card source was even opened
    stdin = cardtool("read", "--virtual", "residence2", "--card-number-stdin", stdin=typed + "\n")
    assert stdin.returncode == 4 and typed not in stdin.stderr


def test_bad_trust_anchor_files_exit_6(tmp_path: Path) -> None:
    garbage = tmp_path / "ca.pem"
    garbage.write_text("not a certificate")
    out = cardtool("read", "--virtual", "residence", "--trust-anchor", str(garbage))
    assert out.returncode == 6 and "not a certificate" in one_line_error(out)
    missing = cardtool("read", "--virtual", "residence", "--trust-anchor", str(tmp_path / "no"))
    assert missing.returncode == 6 and one_line_error(missing)


@pytest.mark.parametrize(("kind", "names"), [
    ("residence", ["residence-front.png", "residence-photo.png"]),
    ("residence2", ["residence-address.png", "residence-name.png", "residence-photo.png"])])
def test_images_are_written_as_png(tmp_path: Path, kind: str, names: list[str]) -> None:
    out = cardtool("read", "--virtual", kind, "--images", str(tmp_path / "img"),
                   env={"CARDTOOL_CARD_NUMBER": NUMBERS[kind]})
    assert out.returncode == 0, out.stderr
    files = sorted(p.name for p in (tmp_path / "img").iterdir())
    assert files == names
    for name in names:
        with Image.open(io.BytesIO((tmp_path / "img" / name).read_bytes())) as image:
            assert image.format == "PNG" and image.size[0] > 50


def test_the_prompt_is_no_echo_and_only_for_residence_cards() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["read", "--virtual", "residence2"], input="AB98765432CD\n",
                           env={"CARDTOOL_LANG": "en"})
    assert result.exit_code == 0, result.output
    assert "residence card number (12 characters" in result.stderr
    assert "AB98765432CD" not in result.output and "AB98765432CD" not in result.stderr
    assert "AB********CD" in result.stdout
    mynumber = runner.invoke(cli, ["read", "--virtual", "mynumber"], input="",
                             env={"CARDTOOL_LANG": "en"})
    assert mynumber.exit_code == 0, mynumber.output
    assert "card number" not in mynumber.stderr


def test_recorded_trace_holds_no_card_number(tmp_path: Path) -> None:
    trace = tmp_path / "r.jsonl"
    number = NUMBERS["residence2"]
    out = cardtool("read", "--virtual", "residence2", "--record", str(trace),
                   "--card-number-stdin", stdin=number + "\n")
    assert out.returncode == 0, out.stderr
    text = trace.read_text()
    assert number not in text and number.encode().hex().upper() not in text
    assert "redacted" in text and '"purpose":"RND.IFD"' in text


# --- fixture traces ----------------------------------------------------------------------

REPLAYS = [("residence-read.jsonl", "residence", "first"),
           ("residence-sp-read.jsonl", "residence-sp", "first"),
           ("residence2-read.jsonl", "residence2", "second"),
           ("residence2-sp-read.jsonl", "residence2-sp", "second"),
           ("specified-read.jsonl", "specified", "specified")]


@pytest.mark.parametrize(("name", "who", "generation"), REPLAYS)
def test_fixture_traces_replay_deterministically(name: str, who: str, generation: str) -> None:
    args = ["--replay", str(TRACES / name), *ANCHORS, "--card-number-stdin"]
    first = read_json(*args, stdin=NUMBERS[who] + "\n")
    again = read_json(*args, stdin=NUMBERS[who].lower() + "\n")
    assert first == again
    r = first["residence"]
    assert isinstance(r, dict)
    assert r["generation"] == generation and r["signature"]["status"] == "valid"
    exchanges = list(read_trace(TRACES / name).exchanges())
    assert r["apdu_count"] == len(exchanges)  # every recorded exchange was replayed
    personal = [e for e in exchanges if "personal" in e.get("redacted", [])]
    assert personal and any("XX" in e["response"] for e in personal)  # DF2 values are gone
    if not who.endswith("-sp"):
        assert r["renewal_pending"] is None  # its value was redacted, so it is unknown


def test_replay_with_another_card_number_diverges() -> None:
    out = cardtool("read", "--replay", str(TRACES / "residence2-read.jsonl"),
                   "--card-number-stdin", stdin="ZZ00000000ZZ\n")
    assert out.returncode == 6
    assert "diverged" in one_line_error(out) and "ZZ00000000ZZ" not in out.stderr


def test_wrong_number_trace_replays_to_exit_4() -> None:
    wrong = NUMBERS["residence2"][:-1] + "Z"
    out = cardtool("read", "--replay", str(TRACES / "residence2-wrong-number.jsonl"),
                   "--card-number-stdin", stdin=wrong + "\n")
    assert out.returncode == 4 and "card number does not match" in one_line_error(out)


def test_images_on_a_specified_card_write_residence_images_without_asking_a_my_number_code(
        tmp_path: Path) -> None:
    from cardtool.virtual.persona import load_persona

    number = load_persona(None, "specified").card_number or ""
    out = cardtool("read", "--virtual", "specified", "--images", str(tmp_path),
                   "--card-number-stdin", stdin=number + "\n")
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "residence-address.png", "residence-name.png", "residence-photo.png"]
