"""Checking many trace files: finding them, reading them (cardtool traces, or apdu4j dumps
and pcsc-spy logs through ``apdu.importers``), checking them on one or more processes, and
summing up. Order is deterministic: the files in the order given, a directory's files
sorted by path, whatever ``jobs`` is."""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from apdu.errors import TraceFormatError
from apdu.importers import CARDTOOL, import_log, sniff, to_trace_bytes
from cardtool.errors import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK
from cardtool.policy.check import check_data
from cardtool.policy.check_plain import check_data_plain
from cardtool.policy.rules import RULES, TORN, UNREADABLE, FileReport, TraceFinding

#: What ``trace check DIRECTORY`` picks up: cardtool traces, apdu4j dumps, pcsc-spy logs.
TRACE_SUFFIXES = (".jsonl", ".dump", ".spy")

Checker = Callable[[str, str, bytes], FileReport]


def collect_files(paths: Iterable[str]) -> list[str]:
    """Files to check: each path given, or a directory's trace files (recursively, sorted).
    A path that does not exist is kept: checking it reports it unreadable."""
    files: list[str] = []
    for given in paths:
        if os.path.isdir(given):
            files.extend(sorted(_trace_files(given)))
        else:
            files.append(given)
    return files


def _trace_files(directory: str) -> Iterator[str]:
    # scandir knows each entry's type without a stat call: fast on trees of many files.
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):  # no loops through linked directories
                yield from _trace_files(entry.path)
            elif entry.name.endswith(TRACE_SUFFIXES) and entry.is_file():
                yield entry.path


def _unreadable(path: str, source: str, line: int, detail: str) -> FileReport:
    return FileReport(path, source, 0, [TraceFinding(path, None, UNREADABLE, "", f"line {line}: {detail}")])


def check_file(path: str, checker: Checker = check_data) -> FileReport:
    """Read and check one file. Never raises for bad input: an unreadable file is a report
    with a ``trace-unreadable`` finding."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        return _unreadable(path, CARDTOOL, 0, "file not found")
    except IsADirectoryError:
        return _unreadable(path, CARDTOOL, 0, "is a directory")
    except OSError as exc:
        return _unreadable(path, CARDTOOL, 0, exc.strerror or "cannot be read")
    if data.lstrip()[:1] in (b"{", b""):
        return checker(path, CARDTOOL, data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _unreadable(path, CARDTOOL, 0, f"not UTF-8 text (byte offset {exc.start})")
    kind = sniff(text, path)
    if kind == CARDTOOL:
        return checker(path, CARDTOOL, data)
    try:
        log = import_log(text, path)
    except TraceFormatError as exc:
        return _unreadable(path, kind, int(exc.params["line"]), str(exc.params["detail"]))
    report = checker(path, kind, to_trace_bytes(log))
    if log.torn:
        report.findings.append(TraceFinding(
            path, None, TORN, "", f"the {kind} log ends inside exchange {len(log.exchanges) + 1}"))
    return report


def check_file_plain(path: str) -> FileReport:
    return check_file(path, check_data_plain)


def check_files(files: list[str], *, jobs: int = 1, plain: bool = False,
                on_done: Callable[[int], None] | None = None) -> Iterator[FileReport]:
    """Reports in the order of ``files``. With ``jobs`` > 1 the files are spread over that
    many processes (in chunks, so the per-file cost of talking to them stays small)."""
    worker = check_file_plain if plain else check_file
    done = 0
    if jobs <= 1 or len(files) < 2:
        for path in files:
            report = worker(path)
            done += 1
            if on_done is not None:
                on_done(done)
            yield report
        return
    chunk = max(1, min(64, len(files) // (jobs * 8)))
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with context.Pool(jobs) as pool:
        for report in pool.imap(worker, files, chunksize=chunk):
            done += 1
            if on_done is not None:
                on_done(done)
            yield report


@dataclass
class Summary:
    files: int = 0
    exchanges: int = 0
    unreadable: list[str] = field(default_factory=list)
    torn: int = 0
    by_rule: Counter[str] = field(default_factory=Counter)
    findings: list[TraceFinding] = field(default_factory=list)

    def add(self, report: FileReport) -> None:
        self.files += 1
        self.exchanges += report.exchanges
        if report.unreadable:
            self.unreadable.append(report.path)
        for finding in report.findings:
            self.by_rule[finding.rule] += 1
            if finding.rule == TORN:
                self.torn += 1
        self.findings.extend(report.findings)

    @property
    def exit_code(self) -> int:
        """0 clean, 5 findings, 6 an input could not be read (that wins)."""
        if self.unreadable:
            return EXIT_UNREADABLE
        return EXIT_FINDINGS if self.findings else EXIT_OK

    def rule_rows(self) -> list[tuple[str, str, int]]:
        """(rule, severity, count) in the catalogue's order, rules that fired only."""
        return [(rule.id, rule.severity.value, self.by_rule[rule.id])
                for rule in RULES.values() if self.by_rule[rule.id]]


#: ``trace check`` on a file it cannot read.
EXIT_UNREADABLE = EXIT_BAD_INPUT
