"""Hostile input files, end to end through the real CLI: deeply nested and oversized JSON
(trace lines, personas, office reports) give the usual one-line error and exit code 6,
never "Internal error"."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from apdu.trace import FORMAT_NAME, MAX_LINE_BYTES
from cardtool.cli import main
from cardtool.era import collation_number_b
from cardtool.policy.check import check_data
from cardtool.policy.check_plain import check_data_plain
from cardtool.virtual.persona import load_persona
from tests.support.cli import cardtool, one_line_error
from tests.support.hostile_images import BOMB_PNG, JUST_UNDER_PILLOW_LIMIT, jp2, png, tiff

HEADER = json.dumps({"format": FORMAT_NAME, "version": 1, "atr": "3B00", "redactions": []},
                    separators=(",", ":"))
EXCHANGE = '{"type":"exchange","n":1,"command":"00A4040C02","response":"9000","us":1}'
DEEP = "[" * 100_000


def trace_file(tmp_path: Path, *lines: str, name: str = "t.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def assert_bad_input(out_args: tuple[str, ...], fragment: str) -> None:
    out = cardtool(*out_args)
    assert out.returncode == 6, out.stderr
    line = one_line_error(out) if "check" not in out_args else out.stdout
    assert "Internal error" not in out.stderr + out.stdout
    assert fragment in line, (out.stdout, out.stderr)


@pytest.mark.parametrize("where", ["header", "event"])
def test_deep_trace_line_through_show_replay_and_check(tmp_path: Path, where: str) -> None:
    lines = (DEEP,) if where == "header" else (HEADER, EXCHANGE, DEEP)
    path = trace_file(tmp_path, *lines)
    number = "line 1" if where == "header" else "line 3"
    for args in (("trace", "show", str(path)), ("trace", "show", str(path), "--json"),
                 ("read", "--replay", str(path)), ("trace", "check", str(path))):
        assert_bad_input(args, number)
        assert_bad_input(args, "nested more than 16 levels deep")
    out = cardtool("--lang", "ja", "trace", "show", str(path))
    assert out.returncode == 6 and "トレースファイル" in one_line_error(out)


def test_oversized_trace_line_through_show_replay_and_check(tmp_path: Path) -> None:
    big = ('{"type":"exchange","n":2,"command":"00B00000","response":"'
           + "00" * (MAX_LINE_BYTES // 2) + '9000","us":1}')
    path = trace_file(tmp_path, HEADER, EXCHANGE, big, EXCHANGE)
    for args in (("trace", "show", str(path)), ("read", "--replay", str(path)),
                 ("trace", "check", str(path))):
        assert_bad_input(args, "line 3")
        assert_bad_input(args, f"larger than {MAX_LINE_BYTES:,} bytes")


def test_the_largest_real_exchange_line_is_read(tmp_path: Path) -> None:
    line = ('{"type":"exchange","n":1,"command":"00B00000000000","response":"'
            + "AB" * 65536 + '9000","us":1}')
    path = trace_file(tmp_path, HEADER, line)
    out = cardtool("trace", "show", str(path), "--json")
    assert out.returncode == 0, out.stderr
    out = cardtool("trace", "check", str(path))
    assert out.returncode == 0, out.stdout


@pytest.mark.parametrize("last_complete", [True, False])
def test_fast_and_reference_checkers_agree_on_long_lines(last_complete: bool) -> None:
    body = ('{"type":"exchange","n":2,"command":"00200081","response":"63C2","us":1}\n'
            '{"type":"exchange","n":3,"command":"00B00000","response":"'
            + "00" * (MAX_LINE_BYTES // 2) + '9000","us":1}')
    data = (HEADER + "\n" + EXCHANGE + "\n" + body + ("\n" if last_complete else "")).encode()
    assert check_data("t", "cardtool", data) == check_data_plain("t", "cardtool", data)


def test_deep_and_oversized_persona_files(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text(DEEP, encoding="utf-8")
    assert_bad_input(("read", "--virtual", f"mynumber:{deep}"), "nested more than 16 levels")
    assert_bad_input(("pin", "status", "--virtual", f"mynumber:{deep}"), "nested more than 16")
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"kind": "mynumber", "description": "x" * 300_000}),
                   encoding="utf-8")
    assert_bad_input(("read", "--virtual", f"mynumber:{big}"), "larger than 262,144 bytes")
    out = cardtool("--lang", "ja", "read", "--virtual", f"mynumber:{deep}")
    assert out.returncode == 6 and "ペルソナ" in one_line_error(out)


@pytest.mark.parametrize(("content", "fragment"), [
    (DEEP, "nested more than 16 levels deep"),
    ('{"format":"cardtool-office-report","version":1,"rows":[' + "[" * 5000 + "]",
     "nested more than 16 levels deep"),
    ("[]" + " " * (32 << 20), "larger than 33,554,432 bytes"),
])
def test_deep_or_oversized_office_report_is_refused_before_any_card(
        tmp_path: Path, content: str, fragment: str) -> None:
    report = tmp_path / "o.json"
    report.write_text(content, encoding="utf-8")
    out = cardtool("office", "--virtual", "mynumber", "--json", str(report), stdin="")
    assert out.returncode == 6, out.stderr
    line = one_line_error(out)
    assert fragment in line and "Hold the next card" not in out.stderr


# --- images from a hostile card ----------------------------------------------------------


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
        ) -> Callable[..., tuple[int, str]]:
    """The CLI's own ``main`` in this process (so a test can make the virtual card hostile):
    (exit code, the one line on stderr)."""

    def call(args: list[str], stdin: str = "", lang: str = "en",
             env: dict[str, str] | None = None) -> tuple[int, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        for key, value in {"CARDTOOL_LANG": lang, **(env or {})}.items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        try:
            main(args)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        err = capsys.readouterr().err
        assert "Traceback" not in err and "Internal error" not in err, err
        if code:
            assert len(err.strip().splitlines()) == 1, err
        return code, err.strip()

    return call


def face_pin() -> str:
    persona = load_persona(None, "mynumber")
    return collation_number_b(persona.birth_date, persona.card_expiry, persona.security_code or "")


@pytest.mark.parametrize(("target", "image"), [
    ("text_png", BOMB_PNG),
    ("text_png", png(*JUST_UNDER_PILLOW_LIMIT, full=False)),
    ("photo_jp2", jp2(60000, 60000)),
])
def test_mynumber_face_images_larger_than_any_card_exit_3(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run: Callable[..., tuple[int, str]],
        target: str, image: bytes) -> None:
    monkeypatch.setattr(f"cardtool.virtual.mynumber.{target}", lambda *a, **k: image)
    args = ["read", "--virtual", "mynumber", "--images", str(tmp_path / "img"), "--pin-stdin"]
    code, err = run(args, stdin=face_pin() + "\n")
    assert code == 3 and "larger than any real card's" in err, err
    assert not (tmp_path / "img").exists() or not list((tmp_path / "img").iterdir())
    code, err = run(args, stdin=face_pin() + "\n", lang="ja")
    assert code == 3 and "実在のカードより大きな画像" in err, err


def test_residence_front_image_larger_than_any_card_exits_3(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        run: Callable[..., tuple[int, str]]) -> None:
    monkeypatch.setattr("cardtool.virtual.residence.front_image",
                        lambda *a, **k: tiff(60000, 60000))
    code, err = run(["read", "--virtual", "residence", "--images", str(tmp_path / "img")],
                    env={"CARDTOOL_CARD_NUMBER": "AB12345678CD"})
    assert code == 3 and "larger than any real card's" in err and "front" in err, err
    # The date reader went through the same guard: its dates are uncertain, never a crash.
    code, err = run(["read", "--virtual", "residence", "--json"],
                    env={"CARDTOOL_CARD_NUMBER": "AB12345678CD"})
    assert code == 0, err


def test_legal_card_images_still_decode(tmp_path: Path,
                                       run: Callable[..., tuple[int, str]]) -> None:
    code, err = run(["read", "--virtual", "mynumber", "--images", str(tmp_path), "--pin-stdin"],
                    stdin=face_pin() + "\n")
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "address.png", "name.png", "photo.png", "security-code.png"]
