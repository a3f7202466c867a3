"""The fuzz budget: every parser group of issue 17 has fuzz tests, every fuzz test belongs
to a group, and each runs the whole budget (FUZZ_EXAMPLES: 20,000 with `make fuzz`), so a
test that asks for fewer examples, or a new fuzz test outside the groups, fails here."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

import pytest

import tests.fuzz
from tests.fuzz.conftest import FUZZ_EXAMPLES, LONG, SHORT_EXAMPLES

GROUPS: dict[str, set[str]] = {
    "APDUs and BER-TLV": {"test_fuzz_command_apdu", "test_fuzz_response_apdu",
                          "test_fuzz_tlv", "test_fuzz_mynumber_parsers"},
    "X.509 certificates": {"test_fuzz_certificate", "test_fuzz_card_certificate"},
    "CV certificates and signed records": {
        "test_cv_certificate_mutations_never_pass_silently", "test_text_record_mutations_fail",
        "test_card_face_mutations_of_signed_bytes_fail", "test_signed_card_key_mutations_fail"},
    "residence cards (secure messaging, TLV)": {"test_fuzz_sm_unwrap",
                                                "test_fuzz_residence_parsers"},
    "card image headers": {"test_fuzz_card_image_headers"},
    "JSON depth (traces, personas)": {"test_fuzz_bounded_json_never_recurses",
                                      "test_fuzz_trace_and_persona_files_with_deep_nesting",
                                      "test_fuzz_trace_reader", "test_fuzz_persona"},
    "foreign trace formats": {"test_fuzz_apdu4j", "test_fuzz_pcsc_spy", "test_fuzz_opensc",
                              "test_fuzz_import_any_text"},
    "desk HTTP endpoints": {"test_random_requests_get_a_page_or_a_refusal"},
    "register CSV and ICS round trips": {"test_fuzz_deadlines_csv_round_trip",
                                         "test_fuzz_deadlines_ics_round_trip",
                                         "test_fuzz_history_csv_round_trip"},
}


def _fuzz_tests() -> dict[str, Callable[..., Any]]:
    found: dict[str, Callable[..., Any]] = {}
    for module_info in pkgutil.iter_modules(tests.fuzz.__path__):
        if not module_info.name.startswith("test_") or module_info.name == "test_fuzz_budget":
            continue
        try:
            module = importlib.import_module(f"tests.fuzz.{module_info.name}")
        except pytest.skip.Exception:
            continue  # an optional extra is missing (the desk): its tests skip anyway
        for name, value in vars(module).items():
            if name.startswith("test_") and hasattr(value, "hypothesis"):
                found[name] = value
    return found


def test_make_fuzz_runs_at_least_twenty_thousand() -> None:
    if LONG:  # CARDTOOL_FUZZ=long, as `make fuzz` sets it
        assert FUZZ_EXAMPLES >= 20_000
    else:
        assert SHORT_EXAMPLES == FUZZ_EXAMPLES


def test_every_fuzz_test_is_in_a_group_and_runs_the_whole_budget() -> None:
    found = _fuzz_tests()
    grouped = set().union(*GROUPS.values())
    assert set(found) <= grouped, f"fuzz tests in no group: {set(found) - grouped}"
    for group, names in GROUPS.items():
        assert names & set(found), f"{group}: no fuzz test"
    for name, test in found.items():
        chosen = test._hypothesis_internal_use_settings  # the @settings of the test
        assert chosen.max_examples >= FUZZ_EXAMPLES, (name, chosen.max_examples)
