"""Traces recorded from cards that answer through GET RESPONSE (``61 xx``, ISO/IEC 7816-4
§5.1.3) and over a short-APDU reader hold no personal data, and still replay.

Each personal flow (``read --text``, ``read --face``, ``read --sign-cert``) is recorded with
``--record`` (redaction on by default) from the virtual card with the ``get-response-always``
quirk, and with every quirk on a reader without extended length (the file then comes in
chunks, each through GET RESPONSE). The trace file must not hold any personal value of the
persona or of the card's personal files, in any encoding the bytes could take in it; the
redacted trace must replay to the same answer with the personal fields masked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from apdu import tlv
from apdu.errors import MalformedData
from apdu.trace import is_redacted_fill, read_trace
from cardtool.cards.mynumber.ids import PERSONAL_FILES
from cardtool.cli import cli
from cardtool.era import collation_number_b
from cardtool.virtual.mynumber import make_card
from cardtool.virtual.persona import load_persona
from tests.support.cli import cardtool, one_line_error
from tests.support.quirk_matrix import ALL_QUIRKS

EXPIRY_KEYS = ("card_expiry", "card_expiry_days_left", "card_expiry_source",
               "card_expiry_unavailable")

PERSONA = load_persona(None, "mynumber")
assert PERSONA.security_code is not None and PERSONA.my_number is not None
NUMBER_B = collation_number_b(PERSONA.birth_date, PERSONA.card_expiry, PERSONA.security_code)

#: (flow, arguments, stdin, the JSON key of its personal part)
FLOWS = [
    ("text", ["read", "--json", "--text", "--pin-stdin"], PERSONA.pins["text"] + "\n", "text"),
    ("face", ["read", "--json", "--face", "--pin-stdin"], NUMBER_B + "\n", "face"),
    ("sign-cert", ["read", "--json", "--sign-cert", "--pin-stdin"], PERSONA.pins["sign"] + "\n",
     "signing_certificate"),
]
#: (name, persona spec suffix, extra reader options)
SETUPS = [("get-response-always", "+get-response-always", []),
          ("all-quirks-short-reader", ALL_QUIRKS, ["--no-extended"])]

WINDOW = 12  # bytes of a binary value looked for (any 12 in a row)


def _leaves(data: bytes) -> Iterator[bytes]:
    """The primitive values of a TLV file (constructed values walked where they parse)."""
    try:
        objects = tlv.parse_all(data)
    except MalformedData:
        yield data
        return
    for obj in objects:
        if obj.constructed and obj.tag != 0xFF10:
            yield from _leaves(obj.value)
        else:
            yield obj.value


def _card_files() -> tuple[list[bytes], list[bytes]]:
    """(the card's personal files, its other files) as stored on the virtual card."""
    card = make_card(None)
    personal, other = [], []
    for aid, df in card.dfs.items():
        for fid, ef in df.files.items():
            if ef.data:
                (personal if (aid, fid) in PERSONAL_FILES else other).append(ef.data)
    return personal, other


def _markers() -> list[tuple[str, str]]:
    """(what, text that must not be in the trace file): the persona's fields as text, as the
    hex of their UTF-8 (the cards' encoding) and of Shift_JIS, upper and lower case; and any
    ``WINDOW`` bytes of a value of a personal file (card face images, the signing
    certificate's subject) that no other file of the card holds (those are not personal)."""
    texts = {"name": PERSONA.name, "address": PERSONA.address, "my number": PERSONA.my_number,
             "birth date": PERSONA.birth_date.strftime("%Y%m%d")}
    for part in PERSONA.name.split() + PERSONA.address.split():
        texts[f"part {part}"] = part
    out: list[tuple[str, str]] = []
    for what, text in texts.items():
        assert text is not None
        out.append((what, text))
        for encoding in ("utf-8", "shift_jis"):
            raw = text.encode(encoding)
            out += [(f"{what} ({encoding})", raw.hex().upper()),
                    (f"{what} ({encoding})", raw.hex())]
    personal, other = _card_files()
    elsewhere = b"".join(other)
    for data in personal:
        for value in _leaves(data):
            for i in range(0, len(value) - WINDOW + 1, WINDOW // 2):
                window = value[i : i + WINDOW]
                if len(set(window)) < 6 or window in elsewhere:
                    continue  # fill, or bytes the card shows in a file that is not personal
                out += [("personal file value", window.hex().upper()),
                        ("personal file value", window.hex())]
    return out


MARKERS = _markers()


def _run(args: list[str], stdin: str) -> Any:
    result = CliRunner().invoke(cli, ["--lang", "en", *args], input=stdin)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _masked(value: Any) -> bool:
    """Somewhere in ``value`` a text field came back as the replay's mask."""
    if isinstance(value, str):
        return is_redacted_fill(value)
    if isinstance(value, dict):
        return any(_masked(v) for v in value.values())
    if isinstance(value, list):
        return any(_masked(v) for v in value)
    return False


def test_markers_cover_the_persona_and_the_card_files() -> None:
    """The check below could not fail if it looked for nothing: it looks for the persona's
    fields and for hundreds of pieces of the card face's images."""
    assert sum(1 for what, _ in MARKERS if what == "personal file value") > 500
    assert ("my number", PERSONA.my_number) in MARKERS


@pytest.mark.parametrize("setup", SETUPS, ids=[s[0] for s in SETUPS])
@pytest.mark.parametrize("flow", FLOWS, ids=[f[0] for f in FLOWS])
def test_recorded_trace_holds_no_personal_data_and_replays(
        flow: tuple[str, list[str], str, str], setup: tuple[str, str, list[str]],
        tmp_path: Path) -> None:
    _name, args, stdin, key = flow
    _setup, suffix, reader = setup
    trace = tmp_path / "session.jsonl"
    live = _run([*args, "--virtual", f"mynumber:default{suffix}", *reader, "--record",
                 str(trace)], stdin)
    assert live[key]
    text = trace.read_text(encoding="utf-8")
    found = sorted({what for what, marker in MARKERS if marker in text})
    assert found == []
    # The session did fetch its data through GET RESPONSE (else this proves nothing).
    exchanges = list(read_trace(trace).exchanges())
    assert sum(e["command"].startswith("00C00000") for e in exchanges) >= 3
    assert any("X" in e["response"] for e in exchanges if e["command"].startswith("00C00000"))

    replayed = _run([*args, "--replay", str(trace)], stdin)
    assert _masked(replayed[key]), replayed[key]
    if key == "signing_certificate":  # masked whole: no date, serial or fingerprint either
        assert replayed[key]["redacted"] is True and replayed[key]["not_after"] is None
    # The card's expiry, where only the (redacted) card face gives it (no GET DATA, no 共通
    # DF), comes back as unavailable with its reason; everything else is the same answer.
    skip = {key, "authenticity"}  # (the redacted files cannot be re-checked)
    if suffix == ALL_QUIRKS and key == "face":
        skip |= set(EXPIRY_KEYS)
        assert replayed["card_expiry"] is None and replayed["card_expiry_unavailable"]
    assert {k: v for k, v in replayed.items() if k not in skip} == {
        k: v for k, v in live.items() if k not in skip}
    replay_text = json.dumps(replayed, ensure_ascii=False)
    assert [m for what, m in MARKERS if what != "personal file value" and m in replay_text] == []


def test_cert_sign_from_a_redacted_trace_is_one_clear_line_not_a_damaged_card(
        tmp_path: Path) -> None:
    """`cert` writes the certificate or nothing: from a redacted trace, nothing, and the
    line says the trace masked it (exit 6, bad input), not that the card is damaged."""
    trace, out = tmp_path / "cert.jsonl", tmp_path / "sign.der"
    args = ["cert", "sign", "--pin-stdin", "-o", str(out)]
    stdin = PERSONA.pins["sign"] + "\n"
    recorded = CliRunner().invoke(
        cli, ["--lang", "en", *args, "--virtual", "mynumber:default", "--record", str(trace)],
        input=stdin)
    assert recorded.exit_code == 0 and out.exists(), recorded.output
    out.unlink()
    replayed = cardtool("--lang", "en", *args, "--replay", str(trace), stdin=stdin)
    assert replayed.returncode == 6, replayed.stderr
    line = one_line_error(replayed)
    assert "redacted when the trace was recorded" in line
    assert "damaged" not in line and not out.exists()
