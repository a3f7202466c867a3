"""``cardtool register``: the client register's exports and the office's retention chores
(backup, purge). The register itself is ``cardtool.register``; these commands parse, call it,
and say what they did in one line."""

from __future__ import annotations

import datetime as dt
import os
import socket
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from cardtool.cli.util import app
from cardtool.errors import UsageError
from cardtool.files import write_atomic
from cardtool.i18n import pick
from cardtool.install import require_extra
from cardtool.jst import today_jst

if TYPE_CHECKING:
    from cardtool.register import DeadlineRow, Register

F = TypeVar("F", bound=Callable[..., Any])
ENV_DB = "CARDTOOL_DB"


def default_desk() -> str:
    return f"cli@{socket.gethostname()}"[:64]


def register_options(f: F) -> F:
    """--db and --desk, shared by every register command."""
    f = click.option(
        "--desk", metavar="NAME", default=default_desk, show_default="cli@HOSTNAME",
        help="Who is acting, for the register's audit trail.")(f)
    return click.option(
        "--db", "db_url", metavar="URL", envvar=ENV_DB,
        help="The register: a SQLite file (PATH or sqlite:///PATH) or "
             "postgresql+psycopg://USER@HOST/DBNAME (password from PGPASSWORD or ~/.pgpass "
             "keeps it off the command line). Default: register.sqlite3 in the user data "
             f"directory (CARDTOOL_DATA_DIR), or ${ENV_DB}.")(f)


def say_index_progress(done: int, total: int) -> None:
    """What a command shows (stderr) while the register computes its deadline index again,
    once after an upgrade or a rules change: minutes on a large register, never silent."""
    if total == 0:
        return
    lang = app().lang
    if done == 0:
        click.echo(pick((
            f"Updating the register's deadline index, {total:,} clients (once, after an "
            "upgrade; a large register takes a few minutes)...",
            f"台帳の期限索引を更新しています({total:,}件の顧客。更新後の1回のみ。"
            "大きな台帳では数分かかります)…"), lang), err=True)
    elif done < total:
        click.echo(f"  {done:,} / {total:,}", err=True)
    else:
        click.echo(pick((f"Deadline index updated ({total:,} clients).",
                         f"期限索引を更新しました({total:,}件)。"), lang), err=True)


@contextmanager
def opened(db_url: str | None) -> Iterator[Register]:
    require_extra("office", "The client register", "顧客台帳")
    from cardtool.register import Register

    register = Register.open(db_url, progress=say_index_progress)
    try:
        yield register
    finally:
        register.close()


def _say(en: str, ja: str) -> None:
    click.echo(pick((en, ja), app().lang))


def _write_private(target: str, data: bytes | Iterable[bytes]) -> None:
    """Write an export: stdout for "-", else atomically, a new file readable by its owner only
    (it holds client references and names). Chunks are written as they come."""
    if target == "-":
        for chunk in (data,) if isinstance(data, bytes) else data:
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
        return
    path = Path(target)
    if not path.exists():
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass
        except OSError:
            pass  # write_atomic reports the directory's problem with the path
    write_atomic(path, data)


class _Counted:
    """Chunks passed through, counting the rows they come from (for the closing line)."""

    def __init__(self) -> None:
        self.rows = 0

    def rows_of(self, rows: Iterator[DeadlineRow], dated_only: bool = False
                ) -> Iterator[DeadlineRow]:
        for row in rows:
            if not dated_only or row.date is not None:
                self.rows += 1
            yield row


@click.group()
def register() -> None:
    """The office's client register: export deadlines, back it up, purge old checks."""


@register.command("export")
@register_options
@click.option("--csv", "csv_file", metavar="FILE",
              help="Write the deadlines (or with --history a client's checks) as CSV for Excel "
                   "(UTF-8 with BOM); - for stdout.")
@click.option("--ics", "ics_file", metavar="FILE",
              help="Write the deadlines as an iCalendar file with reminders (Outlook, Google "
                   "Calendar); - for stdout.")
@click.option("--history", "client_id", type=int, metavar="CLIENT_ID",
              help="With --csv: the check history of one client instead of the deadlines.")
@click.option("--within-days", type=click.IntRange(min=0), metavar="N",
              help="Only dates at most N days away (overdue ones included).")
@click.option("--overdue", is_flag=True, help="Only what is overdue.")
@click.option("--pending", is_flag=True, help="Only clients whose renewal is pending (申請中).")
@click.option("--as-of", "as_of", metavar="DATE",
              help="Judge the deadlines on this date instead of today (JST).")
def register_export(db_url: str | None, desk: str, csv_file: str | None, ics_file: str | None,
                    client_id: int | None, within_days: int | None, overdue: bool,
                    pending: bool, as_of: str | None) -> None:
    """Export the deadlines (CSV and/or iCalendar) or one client's history (CSV)."""
    if csv_file is None and ics_file is None:
        raise UsageError("Give --csv FILE or --ics FILE (or both).",
                         "--csv FILE または --ics FILE を指定してください。")
    if client_id is not None and (ics_file is not None or csv_file is None):
        raise UsageError("--history exports CSV only: give --csv FILE.",
                         "--history は CSV のみです: --csv FILE を指定してください。")
    from cardtool.services.office import parse_typed_date

    today = (parse_typed_date(as_of) if as_of else None) or today_jst()
    with opened(db_url) as reg:
        if client_id is not None:
            assert csv_file is not None
            data = reg.history_csv(client_id)
            # Audited before the file is written: an export is never left out of the trail.
            reg.record_audit(desk=desk, action="history.export-csv",
                             subject=f"client:{client_id}")
            _write_private(csv_file, data)
            if csv_file != "-":
                _say(f"Wrote the check history of client {client_id} to {csv_file}.",
                     f"顧客 {client_id} のチェック履歴を {csv_file} に書き出しました。")
            return
        filters = {"within_days": within_days, "overdue_only": overdue,
                   "pending_only": pending}
        described = " ".join(f"{k}:{v}" for k, v in filters.items() if v)
        # Imported here: icalendar and the rules load only for an export.
        from cardtool.expiry import Thresholds
        from cardtool.register.deadlines import DeadlineFilter
        from cardtool.register.exports import deadlines_csv_chunks, deadlines_ics_chunks

        if csv_file is not None:
            # Audited before the file is written: an export is never left out of the trail.
            reg.record_audit(desk=desk, action="deadlines.export-csv",
                             subject=f"deadlines {described}".strip())
            counted = _Counted()
            keep = DeadlineFilter(within_days, overdue, pending)
            with reg.streaming_deadlines(today, keep) as rows:
                _write_private(csv_file, deadlines_csv_chunks(counted.rows_of(rows)))
            if csv_file != "-":
                _say(f"Wrote {counted.rows} deadlines to {csv_file}.",
                     f"{counted.rows} 件の期限を {csv_file} に書き出しました。")
        if ics_file is not None:
            reg.record_audit(desk=desk, action="deadlines.export-ics", subject="deadlines")
            counted = _Counted()
            with reg.streaming_deadlines(today) as rows:
                _write_private(ics_file, deadlines_ics_chunks(
                    counted.rows_of(rows, dated_only=True), Thresholds(),
                    dt.datetime.now(dt.UTC)))
            if ics_file != "-":
                _say(f"Wrote {counted.rows} calendar events to {ics_file}.",
                     f"{counted.rows} 件の予定を {ics_file} に書き出しました。")


@register.command("backup")
@register_options
@click.argument("file", type=click.Path(dir_okay=False))
def register_backup(db_url: str | None, desk: str, file: str) -> None:
    """Copy a SQLite register to FILE (consistent while desks keep working; mode 0600).
    A PostgreSQL register is backed up with pg_dump."""
    with opened(db_url) as reg:
        reg.record_audit(desk=desk, action="register.backup", subject="register")
        reg.backup(Path(file))
        _say(f"Backed up {reg.url_for_display} to {file}.",
             f"{reg.url_for_display} を {file} にバックアップしました。")


def _cutoff(text: str) -> dt.date:
    """DATE (2025-04-01, 2025/4/1, 2025年4月1日) or DAYS (a number: that many days ago)."""
    stripped = text.strip()
    if stripped.isdigit():
        return today_jst() - dt.timedelta(days=int(stripped))
    from cardtool.services.office import parse_typed_date

    day = parse_typed_date(stripped)
    if day is None:
        raise UsageError("--older-than needs a date (2025-04-01) or a number of days.",
                         "--older-than には日付(2025-04-01)か日数を指定してください。")
    return day


@register.command("purge")
@register_options
@click.option("--older-than", "older_than", required=True, metavar="DATE|DAYS",
              help="Delete the checks made before DATE (JST), or more than DAYS days ago.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def register_purge(db_url: str | None, desk: str, older_than: str, yes: bool) -> None:
    """Delete old checks, and the clients left with none (the office's retention rule)."""
    cutoff = _cutoff(older_than)
    with opened(db_url) as reg:
        count = reg.count_older_than(cutoff)
        if count == 0:
            _say(f"No check was made before {cutoff.isoformat()}: nothing to delete.",
                 f"{cutoff.isoformat()} より前のチェックはありません。削除するものはありません。")
            return
        if not yes:
            question = pick((f"Delete {count} checks made before {cutoff.isoformat()} (and the "
                             f"clients left with none) from {reg.url_for_display}?",
                             f"{reg.url_for_display} の {cutoff.isoformat()} より前のチェック "
                             f"{count} 件(とチェックの残らない顧客)を削除しますか?"), app().lang)
            try:
                confirmed = click.confirm(question, default=False)
            except click.Abort:
                confirmed = False
            if not confirmed:
                raise UsageError("Nothing was deleted (not confirmed; --yes skips the question).",
                                 "削除していません(確認されませんでした。--yes で確認を省略)。")
        removed = reg.purge(cutoff, desk=desk)
        _say(f"Deleted {removed} checks made before {cutoff.isoformat()}.",
             f"{cutoff.isoformat()} より前のチェック {removed} 件を削除しました。")
