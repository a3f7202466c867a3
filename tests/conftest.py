from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

# CI machines are noisy: no per-example deadline. `make fuzz` sets CARDTOOL_FUZZ=long.
settings.register_profile("default", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", deadline=None, max_examples=20_000,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("long" if os.environ.get("CARDTOOL_FUZZ") == "long" else "default")


# The outermost wrapper: what it writes after ``yield`` comes after pytest's own short
# summary, right above the final counts.
@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> Iterator[None]:
    yield
    from tests.support.quirk_matrix import summary_lines

    for line in summary_lines():
        terminalreporter.write_line(line)
    # Tests that need pcscd + vpcd skip without them (CI fails instead): say how many, and
    # the one command that installs and starts what they need.
    skipped = [r for r in terminalreporter.stats.get("skipped", [])
               if any(word in str(r.longrepr) for word in ("pcscd", "vpcd"))]
    if skipped:
        terminalreporter.write_line(
            f"{len(skipped)} PC/SC tests skipped: pcscd with the vsmartcard vpcd driver is "
            "missing. Install and start it with: scripts/debian-deps.sh pcsc",
            yellow=True, bold=True)


@pytest.fixture(autouse=True, scope="session")
def _private_config_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test reads or writes the real user configuration (trust store): every test, and
    every cardtool subprocess it starts, sees an empty private CARDTOOL_CONFIG_DIR unless it
    sets its own."""
    saved = os.environ.get("CARDTOOL_CONFIG_DIR")
    os.environ["CARDTOOL_CONFIG_DIR"] = str(tmp_path_factory.mktemp("cardtool-config"))
    yield
    if saved is None:
        os.environ.pop("CARDTOOL_CONFIG_DIR", None)
    else:
        os.environ["CARDTOOL_CONFIG_DIR"] = saved


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Put every test in its tiers (tests/support/tiers.py): `make quick` leaves out slow
    ones and those needing pcscd, Chromium, PostgreSQL or Tesseract. Tests that share one
    machine-wide resource (pcscd's vpcd slots) go in one xdist group: under `-n 2 --dist
    loadgroup` they run one after the other in one worker."""
    from tests.support.tiers import shared_resource, tier_marks

    for item in items:
        for name in tier_marks(item):
            item.add_marker(name)
        group = shared_resource(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect the APDU counts the quirk matrix's tests report (from xdist workers too)."""
    from tests.support.quirk_matrix import merge_reported

    merge_reported(report.user_properties)
