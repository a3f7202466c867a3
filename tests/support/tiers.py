"""Test tiers: which tests need a stack (``pcsc``, ``browser``, ``pg``, ``ocr``) or time
(``slow``), decided by path, fixture or guard in one place (``tests/conftest.py`` applies
``tier_marks`` to every collected test). ``make quick`` runs the rest; ``make test`` and CI
run everything.

- ``pcsc``: under ``tests/pcsc/``, a module marked ``pcsc``, or a test using the plugin's
  vpcd fixtures (``cardtool_vpcd``, ``cardtool_reader``);
- ``browser``: a module that drives Chromium (``tests.support.chromium``,
  ``tests.desk.browser``);
- ``pg``: the PostgreSQL parametrisation of a register test (``backend="postgresql"``) or a
  test using ``pg_schema_url``;
- ``ocr``: a test guarded by ``tests.support.ocr.needs_ocr`` (Tesseract);
- ``slow``: the tests in ``SLOW``, measured (``tests/support/tiers.py`` docstring of
  ``SLOW`` says how): a ``path::function`` entry takes every parametrisation of it, a full
  node id (with ``[...]``) that one case.
"""

from __future__ import annotations

import types

import pytest

from tests.support.ocr import needs_ocr

PCSC_FIXTURES = frozenset({"cardtool_vpcd", "cardtool_reader"})
PG_FIXTURES = frozenset({"pg_schema_url"})
BROWSER_MODULES = frozenset({"tests.support.chromium", "tests.desk.browser"})

#: Not in a stack tier, and measured slow: a test whose setup + call + teardown took 10 s
#: or more, or a parametrised function whose cases took 60 s or more together, in one run
#: of the other tests (``-n 2``, one run on 2026-12-07 on the shared 2-core machine at a
#: load of 10-14, where a test takes about 5 times as long as alone: 10 s there is about
#: 2 s on an idle machine); then, in a second run of the quick tier at a load of 2-3
#: (issue 23's 2-minute goal), every test that still took 5 s or more; then, in a run of the
#: quick tier on the idle machine (load under 1), every test that took 3.4 s or more.
#: Re-measure with ``pytest -n 2 -m "<the quick tier>" --durations=0`` when a test changes.
SLOW: frozenset[str] = frozenset({
    'tests/cards/test_mynumber_authenticity.py::test_a_malformed_number_b_part_is_refused_before_anything_is_sent[1985-04-01\\n33\\n1234\\n]',
    'tests/cards/test_mynumber_authenticity.py::test_a_recorded_session_replays_to_the_same_verdict',
    'tests/cards/test_mynumber_authenticity.py::test_a_redacted_replay_claims_nothing_about_the_data',
    'tests/cards/test_mynumber_authenticity.py::test_forged_and_cloned_cards_reach_their_verdict',
    'tests/cards/test_quirk_matrix.py::test_flow_gives_the_plain_cards_answer',
    'tests/cli/test_hostile_input.py::test_deep_and_oversized_persona_files',
    'tests/cli/test_hostile_input.py::test_deep_or_oversized_office_report_is_refused_before_any_card[content0-nested more than 16 levels deep]',
    'tests/cli/test_hostile_input.py::test_deep_or_oversized_office_report_is_refused_before_any_card[content2-larger than 33,554,432 bytes]',
    'tests/cli/test_hostile_input.py::test_deep_trace_line_through_show_replay_and_check',
    'tests/cli/test_hostile_input.py::test_oversized_trace_line_through_show_replay_and_check',
    'tests/cli/test_import_scope.py::test_a_my_number_read_imports_no_residence_code',
    'tests/cli/test_import_scope.py::test_a_specified_card_read_imports_both',
    'tests/cli/test_mynumber_cli.py::test_cert_auth_matches_the_persona_and_sign_needs_password',
    'tests/cli/test_mynumber_cli.py::test_face_with_collation_b_and_images',
    'tests/cli/test_mynumber_cli.py::test_malformed_pin_sends_nothing',
    'tests/cli/test_mynumber_cli.py::test_one_try_left_refused_then_forced',
    'tests/cli/test_mynumber_cli.py::test_pin_status_and_verify',
    'tests/cli/test_mynumber_cli.py::test_read_default_without_secrets',
    'tests/cli/test_mynumber_cli.py::test_read_personas[expired-<lambda>]',
    'tests/cli/test_mynumber_cli.py::test_read_personas[expiring-soon-<lambda>]',
    'tests/cli/test_mynumber_cli.py::test_read_personas[one-try-left-<lambda>]',
    'tests/cli/test_mynumber_cli.py::test_read_personas[under15-<lambda>]',
    'tests/cli/test_mynumber_cli.py::test_read_text_with_pin_from_stdin_masks_the_number',
    'tests/cli/test_mynumber_cli.py::test_sign_verifies_with_openssl',
    'tests/cli/test_no_secret_leaks.py::test_no_command_leaks_a_secret',
    'tests/cli/test_no_secret_leaks.py::test_residence_card_numbers_never_leak',
    'tests/cli/test_office_cli.py::test_expiry_exit_0_when_fine_and_the_thresholds_move_it',
    'tests/cli/test_office_cli.py::test_expiry_exit_5_for_a_card_expiring_in_20_days',
    'tests/cli/test_office_cli.py::test_expiry_text_in_japanese',
    'tests/cli/test_office_cli.py::test_expiry_usage_errors_are_one_line',
    'tests/cli/test_office_cli.py::test_office_records_one_trace_per_card_and_replays_one',
    'tests/cli/test_office_cli.py::test_office_refuses_a_foreign_csv_before_any_card',
    'tests/cli/test_office_cli.py::test_office_session_with_virtual_cards',
    'tests/cli/test_office_cli.py::test_office_with_db_saves_every_card_to_the_register',
    'tests/cli/test_own_traces_clean.py::test_cardtools_own_traces',
    'tests/cli/test_portability.py::test_a_register_round_trip',
    'tests/cli/test_portability.py::test_every_module_imports_and_every_help_runs',
    'tests/cli/test_residence_authenticity.py::test_expiry_genuine_virtual_card_is_test_anchor_and_exit_0',
    'tests/cli/test_residence_authenticity.py::test_expiry_reports_the_verdict_and_exits_7_for_a_forged_card',
    'tests/cli/test_residence_authenticity.py::test_expiry_uses_the_installed_anchors',
    'tests/cli/test_residence_authenticity.py::test_genuine_virtual_cards_are_test_anchor_never_genuine',
    'tests/cli/test_residence_authenticity.py::test_installed_official_anchor_is_used_by_default_data_genuine',
    'tests/cli/test_residence_authenticity.py::test_invalid_text_report_is_printed_then_exit_7',
    'tests/cli/test_residence_authenticity.py::test_office_records_a_forged_card_and_keeps_going',
    'tests/cli/test_residence_cli.py::test_first_generation_json_and_text',
    'tests/cli/test_residence_cli.py::test_fixture_traces_replay_deterministically[residence-read.jsonl-residence-first]',
    'tests/cli/test_residence_cli.py::test_fixture_traces_replay_deterministically[residence-sp-read.jsonl-residence-sp-first]',
    'tests/cli/test_residence_cli.py::test_images_are_written_as_png[residence-names0]',
    'tests/cli/test_residence_cli.py::test_images_on_a_specified_card_write_residence_images_without_asking_a_my_number_code',
    'tests/cli/test_residence_cli.py::test_specified_card_reports_both_parts',
    'tests/cli/test_residence_cli.py::test_wrong_number_exit_4_one_line_without_the_number',
    'tests/cli/test_trace_check_cli.py::test_checker_reports_exactly_the_planted_findings',
    'tests/cli/test_trace_check_cli.py::test_cli_one_process_two_processes_and_reference_agree',
    'tests/cli/test_trace_check_cli.py::test_the_corpus_has_every_kind_of_planted_violation',
    'tests/cli/test_trace_tools_cli.py::test_emulate_usage_errors',
    'tests/cli/test_trace_tools_cli.py::test_emulate_without_pcscd_is_exit_2_with_the_reason[args0]',
    'tests/desk/test_desk_faults.py::test_kill_9_during_saves_loses_no_committed_check',
    'tests/desk/test_load.py::test_fifty_event_streams_and_pages_while_cards_are_read',
    'tests/desk/test_serve_cmd.py::test_serve_prints_the_address_serves_a_demo_and_stops_on_ctrl_c',
    'tests/desk/test_serve_cmd.py::test_serve_refuses_a_trace_source_in_one_line[source0]',
    'tests/desk/test_serve_cmd.py::test_serve_refuses_two_card_sources',
    'tests/faults/test_fault_sweep.py::test_fault_sweep',
    'tests/faults/test_new_flows_fault_sweep.py::test_desk_read_path_fault_sweep',
    'tests/faults/test_new_flows_fault_sweep.py::test_trace_import_of_cut_and_flipped_logs',
    'tests/faults/test_office_fault_sweep.py::test_office_fault_sweep',
    'tests/faults/test_residence_fault_sweep.py::test_residence_fault_sweep[residence-read]',
    'tests/faults/test_residence_fault_sweep.py::test_residence_fault_sweep[residence2-read]',
    'tests/faults/test_residence_fault_sweep.py::test_residence_fault_sweep[specified-read]',
    'tests/fuzz/test_fuzz_desk_http.py::test_random_requests_get_a_page_or_a_refusal',
    'tests/fuzz/test_fuzz_importers.py::test_fuzz_apdu4j',
    'tests/fuzz/test_fuzz_importers.py::test_fuzz_opensc',
    'tests/fuzz/test_fuzz_importers.py::test_fuzz_pcsc_spy',
    'tests/fuzz/test_fuzz_parsers.py::test_fuzz_bounded_json_never_recurses',
    'tests/fuzz/test_fuzz_parsers.py::test_fuzz_card_image_headers',
    'tests/fuzz/test_fuzz_parsers.py::test_fuzz_mynumber_parsers',
    'tests/fuzz/test_fuzz_parsers.py::test_fuzz_persona',
    'tests/fuzz/test_fuzz_parsers.py::test_fuzz_response_apdu',
    'tests/fuzz/test_fuzz_parsers.py::test_fuzz_tlv',
    'tests/fuzz/test_fuzz_parsers.py::test_fuzz_trace_and_persona_files_with_deep_nesting',
    'tests/fuzz/test_fuzz_parsers.py::test_fuzz_trace_reader',
    'tests/fuzz/test_fuzz_register_exports.py::test_fuzz_deadlines_csv_round_trip',
    'tests/fuzz/test_fuzz_register_exports.py::test_fuzz_deadlines_ics_round_trip',
    'tests/fuzz/test_fuzz_register_exports.py::test_fuzz_history_csv_round_trip',
    'tests/packaging/test_installed_smoke.py::test_the_installed_wheel_works_outside_the_tree',
    'tests/register/test_cli.py::test_export_csv_and_ics[sqlite]',
    'tests/register/test_cli.py::test_purge_asks_first[sqlite]',
    'tests/register/test_concurrency.py::test_two_desks_in_processes[sqlite]',
    'tests/register/test_reindex.py::test_the_cli_says_it_is_updating_the_index[sqlite]',
    'tests/register/test_scale.py::test_the_sql_order_is_the_python_order[sqlite]',
    'tests/register/test_scale.py::test_the_stored_keys_give_the_rules_level_on_every_day',
    'tests/unit/test_check_equivalence.py::test_agree_on_imported_dumps',
    'tests/unit/test_check_equivalence.py::test_agree_on_the_corpus_sample',
    'tests/unit/test_check_equivalence.py::test_fast_and_reference_checkers_agree',
    'tests/unit/test_check_scanner.py::test_automaton_that_remembers_nothing_reports_the_same',
    'tests/unit/test_check_scanner.py::test_c_scanner_matches_python_on_bent_bytes',
    'tests/unit/test_check_scanner.py::test_c_scanner_matches_python_on_bent_hex',
    'tests/unit/test_check_scanner.py::test_c_scanner_matches_python_on_traces',
    'tests/unit/test_check_scanner.py::test_checker_agrees_with_the_reference_using_the_python_scanner',
    'tests/unit/test_pytest_plugin.py::test_without_pcscd_they_fail_when_asked',
    'tests/unit/test_pytest_plugin.py::test_without_pcscd_vpcd_fixtures_skip_with_the_reason',
    'tests/unit/test_tiers.py::test_tests_that_serve_cards_on_vpcd_are_run_one_at_a_time',
    'tests/unit/test_tiers.py::test_the_quick_tier_leaves_out_the_stack_tests_only',
    'tests/unit/test_verify_rules.py::test_random_verify_sequences_give_the_engines_findings_through_both_parsers',
})


def _drives_browser(module: types.ModuleType | None) -> bool:
    if module is None:
        return False
    return any(getattr(value, "__module__", None) in BROWSER_MODULES
               for value in vars(module).values())


#: Modules whose helpers serve cards through pcscd's vpcd slots.
PCSC_MODULES = frozenset({"tests.support.pcsc"})


def _uses_module(module: types.ModuleType | None, names: frozenset[str]) -> bool:
    if module is None:
        return False
    return any(getattr(value, "__module__", None) in names or
               getattr(value, "__name__", None) in names
               for value in vars(module).values())


def shared_resource(item: pytest.Item) -> str | None:
    """The machine-wide resource ``item`` needs to itself: "vpcd" for a test that serves
    cards on pcscd's vpcd slots (the slots are shared by every process on the machine;
    ``tests/conftest.py`` marks it ``vpcd`` and `make test` runs those one at a time),
    None for a test that can run beside any other."""
    module = getattr(item, "module", None)
    fixtures = set(getattr(item, "fixturenames", ()))
    if (item.nodeid.startswith("tests/pcsc/") or fixtures & PCSC_FIXTURES
            or item.get_closest_marker("pcsc") is not None
            or _uses_module(module, PCSC_MODULES)):
        return "vpcd"
    return None


def function_id(item: pytest.Item) -> str:
    """``path::function`` of a test, without its parametrisation."""
    return item.nodeid.split("[", 1)[0]


def tier_marks(item: pytest.Item) -> list[str]:
    """The tier markers ``item`` gets (besides those it has already)."""
    names: list[str] = []
    path = item.nodeid.split("::", 1)[0]
    fixtures = set(getattr(item, "fixturenames", ()))
    if path.startswith("tests/pcsc/") or fixtures & PCSC_FIXTURES:
        names.append("pcsc")
    if _drives_browser(getattr(item, "module", None)):
        names.append("browser")
    callspec = getattr(item, "callspec", None)
    if fixtures & PG_FIXTURES or (callspec is not None
                                  and callspec.params.get("backend") == "postgresql"):
        names.append("pg")
    if any(mark == needs_ocr.mark for mark in item.iter_markers("skipif")):
        names.append("ocr")
    if item.nodeid in SLOW or function_id(item) in SLOW:
        names.append("slow")
    return [name for name in names if item.get_closest_marker(name) is None]


__all__ = ["SLOW", "function_id", "shared_resource", "tier_marks"]
