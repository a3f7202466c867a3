"""Every register test runs on SQLite and on PostgreSQL.

PostgreSQL: the server named by ``CARDTOOL_TEST_PG_URL`` (``scripts/start-postgres.sh``
starts one and prints it); each test gets a schema of its own, dropped afterwards, so tests
never see each other's rows. Without the variable the PostgreSQL cases skip, unless
``CARDTOOL_REQUIRE_PG=1`` (CI) turns the skip into a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cardtool.register import Register
from tests.support.pg import throwaway_schema

PG_URL_ENV = "CARDTOOL_TEST_PG_URL"
REQUIRE_PG_ENV = "CARDTOOL_REQUIRE_PG"
BACKENDS = ("sqlite", "postgresql")


def pg_base_url() -> str:
    url = os.environ.get(PG_URL_ENV, "").strip()
    if not url:
        reason = (f"PostgreSQL register tests need {PG_URL_ENV} (run scripts/start-postgres.sh "
                  "as root; it prints the URL)")
        if os.environ.get(REQUIRE_PG_ENV) == "1":
            pytest.fail(f"{REQUIRE_PG_ENV}=1 but {reason}")
        pytest.skip(reason)
    return url


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A URL whose connections work in a fresh schema of the test server."""
    with throwaway_schema(pg_base_url()) as url:
        yield url


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the user's real register (the default location)."""
    monkeypatch.setenv("CARDTOOL_DATA_DIR", str(tmp_path_factory.mktemp("data") / "cardtool"))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def register_url(backend: str, tmp_path: Path,
                 request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/register.sqlite3"
    url: str = request.getfixturevalue("pg_schema_url")
    return url


@pytest.fixture
def register(register_url: str) -> Iterator[Register]:
    opened = Register.open(register_url)
    try:
        yield opened
    finally:
        opened.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many PostgreSQL cases skipped, and how to run them."""
    skipped = [r for r in terminalreporter.stats.get("skipped", [])
               if PG_URL_ENV in str(r.longrepr)]
    if skipped:
        terminalreporter.write_line(
            f"{len(skipped)} PostgreSQL register tests skipped: start a server with "
            f'export {PG_URL_ENV}="$(scripts/start-postgres.sh)" (as root)',
            yellow=True, bold=True)
