"""The register's errors. Importable without SQLAlchemy, so a face can catch them cheaply.

Params never hold a client's reference, name or card number: a database error's text can
quote the values of the statement that failed, so only a category (full, read-only, busy) or
the driver's first line is passed on, never the statement or its parameters.
"""

from __future__ import annotations

from cardtool.errors import EXIT_REGISTER, EXIT_USAGE, CardtoolError, UsageError


class RegisterError(CardtoolError):
    exit_code = EXIT_REGISTER


class RegisterUnavailable(RegisterError):
    """The register cannot be opened or reached."""

    en = "Cannot open the client register {url}: {detail}. {advice}"
    ja = "顧客台帳 {url} を開けません: {detail_ja}。{advice_ja}"

    def __init__(self, url: str, detail: str, detail_ja: str, advice: str,
                 advice_ja: str) -> None:
        super().__init__(url=url, detail=detail, detail_ja=detail_ja, advice=advice,
                         advice_ja=advice_ja)


class RegisterTooNew(RegisterError):
    """The database was migrated by a newer cardtool than this one."""

    en = ("The client register {url} was written by a newer cardtool (schema revision "
          "{found}; this version knows up to {head}). Update cardtool on this computer; the "
          "register was not changed.")
    ja = ("顧客台帳 {url} は新しいバージョンの cardtool で更新されています(スキーマ {found}、"
          "このバージョンは {head} まで)。この端末の cardtool を更新してください。台帳は変更して"
          "いません。")


class RegisterWriteFailed(RegisterError):
    """A write was refused: nothing of it was stored, earlier writes are intact."""

    en = ("Could not save to the client register {url}: {detail}. Nothing of this {what} was "
          "saved; earlier records are intact. {advice}")
    ja = ("顧客台帳 {url} に保存できませんでした: {detail_ja}。この{what_ja}は保存されていません"
          "(以前の記録はそのままです)。{advice_ja}")

    def __init__(self, url: str, what: str, what_ja: str, detail: str, detail_ja: str,
                 advice: str, advice_ja: str) -> None:
        super().__init__(url=url, what=what, what_ja=what_ja, detail=detail,
                         detail_ja=detail_ja, advice=advice, advice_ja=advice_ja)


class BackupUnsupported(RegisterError):
    en = ("'cardtool register backup' copies SQLite registers only; back up the PostgreSQL "
          "register {url} with pg_dump (e.g. pg_dump -Fc -f FILE DBNAME).")
    ja = ("'cardtool register backup' は SQLite の台帳のみ複製できます。PostgreSQL の台帳 "
          "{url} は pg_dump でバックアップしてください(例: pg_dump -Fc -f FILE DBNAME)。")
    exit_code = EXIT_USAGE


class ClientNotFound(RegisterError):
    en = "No client with id {client_id} in the register."
    ja = "顧客台帳に ID {client_id} の顧客はいません。"
    exit_code = EXIT_USAGE


class DuplicateReference(RegisterError):
    # The reference itself is left out: errors reach logs.
    en = "Another client already has this reference; choose another one."
    ja = "この参照番号は別の顧客で使われています。別の番号にしてください。"
    exit_code = EXIT_USAGE


class RegisterUsageError(UsageError):
    """A caller passed something the register refuses to store (e.g. a number-like name)."""


__all__ = [
    "BackupUnsupported",
    "ClientNotFound",
    "DuplicateReference",
    "RegisterError",
    "RegisterTooNew",
    "RegisterUnavailable",
    "RegisterUsageError",
    "RegisterWriteFailed",
]
