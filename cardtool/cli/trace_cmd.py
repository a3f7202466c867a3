"""``cardtool trace ...``: work with recorded APDU traces."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cardtool.cli.util import app, err, json_option, print_json
from cardtool.errors import UsageError
from cardtool.i18n import Messages
from cardtool.policy.rules import RULES, TraceFinding

if TYPE_CHECKING:
    from apdu.trace import Redactor, Trace

# The trace readers, the importers and the checker are imported by the subcommand that uses
# them: `trace --help` loads only the catalogue of rules its --ignore help lists.


@click.group()
def trace() -> None:
    """Show, check and import recorded APDU traces (cardtool traces, apdu4j .dump files,
    pcsc-spy logs and OpenSC debug logs, told apart by content)."""


def _describe_command(command_hex: str) -> str:
    if len(command_hex) < 4 or "X" in command_hex[:4].upper():
        return "?"
    from apdu.command import command_name

    raw = bytes.fromhex(command_hex[:4])
    return command_name(raw[0], raw[1])


def _spaced(hex_text: str) -> str:
    return " ".join(hex_text[i : i + 2] for i in range(0, len(hex_text), 2))


@trace.command("show")
@click.argument("path", type=click.Path(dir_okay=False))
@json_option
def show(path: str, as_json: bool) -> None:
    """Pretty-print a trace (any format) with command names and status-word meanings."""
    from apdu.importers import FOREIGN_FORMATS, read_any_trace
    from apdu.sw import describe_sw

    a = app()
    tr = read_any_trace(path)
    foreign = tr.header.get("tool") in FOREIGN_FORMATS and bool(tr.header.get("unredacted"))
    if tr.torn:
        err(a.msg("torn_log" if foreign else "trace_torn", path=path))
    if as_json:
        events: list[dict[str, Any]] = []
        for e in tr.events:
            item = dict(e)
            if e["type"] == "exchange":
                sw = int(e["response"][-4:], 16)
                item["name"] = _describe_command(e["command"])
                item["meaning"] = describe_sw(sw, a.lang)
            events.append(item)
        print_json({"header": tr.header, "events": events, "torn": tr.torn})
        return
    h = tr.header
    click.echo(a.msg("trace_header", path=path, source=h.get("source", "?"),
                     atr=h.get("atr") or "-", created=h.get("created", "?"),
                     redactions=", ".join(h.get("redactions", [])) or a.msg("none")))
    if foreign:
        click.echo("  !! " + a.msg("foreign_log", format=h.get("tool")))
    elif h.get("unredacted"):
        click.echo("  !! " + a.msg("no_redact_warning"))
    for e in tr.events:
        kind = e["type"]
        if kind == "exchange":
            sw = int(e["response"][-4:], 16)
            ms = e.get("us", 0) / 1000
            click.echo(f"#{e.get('n', '?'):<4} > {_describe_command(e['command']):<26} "
                       f"{_spaced(e['command'])}")
            data = e["response"][:-4]
            if data:
                click.echo(f"{'':6}<   {_spaced(data)}")
            click.echo(f"{'':6}< {e['response'][-4:-2]} {e['response'][-2:]}  "
                       f"{describe_sw(sw, a.lang)}  ({ms:.1f} ms)")
        elif kind == "random":
            click.echo(f"{'':6}* host random {e.get('purpose')}: {_spaced(e['value'])}")
        elif kind == "reset":
            click.echo(f"{'':6}* reset, ATR {_spaced(e.get('atr', ''))}")
        elif kind == "removed":
            click.echo(f"{'':6}* card removed")
        elif kind == "transport-error":
            click.echo(f"{'':6}* transport error: {e.get('error')}")
        elif kind == "card":
            click.echo(f"{'':6}* card identified as {e.get('kind')}")


# --- trace import --------------------------------------------------------------------


def _converted(path: str, redactor: Redactor) -> tuple[Trace, str]:
    """``path`` (any format) as a cardtool trace redacted by ``redactor``, and its format."""
    from apdu.importers import CARDTOOL, import_log, read_foreign_text, redact_trace, to_trace
    from apdu.trace import read_trace

    text = read_foreign_text(path)
    if text is None:
        return redact_trace(read_trace(path), redactor), CARDTOOL
    log = import_log(text, path)
    return to_trace(log, redactor), log.format


@trace.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-o", "--output", "out_dir", required=True, metavar="DIR",
              type=click.Path(file_okay=False), help="Directory for the converted traces.")
@click.option("--no-redact", "no_redact", is_flag=True, default=False,
              help="Keep secrets and personal data (the header says so).")
@click.option("--atr", "atr", metavar="HEX",
              help="The card's ATR, for logs that do not hold it (pcsc-spy logs of programs "
                   "that never call SCardStatus).")
def import_traces(files: tuple[str, ...], out_dir: str, no_redact: bool, atr: str | None) -> None:
    """Convert traces (cardtool, apdu4j .dump, pcsc-spy, OpenSC debug log) to cardtool
    traces in DIR (NAME.jsonl), redacted as recording redacts. Every file is read before
    anything is written: a malformed one is an error naming its line (exit 6)."""
    from apdu.importers import CARDTOOL, trace_bytes
    from apdu.trace import NoRedaction
    from cardtool.sources import default_redactor

    a = app()
    redact = a.source.redact and not no_redact
    if not redact:
        err(a.msg("no_redact_warning"))
    atr_hex = (atr or "").replace(" ", "").replace(":", "").upper()
    try:
        bytes.fromhex(atr_hex)
    except ValueError:
        raise UsageError(f"--atr {atr} is not hex.", f"--atr {atr} は16進数ではありません。") from None
    converted: list[tuple[str, Trace, str]] = []
    for path in files:
        # A fresh redactor per file: it follows the selected file through the session.
        tr, fmt = _converted(path, default_redactor() if redact else NoRedaction())
        if atr_hex and not tr.header.get("atr"):
            tr.header["atr"] = atr_hex
        converted.append((path, tr, fmt))
    out = Path(out_dir)
    targets: list[Path] = []
    for path, _tr, _fmt in converted:
        stem, target, n = Path(path).stem, out / (Path(path).stem + ".jsonl"), 1
        while target in targets:
            n += 1
            target = out / f"{stem}-{n}.jsonl"
        if target.exists() and os.path.samefile(target, path):
            raise UsageError(f"{path} would be overwritten by its own import: choose another -o DIR.",
                             f"{path} が変換結果で上書きされます。別の -o DIR を指定してください。")
        targets.append(target)
    out.mkdir(parents=True, exist_ok=True)
    for (path, tr, fmt), target in zip(converted, targets, strict=True):
        target.write_bytes(trace_bytes(tr))
        if tr.torn:
            err(a.msg("trace_torn" if fmt == CARDTOOL else "torn_log", path=path))
        count = sum(1 for _ in tr.exchanges())
        click.echo(f"{path} ({fmt}, {count} exchanges) -> {target}")


# --- trace check ---------------------------------------------------------------------

MESSAGES = Messages({
    "summary": ("Checked {files} files, {exchanges} exchanges in {seconds:.2f} s "
                "({rate:,.0f} exchanges/s): {findings} findings in {with_findings} files, "
                "{unreadable} unreadable.",
                "{files} ファイル、{exchanges} 件の交換を {seconds:.2f} 秒で検査しました"
                "(毎秒 {rate:,.0f} 件): 指摘 {findings} 件({with_findings} ファイル)、"
                "読めないファイル {unreadable} 件。"),
    "table": ("  {rule:<20} {severity:<8} {count:>7}", "  {rule:<20} {severity:<8} {count:>7}"),
    "head": ("rule", "ルール"),
    "severity": ("severity", "重大度"),
    "count": ("count", "件数"),
    "clean": ("No findings.", "指摘はありません。"),
    "no_files": ("No trace files found in {paths}.", "{paths} にトレースファイルがありません。"),
    "unknown_rule": ("Unknown rule '{rule}' for --ignore. Rules: {rules}.",
                     "--ignore のルール '{rule}' は不明です。ルール: {rules}。"),
    "not_ignorable": ("The rule '{rule}' cannot be ignored (an unreadable file is never clean).",
                      "ルール '{rule}' は無視できません(読めないファイルを合格にはできません)。"),
})


def _finding_line(f: TraceFinding, lang: str) -> str:
    where = f"{f.path}:#{f.exchange}" if f.exchange is not None else f.path
    rule = RULES[f.rule]
    extra = " ".join(x for x in (f.key, f"({f.detail})" if f.detail else "") if x)
    return f"{where}: {rule.severity.value} {f.rule}{' ' + extra if extra else ''}: {rule.explain(lang)}"


class _Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    WIDTH = 30

    def __init__(self, total: int) -> None:
        self.total = total
        self.enabled = total > 1 and sys.stderr.isatty()
        self.step = max(1, total // 200)

    def __call__(self, done: int) -> None:
        if not self.enabled or (done % self.step and done != self.total):
            return
        filled = self.WIDTH * done // self.total
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{self.total}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * (self.WIDTH + 30) + "\r")
            sys.stderr.flush()


def _ignored(rules: tuple[str, ...], lang: str) -> frozenset[str]:
    for rule in rules:
        if rule not in RULES:
            raise UsageError(MESSAGES("unknown_rule", "en", rule=rule, rules=", ".join(RULES)),
                             MESSAGES("unknown_rule", "ja", rule=rule, rules=", ".join(RULES)))
        if not RULES[rule].ignorable:
            raise UsageError(MESSAGES("not_ignorable", "en", rule=rule),
                             MESSAGES("not_ignorable", "ja", rule=rule))
    return frozenset(rules)


@trace.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Check on this many processes.")
@click.option("--ignore", "ignore", multiple=True, metavar="RULE",
              help="Do not report this rule (repeatable). Rules: " + ", ".join(RULES) + ".")
@click.option("--reference", is_flag=True, hidden=True,
              help="Use the plain reference checker (slow; for comparisons).")
@json_option
def check(paths: tuple[str, ...], jobs: int, ignore: tuple[str, ...], reference: bool,
          as_json: bool) -> None:
    """Check traces against the PIN-attempt policy (files or directories; cardtool traces,
    apdu4j .dump files and pcsc-spy logs). Exit 0 clean, 5 findings, 6 unreadable input."""
    from cardtool.policy.check_run import Summary, check_files, collect_files

    a = app()
    ignored = _ignored(ignore, a.lang)
    started = time.perf_counter()
    files = collect_files(paths)
    if not files:
        raise UsageError(MESSAGES("no_files", "en", paths=", ".join(paths)),
                         MESSAGES("no_files", "ja", paths=", ".join(paths)))
    progress = _Progress(len(files))
    summary = Summary()
    try:
        for report in check_files(files, jobs=jobs, plain=reference, on_done=progress):
            summary.add(report.without(ignored))
    finally:
        progress.close()
    seconds = time.perf_counter() - started
    if as_json:
        print_json({
            "files": summary.files, "exchanges": summary.exchanges,
            "seconds": round(seconds, 3), "exit_code": summary.exit_code,
            "ignored": sorted(ignored), "unreadable": summary.unreadable,
            "summary": {rule: count for rule, _sev, count in summary.rule_rows()},
            "findings": [f.to_json(a.lang) for f in summary.findings],
        })
    else:
        for finding in summary.findings:
            click.echo(_finding_line(finding, a.lang))
        with_findings = len({f.path for f in summary.findings})
        click.echo(MESSAGES("summary", a.lang, files=summary.files, exchanges=summary.exchanges,
                        seconds=seconds, rate=summary.exchanges / seconds if seconds else 0,
                        findings=len(summary.findings), with_findings=with_findings,
                        unreadable=len(summary.unreadable)))
        rows = summary.rule_rows()
        if rows:
            click.echo(MESSAGES("table", a.lang, rule=MESSAGES("head", a.lang),
                            severity=MESSAGES("severity", a.lang), count=MESSAGES("count", a.lang)))
            for rule, severity, count in rows:
                click.echo(MESSAGES("table", a.lang, rule=rule, severity=severity, count=count))
        else:
            click.echo(MESSAGES("clean", a.lang))
    # SystemExit passes through click and main() untouched: the documented exit code.
    raise SystemExit(summary.exit_code)
