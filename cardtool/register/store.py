"""The client register: clients, their checks, the deadlines that follow, and the audit trail.

One ``Register`` per process (thread-safe: every call takes its own connection and
transaction). Every write commits with its audit row in one transaction, or raises
(``RegisterWriteFailed``) leaving what was committed before intact: a save is never lost in
silence. Reads and exports are audited by the face that shows them (``record_audit``), as
only it knows who looked at what.

Nothing personal is stored beyond what staff type (reference, display name): see
``cardtool.register.schema``. Errors never quote a statement or its values, since a database
error's text can contain them (``from None`` keeps them out of logged tracebacks too).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import delete, exists, func, insert, or_, select, update
from sqlalchemy.engine import URL, Connection, CursorResult, Engine, RowMapping
from sqlalchemy.exc import DBAPIError, IntegrityError

from cardtool import date_sources
from cardtool.errors import BadInputFile
from cardtool.expiry import CardFacts, Thresholds, assess_card, codes, date_in_jst
from cardtool.jst import JST
from cardtool.register import exports, migrate
from cardtool.register.deadlines import DeadlineFilter, client_deadlines, select_and_sort
from cardtool.register.engine import (
    WRITE_OPTION,
    advice_for,
    create_register_engine,
    display_url,
    prepare_sqlite_file,
    read_only_media_url,
    resolve_url,
)
from cardtool.register.errors import (
    BackupUnsupported,
    ClientNotFound,
    DuplicateReference,
    RegisterTooNew,
    RegisterUnavailable,
    RegisterUsageError,
    RegisterWriteFailed,
)
from cardtool.register.model import Check, Client, DeadlineRow, as_kind
from cardtool.register.schema import (
    AUDIT_TEXT_LENGTH,
    DESK_LENGTH,
    DISPLAY_NAME_LENGTH,
    HMAC_KEY,
    audit,
    checks,
    clients,
    register_meta,
)
from cardtool.secret_format import RESIDENCE_CARD_NUMBER, encode_secret, mask_card_number
from cardtool.typed_text import clean_reference, clean_text

#: Ids bound in one IN (...) list: well under SQLite's limit on a statement's variables.
_IDS_PER_STATEMENT = 500
_ACTION = re.compile(r"^[a-z][a-z0-9.-]{0,39}$")

# --- what a database error means, in words ------------------------------------------------

#: The largest id a row can have (a 64-bit signed integer in SQLite and PostgreSQL): a
#: larger one, typed in a URL or on the command line, names no client (and would overflow
#: the driver's integer).
MAX_ID = 2**63 - 1
_FULL = ("the disk is full", "ディスクの空き容量がありません")
_READ_ONLY = ("the register is read-only", "台帳が読み取り専用です")
_BUSY = ("another desk kept the register locked too long", "他の端末が台帳を長くロックしています")
_NOT_A_DB = ("the file is not a SQLite database", "ファイルが SQLite データベースではありません")
_CANT_OPEN = ("the file cannot be opened", "ファイルを開けません")

_FULL_ADVICE = ("Free disk space, then save again.", "ディスクの空きを作ってから、もう一度保存してください。")
_READ_ONLY_ADVICE = ("Check the file's permissions (or the database user's rights), then save "
                     "again.", "ファイルの権限(またはデータベースユーザーの権限)を確認して、"
                     "もう一度保存してください。")
_BUSY_ADVICE = ("Save again in a moment.", "少し待ってから、もう一度保存してください。")


def _cause(exc: BaseException) -> tuple[str, str]:
    """(en, ja) of what went wrong, without the statement or its values."""
    orig: BaseException = exc.orig if isinstance(exc, DBAPIError) and exc.orig else exc
    name = str(getattr(orig, "sqlite_errorname", "") or "")
    sqlstate = str(getattr(orig, "sqlstate", "") or "")
    if (name == "SQLITE_FULL" or sqlstate == "53100"
            or getattr(orig, "errno", None) == errno.ENOSPC):
        return _FULL
    if name.startswith("SQLITE_READONLY") or sqlstate == "25006":
        return _READ_ONLY
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or sqlstate in ("55P03", "40P01"):
        return _BUSY
    if name == "SQLITE_NOTADB":
        return _NOT_A_DB
    if name.startswith("SQLITE_CANTOPEN"):
        return _CANT_OPEN
    lines = str(orig).strip().splitlines()
    text = lines[0][:200] if lines else type(orig).__name__
    return text, text


def _advice_for_cause(cause: tuple[str, str], fallback: tuple[str, str]) -> tuple[str, str]:
    return {_FULL: _FULL_ADVICE, _READ_ONLY: _READ_ONLY_ADVICE, _BUSY: _BUSY_ADVICE}.get(
        cause, fallback)


def _is_reference_conflict(exc: IntegrityError) -> bool:
    text = str(exc.orig)
    return "uq_clients_reference" in text or "clients.reference" in text


# --- values in and out ----------------------------------------------------------------------


def _utc_naive(moment: dt.datetime | None) -> dt.datetime:
    """How times are stored (schema: naive UTC). Naive input means UTC."""
    if moment is None:
        return dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def _aware(stored: dt.datetime) -> dt.datetime:
    return stored.replace(tzinfo=dt.UTC)


def _start_of_jst_day(day: dt.date) -> dt.datetime:
    return _utc_naive(dt.datetime.combine(day, dt.time(), tzinfo=JST))


def _clean_text(value: str | None, limit: int, what: str, what_ja: str) -> str | None:
    """Typed text as stored (``cardtool.typed_text.clean_text``, the one cleaner)."""
    return clean_text(value, limit, (what, what_ja), rejected=RegisterUsageError)


def _clean_desk(desk: str) -> str:
    cleaned = _clean_text(desk, DESK_LENGTH, "desk name", "端末名")
    if cleaned is None:
        raise RegisterUsageError("A desk name is needed (who saved or read this).",
                                 "端末名が必要です(誰が保存・閲覧したかの記録)。")
    return cleaned


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _client(row: RowMapping) -> Client:
    return Client(row["id"], row["reference"], row["display_name"], _aware(row["created_at"]))


def _check(row: RowMapping) -> Check:
    return Check(
        id=row["id"], client_id=row["client_id"], checked_at=_aware(row["checked_at"]),
        desk=row["desk"], card_kind=as_kind(row["card_kind"]), card_expiry=row["card_expiry"],
        residence_expiry=row["residence_expiry"],
        residence_expiry_source=row["residence_expiry_source"], no_period=row["no_period"],
        certificate_expiry=row["certificate_expiry"], renewal_pending=row["renewal_pending"],
        expiry_source=row["expiry_source"], findings=tuple(json.loads(row["findings"])),
        authenticity=row["authenticity"], card_number_masked=row["card_number_masked"],
        card_expiry_source=row["card_expiry_source"])


def _check_values(facts: CardFacts) -> dict[str, Any]:
    """The columns a card's facts fill."""
    if facts.residence_expiry is not None:
        source: str | None = date_sources.CHIP
    elif facts.typed_residence_expiry is not None:
        source = facts.face_source or date_sources.TYPED
    else:  # no date: "eye", "ocr" (a 無期限 not confirmed), "ocr-confirmed" (無期限), none
        source = facts.face_source if facts.kind == "residence-first" else None
    if facts.kind == "residence-first":
        card_source = facts.expiry_source if facts.expiry_source in date_sources.FACE_SOURCES \
            else None
        if facts.card_expiry is not None and card_source is None:
            card_source = date_sources.OCR_UNCONFIRMED  # nobody said otherwise: not a deadline
    else:
        card_source = date_sources.CHIP if facts.card_expiry is not None else None
    return {
        "card_kind": facts.kind,
        "card_expiry": facts.card_expiry,
        "residence_expiry": facts.known_residence_expiry,
        "residence_expiry_source": source,
        "card_expiry_source": card_source,
        "no_period": facts.no_period,
        "certificate_expiry": facts.certificate_expiry,
        "renewal_pending": facts.renewal_pending,
        "expiry_source": facts.expiry_source,
        "authenticity": facts.authenticity.status.value if facts.authenticity else None,
    }


def _new_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None, "an insert returns its primary key"
    return int(key[0])


def _fsync_directory(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Register:
    """The office's client register. ``Register.open(url)``; ``close()`` when done."""

    def __init__(self, engine: Engine, url: URL, secret: bytes) -> None:
        """Use ``Register.open``: it migrates the schema and reads the secret."""
        #: Public for tests and health checks; everything else goes through the methods.
        self.engine = engine
        self.url = url
        self.url_for_display = display_url(url)
        self._secret = secret

    # --- opening --------------------------------------------------------------------------

    @classmethod
    def open(cls, url: str | None = None) -> Register:
        """Open (creating and migrating when needed) the register at ``url``: None is
        ``register.sqlite3`` in the user data directory (``CARDTOOL_DATA_DIR`` overrides
        it), a bare path a SQLite file, else ``sqlite:///PATH`` or
        ``postgresql+psycopg://USER:PASSWORD@HOST/DBNAME``."""
        resolved = resolve_url(url)
        shown = display_url(resolved)
        connect_url = resolved
        if resolved.get_backend_name() == "sqlite":
            prepare_sqlite_file(resolved, default_location=url is None)
            connect_url = read_only_media_url(resolved)
        engine = create_register_engine(connect_url)
        try:
            migrate.upgrade(engine, shown)
            with engine.connect() as connection:
                secret_hex = connection.execute(
                    select(register_meta.c.value).where(register_meta.c.key == HMAC_KEY)
                ).scalar_one_or_none()
        except RegisterTooNew:
            engine.dispose()
            raise
        except (DBAPIError, OSError) as exc:
            engine.dispose()
            raise RegisterUnavailable(shown, *_cause(exc), *advice_for(resolved)) from None
        except BaseException:
            engine.dispose()
            raise
        if secret_hex is None:
            engine.dispose()
            raise RegisterUnavailable(shown, "the register's secret key is missing (damaged "
                                      "register?)", "台帳の秘密鍵がありません(台帳の破損?)",
                                      "Restore it from a backup.", "バックアップから復元してください。")
        return cls(engine, resolved, bytes.fromhex(secret_hex))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Register:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    # --- transactions ---------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as connection:
                yield connection
        except DBAPIError as exc:
            raise RegisterUnavailable(self.url_for_display, *_cause(exc),
                                      *advice_for(self.url)) from None

    @contextmanager
    def _writing(self, what: str, what_ja: str) -> Iterator[Connection]:
        """One transaction that commits on leaving, or raises RegisterWriteFailed (or
        DuplicateReference) with nothing of it stored."""
        try:
            with self.engine.connect() as connection:
                connection.execution_options(**{WRITE_OPTION: True})
                with connection.begin():
                    yield connection
        except IntegrityError as exc:
            if _is_reference_conflict(exc):
                raise DuplicateReference() from None
            raise self._write_failed(what, what_ja, exc) from None
        except (DBAPIError, OSError) as exc:
            raise self._write_failed(what, what_ja, exc) from None

    def _write_failed(self, what: str, what_ja: str, exc: BaseException) -> RegisterWriteFailed:
        cause = _cause(exc)
        advice = _advice_for_cause(cause, advice_for(self.url))
        return RegisterWriteFailed(self.url_for_display, what, what_ja, *cause, *advice)

    def _audit(self, connection: Connection, desk: str, action: str, subject: str) -> None:
        if not _ACTION.match(action):
            raise RegisterUsageError(f"Not an audit action name: {action!r}.",
                                     f"監査記録の操作名として使えません: {action!r}。")
        cleaned = _clean_text(subject, AUDIT_TEXT_LENGTH, "audit subject", "監査記録の対象")
        connection.execute(insert(audit).values(at=_utc_naive(None), desk=_clean_desk(desk),
                                                action=action, subject=cleaned or "-"))

    def record_audit(self, *, desk: str, action: str, subject: str) -> None:
        """Note who read or exported what (``action`` like "deadlines.export-csv", ``subject``
        like "client:12": ids, never a personal value)."""
        with self._writing("audit record", "監査記録") as connection:
            self._audit(connection, desk, action, subject)

    def audit_trail(self, limit: int = 100) -> list[tuple[dt.datetime, str, str, str]]:
        """The newest audit lines: (at, desk, action, subject)."""
        with self._reading() as connection:
            rows = connection.execute(
                select(audit.c.at, audit.c.desk, audit.c.action, audit.c.subject)
                .order_by(audit.c.id.desc()).limit(limit)).all()
        return [(_aware(at), desk, action, subject) for at, desk, action, subject in rows]

    # --- clients --------------------------------------------------------------------------

    def find_clients(self, query: str, limit: int = 20) -> list[Client]:
        """Clients whose reference or display name contains ``query`` (any case; full-width
        characters match their half-width forms), newest first; all clients for an empty
        query."""
        text = unicodedata.normalize("NFKC", query).strip()
        statement = select(clients)
        if text:
            pattern = f"%{_escape_like(text)}%"
            statement = statement.where(or_(clients.c.reference.ilike(pattern, escape="\\"),
                                            clients.c.display_name.ilike(pattern, escape="\\")))
        statement = statement.order_by(clients.c.id.desc()).limit(max(limit, 0))
        with self._reading() as connection:
            return [_client(row) for row in connection.execute(statement).mappings()]

    def client_by_reference(self, reference: str) -> Client | None:
        """The client with exactly this reference (after ``clean_reference``), if any."""
        cleaned = clean_reference(reference)
        if cleaned is None:
            return None
        with self._reading() as connection:
            row = connection.execute(select(clients).where(clients.c.reference == cleaned)
                                     ).mappings().one_or_none()
        return _client(row) if row is not None else None

    def client(self, client_id: int) -> Client:
        with self._reading() as connection:
            return self._client_in(connection, client_id)

    @staticmethod
    def _client_in(connection: Connection, client_id: int) -> Client:
        if not 0 < client_id <= MAX_ID:  # typed in a URL or --history: no such client
            raise ClientNotFound(client_id=client_id)
        row = connection.execute(select(clients).where(clients.c.id == client_id)
                                 ).mappings().one_or_none()
        if row is None:
            raise ClientNotFound(client_id=client_id)
        return _client(row)

    @staticmethod
    def _refuse_taken_reference(connection: Connection, reference: str | None,
                                client_id: int | None) -> None:
        if reference is None:
            return
        statement = select(clients.c.id).where(clients.c.reference == reference)
        if client_id is not None:
            statement = statement.where(clients.c.id != client_id)
        if connection.execute(statement).first() is not None:
            raise DuplicateReference()

    def create_client(self, reference: str | None, display_name: str | None, *,
                      desk: str) -> Client:
        reference = clean_reference(reference)
        name = _clean_text(display_name, DISPLAY_NAME_LENGTH, "display name", "表示名")
        created_at = _utc_naive(None)
        with self._writing("client", "顧客") as connection:
            self._refuse_taken_reference(connection, reference, None)
            result = connection.execute(insert(clients).values(
                reference=reference, display_name=name, created_at=created_at))
            client_id = _new_id(result)
            self._audit(connection, desk, "client.create", f"client:{client_id}")
        return Client(client_id, reference, name, _aware(created_at))

    def update_client(self, client_id: int, reference: str | None, display_name: str | None,
                      *, desk: str) -> Client:
        reference = clean_reference(reference)
        name = _clean_text(display_name, DISPLAY_NAME_LENGTH, "display name", "表示名")
        with self._writing("client", "顧客") as connection:
            current = self._client_in(connection, client_id)
            self._refuse_taken_reference(connection, reference, client_id)
            connection.execute(update(clients).where(clients.c.id == client_id).values(
                reference=reference, display_name=name))
            self._audit(connection, desk, "client.update", f"client:{client_id}")
        return Client(client_id, reference, name, current.created_at)

    # --- checks ---------------------------------------------------------------------------

    def number_hmac(self, card_number: str) -> str:
        """The keyed hash a residence card number is recognised by (hex)."""
        number = encode_secret(RESIDENCE_CARD_NUMBER, card_number)
        return hmac.new(self._secret, number, hashlib.sha256).hexdigest()

    def save_check(self, client_id: int | None, facts: CardFacts, *, desk: str,
                   card_number: str | None = None, at: dt.datetime | None = None,
                   new_client: tuple[str | None, str | None] | None = None) -> Check:
        """Store one card's check for a client. ``card_number`` (residence cards only) is kept
        masked and as an HMAC, never as typed. ``at``: when (default now; naive = UTC).
        ``new_client`` (reference, display name) with ``client_id`` None: the client is
        created in the same transaction, so a save that fails (or a process killed in the
        middle) leaves no client without its check."""
        if (client_id is None) == (new_client is None):
            raise RegisterUsageError("Give either a client id or a new client, not both.",
                                     "顧客IDか新しい顧客のどちらか一方を指定してください。")
        reference = name = None
        if new_client is not None:
            reference = clean_reference(new_client[0])
            name = _clean_text(new_client[1], DISPLAY_NAME_LENGTH, "display name", "表示名")
        checked_at = _utc_naive(at)
        masked = number_hmac = None
        if card_number is not None:
            if not facts.is_residence:
                raise RegisterUsageError(
                    "Only a residence card's number can be recognised; a My Number card's "
                    "number is never given to the register.",
                    "カード番号で照合できるのは在留カードのみです。マイナンバーカードの番号は"
                    "台帳に渡しません。")
            number_hmac = self.number_hmac(card_number)
            masked = mask_card_number(encode_secret(RESIDENCE_CARD_NUMBER,
                                                    card_number).decode("ascii"))
        # The findings on the day of the check (JST), for the history.
        found = codes(assess_card(facts, date_in_jst(_aware(checked_at))).findings)
        values = _check_values(facts)
        cleaned_desk = _clean_desk(desk)
        with self._writing("check", "チェック結果") as connection:
            if client_id is None:
                self._refuse_taken_reference(connection, reference, None)
                created = connection.execute(insert(clients).values(
                    reference=reference, display_name=name, created_at=checked_at))
                client_id = _new_id(created)
                self._audit(connection, desk, "client.create", f"client:{client_id}")
            else:
                self._client_in(connection, client_id)
            result = connection.execute(insert(checks).values(
                client_id=client_id, checked_at=checked_at, desk=cleaned_desk,
                findings=json.dumps(found), card_number_masked=masked,
                number_hmac=number_hmac, **values))
            check_id = _new_id(result)
            self._audit(connection, desk, "check.save", f"client:{client_id} check:{check_id}")
        return Check(
            id=check_id, client_id=client_id, checked_at=_aware(checked_at), desk=cleaned_desk,
            card_kind=facts.kind, card_expiry=values["card_expiry"],
            residence_expiry=values["residence_expiry"],
            residence_expiry_source=values["residence_expiry_source"],
            no_period=values["no_period"], certificate_expiry=values["certificate_expiry"],
            renewal_pending=values["renewal_pending"], expiry_source=values["expiry_source"],
            findings=tuple(found), authenticity=values["authenticity"],
            card_number_masked=masked, card_expiry_source=values["card_expiry_source"])

    def history(self, client_id: int) -> list[Check]:
        """The client's checks, newest first."""
        with self._reading() as connection:
            self._client_in(connection, client_id)
            rows = connection.execute(
                select(checks).where(checks.c.client_id == client_id)
                .order_by(checks.c.checked_at.desc(), checks.c.id.desc())).mappings()
            return [_check(row) for row in rows]

    def client_for_card_number(self, card_number: str) -> Client | None:
        """The client whose residence card this is, by its HMAC (the latest check wins when a
        card was ever attached to two clients)."""
        digest = self.number_hmac(card_number)
        with self._reading() as connection:
            row = connection.execute(
                select(clients).join(checks, checks.c.client_id == clients.c.id)
                .where(checks.c.number_hmac == digest)
                .order_by(checks.c.checked_at.desc(), checks.c.id.desc()).limit(1)
            ).mappings().first()
        return _client(row) if row is not None else None

    # --- deadlines ------------------------------------------------------------------------

    def _latest_checks(self) -> list[tuple[Client, list[Check]]]:
        """Every client with checks, and the latest check of each card kind they brought."""
        rank = func.row_number().over(
            partition_by=(checks.c.client_id, checks.c.card_kind),
            order_by=(checks.c.checked_at.desc(), checks.c.id.desc())).label("rank")
        ranked = select(checks, rank).subquery()
        statement = (
            select(ranked, clients.c.reference, clients.c.display_name,
                   clients.c.created_at)
            .join(clients, clients.c.id == ranked.c.client_id)
            .where(ranked.c.rank == 1)
            .order_by(ranked.c.client_id, ranked.c.checked_at, ranked.c.id))
        grouped: dict[int, tuple[Client, list[Check]]] = {}
        with self._reading() as connection:
            for row in connection.execute(statement).mappings():
                client_id = row["client_id"]
                if client_id not in grouped:
                    grouped[client_id] = (
                        Client(client_id, row["reference"], row["display_name"],
                               _aware(row["created_at"])), [])
                grouped[client_id][1].append(_check(row))
        return list(grouped.values())

    def deadlines(self, today: dt.date, *, within_days: int | None = None,
                  overdue_only: bool = False, pending_only: bool = False,
                  thresholds: Thresholds | None = None) -> list[DeadlineRow]:
        """Every client's dates judged on ``today`` (a JST date), most urgent first."""
        thresholds = thresholds or Thresholds()
        rows: list[DeadlineRow] = []
        for client, latest in self._latest_checks():
            rows.extend(client_deadlines(client, latest, today, thresholds))
        return select_and_sort(rows, DeadlineFilter(within_days, overdue_only, pending_only))

    def deadlines_csv(self, today: dt.date, *, within_days: int | None = None,
                      overdue_only: bool = False, pending_only: bool = False) -> bytes:
        """The deadlines as CSV (UTF-8 with a BOM, for Excel)."""
        return exports.deadlines_csv(self.deadlines(
            today, within_days=within_days, overdue_only=overdue_only,
            pending_only=pending_only))

    def history_csv(self, client_id: int) -> bytes:
        return exports.history_csv(self.history(client_id))

    def deadlines_ics(self, today: dt.date) -> bytes:
        """The dated deadlines as an iCalendar file, with reminders."""
        thresholds = Thresholds()
        return exports.deadlines_ics(self.deadlines(today, thresholds=thresholds), thresholds,
                                     dt.datetime.now(dt.UTC))

    # --- retention ------------------------------------------------------------------------

    def count_older_than(self, older_than: dt.date) -> int:
        """How many checks ``purge(older_than)`` would delete."""
        with self._reading() as connection:
            return int(connection.execute(
                select(func.count()).select_from(checks)
                .where(checks.c.checked_at < _start_of_jst_day(older_than))).scalar_one())

    def purge(self, older_than: dt.date, *, desk: str) -> int:
        """Delete the checks made before ``older_than`` (a JST date), and the clients left
        with no check: those whose checks all went, and those created before it that never
        had one (a client created since, with no check yet, is being served: kept). Returns
        how many checks went. On SQLite the deleted values are zeroed in the file
        (secure_delete) and the WAL is emptied."""
        cutoff = _start_of_jst_day(older_than)
        old = checks.c.checked_at < cutoff
        of_client = checks.c.client_id == clients.c.id
        doomed = select(clients.c.id).where(
            ~exists().where(of_client, ~old),
            or_(clients.c.created_at < cutoff, exists().where(of_client, old)))
        with self._writing("purge", "削除") as connection:
            # Decided before the checks go (afterwards "had old checks" cannot be seen).
            doomed_ids = list(connection.execute(doomed).scalars())
            removed_checks = connection.execute(delete(checks).where(old)).rowcount
            for start in range(0, len(doomed_ids), _IDS_PER_STATEMENT):
                chunk = doomed_ids[start:start + _IDS_PER_STATEMENT]
                connection.execute(delete(clients).where(clients.c.id.in_(chunk)))
            self._audit(connection, desk, "register.purge",
                        f"before:{older_than.isoformat()} checks:{removed_checks} "
                        f"clients:{len(doomed_ids)}")
        if self.is_sqlite:
            self._checkpoint()
        return int(removed_checks)

    def _checkpoint(self) -> None:
        """Copy the WAL into the file and empty it, so deleted rows do not linger there."""
        with contextlib.suppress(DBAPIError), self.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def backup(self, path: Path) -> None:
        """A consistent copy of a SQLite register (sqlite3's online backup: desks may keep
        saving meanwhile), written through a temp file and renamed, mode 0600. PostgreSQL:
        ``BackupUnsupported`` (use pg_dump). The caller records the audit line."""
        if not self.is_sqlite:
            raise BackupUnsupported(url=self.url_for_display)
        target = Path(path)
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            with self._reading() as connection:
                source = connection.connection.driver_connection
                assert isinstance(source, sqlite3.Connection)
                copy = sqlite3.connect(temporary)
                try:
                    source.backup(copy)
                finally:
                    copy.close()
            with open(temporary, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(temporary, target)
            _fsync_directory(target.parent)
        except (OSError, sqlite3.Error) as exc:
            temporary.unlink(missing_ok=True)
            raise BadInputFile(path=str(target), detail=_cause(exc)[0]) from None
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise


__all__ = ["Register"]
