"""The last resort of ``cardtool.cli.main``: an unexpected exception is one line, "Internal
error" with the exception's type and exit code EXIT_INTERNAL, never a traceback; the
traceback (and only then the ``traceback`` module, kept off every command's start-up)
comes with CARDTOOL_DEBUG set."""

from __future__ import annotations

import pytest

from cardtool import cli
from cardtool.errors import EXIT_INTERNAL


def fail_inside() -> None:
    raise LookupError("the detail of a bug")


@pytest.mark.parametrize("debug", [False, True])
def test_an_internal_error_is_one_line_and_a_traceback_only_for_debugging(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], debug: bool) -> None:
    monkeypatch.delenv("CARDTOOL_DEBUG", raising=False)
    if debug:
        monkeypatch.setenv("CARDTOOL_DEBUG", "1")
    try:
        fail_inside()
    except LookupError as exc:
        with pytest.raises(SystemExit) as stopped:
            cli._internal_error(exc, "", "en")
    assert stopped.value.code == EXIT_INTERNAL
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert "Internal error" in last and "LookupError" in last, err
    assert "the detail of a bug" not in last  # the exception's text may hold card data
    if debug:
        assert "Traceback (most recent call last)" in err and "fail_inside" in err, err
    else:
        assert err.strip() == last, err
