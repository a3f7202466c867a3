from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    """No desk test touches the user's real register (the default location)."""
    monkeypatch.setenv("CARDTOOL_DATA_DIR", str(tmp_path_factory.mktemp("data") / "cardtool"))
