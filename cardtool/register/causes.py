"""What a database error means, in words: a category (full, read-only, busy, not a database)
with the advice that goes with it, never the statement or its values (a driver's error text
can quote them)."""

from __future__ import annotations

import errno

from sqlalchemy.exc import DBAPIError, IntegrityError

Words = tuple[str, str]

FULL: Words = ("the disk is full", "ディスクの空き容量がありません")
READ_ONLY: Words = ("the register is read-only", "台帳が読み取り専用です")
BUSY: Words = ("another desk kept the register locked too long",
               "他の端末が台帳を長くロックしています")
NOT_A_DB: Words = ("the file is not a SQLite database", "ファイルが SQLite データベースではありません")
CANT_OPEN: Words = ("the file cannot be opened", "ファイルを開けません")

FULL_ADVICE: Words = ("Free disk space, then save again.",
                      "ディスクの空きを作ってから、もう一度保存してください。")
READ_ONLY_ADVICE: Words = ("Check the file's permissions (or the database user's rights), then "
                           "save again.", "ファイルの権限(またはデータベースユーザーの権限)を"
                           "確認して、もう一度保存してください。")
BUSY_ADVICE: Words = ("Save again in a moment.", "少し待ってから、もう一度保存してください。")


def cause_of(exc: BaseException) -> Words:
    """(en, ja) of what went wrong, without the statement or its values."""
    orig: BaseException = exc.orig if isinstance(exc, DBAPIError) and exc.orig else exc
    name = str(getattr(orig, "sqlite_errorname", "") or "")
    sqlstate = str(getattr(orig, "sqlstate", "") or "")
    if (name == "SQLITE_FULL" or sqlstate == "53100"
            or getattr(orig, "errno", None) == errno.ENOSPC):
        return FULL
    if name.startswith("SQLITE_READONLY") or sqlstate == "25006":
        return READ_ONLY
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or sqlstate in ("55P03", "40P01"):
        return BUSY
    if name == "SQLITE_NOTADB":
        return NOT_A_DB
    if name.startswith("SQLITE_CANTOPEN"):
        return CANT_OPEN
    lines = str(orig).strip().splitlines()
    text = lines[0][:200] if lines else type(orig).__name__
    return text, text


def advice_for_cause(cause: Words, fallback: Words) -> Words:
    return {FULL: FULL_ADVICE, READ_ONLY: READ_ONLY_ADVICE, BUSY: BUSY_ADVICE}.get(
        cause, fallback)


def is_reference_conflict(exc: IntegrityError) -> bool:
    text = str(exc.orig)
    return "uq_clients_reference" in text or "clients.reference" in text


__all__ = ["Words", "advice_for_cause", "cause_of", "is_reference_conflict"]
