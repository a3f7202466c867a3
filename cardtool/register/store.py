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

import datetime as dt
import hashlib
import hmac
import json
import logging
import random
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from cardtool.expiry import CardFacts, Thresholds
from cardtool.register import derived, exports, listing, migrate, retention
from cardtool.register.causes import BUSY, advice_for_cause, cause_of, is_reference_conflict
from cardtool.register.deadlines import DeadlineFilter
from cardtool.register.engine import (
    BUSY_TIMEOUT_SECONDS,
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
from cardtool.register.listing import ClientSearch, Page
from cardtool.register.model import Check, Client, DeadlineRow
from cardtool.register.rows import (
    aware,
    clean_desk,
    clean_text,
    client_of,
    new_id,
    saved_check_values,
    utc_naive,
)
from cardtool.register.schema import (
    AUDIT_TEXT_LENGTH,
    DISPLAY_NAME_LENGTH,
    HMAC_KEY,
    audit,
    checks,
    clients,
    register_meta,
)
from cardtool.secret_format import RESIDENCE_CARD_NUMBER, encode_secret, mask_card_number
from cardtool.typed_text import clean_reference

log = logging.getLogger("cardtool.register")

_ACTION = re.compile(r"^[a-z][a-z0-9.-]{0,39}$")
#: The largest id a row can have (a 64-bit signed integer in SQLite and PostgreSQL): a
#: larger one, typed in a URL or on the command line, names no client (and would overflow
#: the driver's integer).
MAX_ID = 2**63 - 1


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
    def open(cls, url: str | None = None, *,
             progress: derived.Progress | None = None) -> Register:
        """Open (creating and migrating when needed) the register at ``url``: None is
        ``register.sqlite3`` in the user data directory (``CARDTOOL_DATA_DIR`` overrides
        it), a bare path a SQLite file, else ``sqlite:///PATH`` or
        ``postgresql+psycopg://USER:PASSWORD@HOST/DBNAME``. ``progress`` (clients done,
        clients in all) is called while the derived columns are computed again (once after
        an upgrade or a rules change: minutes on a large register; never otherwise)."""
        resolved = resolve_url(url)
        shown = display_url(resolved)
        connect_url = resolved
        if resolved.get_backend_name() == "sqlite":
            prepare_sqlite_file(resolved, default_location=url is None)
            connect_url = read_only_media_url(resolved)
        # SQLite answers "database is locked" at once, without waiting its busy timeout, in
        # a few cases (desks creating and migrating a new register at the same moment: the
        # first connections switch the new file to WAL while another migrates). Opening is
        # idempotent (the migration re-checks under its lock), so it is tried again until
        # the busy timeout has passed; a register really held that long is the error.
        give_up = time.monotonic() + BUSY_TIMEOUT_SECONDS
        while True:
            engine = create_register_engine(connect_url)
            try:
                migrate.upgrade(engine, shown)
                with engine.connect() as connection:
                    secret_hex = connection.execute(
                        select(register_meta.c.value).where(register_meta.c.key == HMAC_KEY)
                    ).scalar_one_or_none()
                    current = derived.is_current(connection)
                if not current and secret_hex is not None:
                    cls._refresh_derived(engine, resolved, progress)
            except RegisterTooNew:
                engine.dispose()
                raise
            except (DBAPIError, OSError) as exc:
                engine.dispose()
                if cause_of(exc) == BUSY and time.monotonic() < give_up:
                    log.info("register %s: busy while opening; trying again", shown)
                    time.sleep(random.uniform(0.05, 0.25))
                    continue
                raise RegisterUnavailable(shown, *cause_of(exc), *advice_for(resolved)) from None
            except BaseException:
                engine.dispose()
                raise
            break
        if secret_hex is None:
            engine.dispose()
            raise RegisterUnavailable(shown, "the register's secret key is missing (damaged "
                                      "register?)", "台帳の秘密鍵がありません(台帳の破損?)",
                                      "Restore it from a backup.", "バックアップから復元してください。")
        return cls(engine, resolved, bytes.fromhex(secret_hex))

    @staticmethod
    def _refresh_derived(engine: Engine, url: URL, progress: derived.Progress | None) -> None:
        """Compute the derived columns again (after migration r0002, or when the rules
        changed), under the migration's lock so two desks do it once. A register that cannot
        be written (read-only medium) keeps what it has: its lists may be ordered by older
        rules, each row is still judged by the current ones."""
        try:
            with engine.connect() as connection:
                connection.execution_options(**{WRITE_OPTION: True})
                with connection.begin():
                    if connection.dialect.name == "postgresql":
                        connection.execute(
                            select(func.pg_advisory_xact_lock(migrate.PG_MIGRATION_LOCK)))
                    if not derived.is_current(connection):
                        derived.refresh_all(connection, progress)
        except DBAPIError as exc:
            log.warning("register %s: derived columns not computed again (%s)",
                        display_url(url), cause_of(exc)[0])

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
            raise RegisterUnavailable(self.url_for_display, *cause_of(exc),
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
            if is_reference_conflict(exc):
                raise DuplicateReference() from None
            raise self._write_failed(what, what_ja, exc) from None
        except (DBAPIError, OSError) as exc:
            raise self._write_failed(what, what_ja, exc) from None

    def _write_failed(self, what: str, what_ja: str, exc: BaseException) -> RegisterWriteFailed:
        cause = cause_of(exc)
        advice = advice_for_cause(cause, advice_for(self.url))
        return RegisterWriteFailed(self.url_for_display, what, what_ja, *cause, *advice)

    def _audit(self, connection: Connection, desk: str, action: str, subject: str) -> None:
        if not _ACTION.match(action):
            raise RegisterUsageError(f"Not an audit action name: {action!r}.",
                                     f"監査記録の操作名として使えません: {action!r}。")
        cleaned = clean_text(subject, AUDIT_TEXT_LENGTH, "audit subject", "監査記録の対象")
        connection.execute(insert(audit).values(at=utc_naive(None), desk=clean_desk(desk),
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
        return [(aware(at), desk, action, subject) for at, desk, action, subject in rows]

    # --- clients --------------------------------------------------------------------------

    def find_clients(self, query: str, limit: int = 20) -> list[Client]:
        """The first ``limit`` clients of ``client_page(query)``."""
        if limit <= 0:
            return []
        with self._reading() as connection:
            return list(listing.client_page(connection, query, 1, limit)[1].items)

    def client_page(self, query: str, page: int = 1,
                    size: int = listing.PAGE_SIZE) -> tuple[ClientSearch, Page[Client]]:
        """A page of the clients whose reference or display name (or a word of it) starts
        with ``query`` (any case; full-width characters match their half-width forms):
        found by reference first, in reference order, then by name; every client, newest
        first, for an empty query. A query longer than ``listing.SEARCH_LENGTH`` is cut
        (``ClientSearch.cut``)."""
        with self._reading() as connection:
            return listing.client_page(connection, query, page, size)

    def client_by_reference(self, reference: str) -> Client | None:
        """The client with exactly this reference (after ``clean_reference``), if any."""
        cleaned = clean_reference(reference)
        if cleaned is None:
            return None
        with self._reading() as connection:
            row = connection.execute(select(clients).where(clients.c.reference == cleaned)
                                     ).mappings().one_or_none()
        return client_of(row) if row is not None else None

    def client(self, client_id: int) -> Client:
        with self._reading() as connection:
            return self._client_in(connection, client_id)

    @staticmethod
    def _client_in(connection: Connection, client_id: int, *, lock: bool = False) -> Client:
        """The client; ``lock``: its row locked until the transaction ends (PostgreSQL; a
        SQLite write holds the whole file), so two desks saving checks of one client at
        once keep its latest checks and deadline keys one after the other."""
        if not 0 < client_id <= MAX_ID:  # typed in a URL or --history: no such client
            raise ClientNotFound(client_id=client_id)
        statement = select(clients).where(clients.c.id == client_id)
        if lock:
            statement = statement.with_for_update()
        row = connection.execute(statement).mappings().one_or_none()
        if row is None:
            raise ClientNotFound(client_id=client_id)
        return client_of(row)

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
        name = clean_text(display_name, DISPLAY_NAME_LENGTH, "display name", "表示名")
        created_at = utc_naive(None)
        with self._writing("client", "顧客") as connection:
            self._refuse_taken_reference(connection, reference, None)
            result = connection.execute(insert(clients).values(
                reference=reference, display_name=name, created_at=created_at))
            client_id = new_id(result)
            derived.set_search_keys(connection, client_id, reference, name)
            self._audit(connection, desk, "client.create", f"client:{client_id}")
        return Client(client_id, reference, name, aware(created_at))

    def update_client(self, client_id: int, reference: str | None, display_name: str | None,
                      *, desk: str) -> Client:
        reference = clean_reference(reference)
        name = clean_text(display_name, DISPLAY_NAME_LENGTH, "display name", "表示名")
        with self._writing("client", "顧客") as connection:
            current = self._client_in(connection, client_id)
            self._refuse_taken_reference(connection, reference, client_id)
            connection.execute(update(clients).where(clients.c.id == client_id).values(
                reference=reference, display_name=name))
            derived.set_search_keys(connection, client_id, reference, name)
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
            name = clean_text(new_client[1], DISPLAY_NAME_LENGTH, "display name", "表示名")
        checked_at = utc_naive(at)
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
        values = saved_check_values(facts, checked_at)
        cleaned_desk = clean_desk(desk)
        with self._writing("check", "チェック結果") as connection:
            if client_id is None:
                self._refuse_taken_reference(connection, reference, None)
                created = connection.execute(insert(clients).values(
                    reference=reference, display_name=name, created_at=checked_at))
                client_id = new_id(created)
                derived.set_search_keys(connection, client_id, reference, name)
                self._audit(connection, desk, "client.create", f"client:{client_id}")
            else:
                self._client_in(connection, client_id, lock=True)
            result = connection.execute(insert(checks).values(
                client_id=client_id, checked_at=checked_at, desk=cleaned_desk,
                card_number_masked=masked,
                number_hmac=number_hmac, **values))
            check_id = new_id(result)
            if derived.mark_latest(connection, client_id, facts.kind):
                derived.refresh_keys(connection, [client_id])
            self._audit(connection, desk, "check.save", f"client:{client_id} check:{check_id}")
        return Check(
            id=check_id, client_id=client_id, checked_at=aware(checked_at), desk=cleaned_desk,
            card_kind=facts.kind, card_expiry=values["card_expiry"],
            residence_expiry=values["residence_expiry"],
            residence_expiry_source=values["residence_expiry_source"],
            no_period=values["no_period"], certificate_expiry=values["certificate_expiry"],
            renewal_pending=values["renewal_pending"], expiry_source=values["expiry_source"],
            findings=tuple(json.loads(values["findings"])), authenticity=values["authenticity"],
            card_number_masked=masked, card_expiry_source=values["card_expiry_source"])

    def history(self, client_id: int) -> list[Check]:
        """All the client's checks, newest first (``history_page`` for a page of them)."""
        with self._reading() as connection:
            self._client_in(connection, client_id)
            return [check for checks_page in self._history_pages(connection, client_id)
                    for check in checks_page]

    @staticmethod
    def _history_pages(connection: Connection, client_id: int) -> Iterator[tuple[Check, ...]]:
        number = 1
        while True:
            page = listing.history_page(connection, client_id, number, listing.STREAM_BATCH)
            yield page.items
            if not page.has_next:
                return
            number += 1

    def history_page(self, client_id: int, page: int = 1,
                     size: int = listing.PAGE_SIZE) -> Page[Check]:
        """A page of the client's checks, newest first (a page beyond the last: the last)."""
        with self._reading() as connection:
            self._client_in(connection, client_id)
            return listing.history_page(connection, client_id, page, size)

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
        return client_of(row) if row is not None else None

    # --- deadlines ------------------------------------------------------------------------

    def deadline_page(self, today: dt.date, keep: DeadlineFilter | None = None,
                      page: int = 1, size: int = listing.PAGE_SIZE) -> Page[DeadlineRow]:
        """A page of every client's dates judged on ``today`` (a JST date), most urgent
        first; a page beyond the last is the last."""
        with self._reading() as connection:
            return listing.deadline_page(connection, today, keep or DeadlineFilter(), page,
                                         size)

    @contextmanager
    def streaming_deadlines(self, today: dt.date,
                            keep: DeadlineFilter | None = None) -> Iterator[Iterator[DeadlineRow]]:
        """Every kept row, most urgent first, read a batch at a time while the caller
        iterates (an export): ``with register.streaming_deadlines(today) as rows: ...``."""
        with self._reading() as connection:
            yield self._guarded(listing.stream_deadlines(connection, today,
                                                         keep or DeadlineFilter()))

    def _guarded(self, rows: Iterator[DeadlineRow]) -> Iterator[DeadlineRow]:
        try:
            yield from rows
        except DBAPIError as exc:
            raise RegisterUnavailable(self.url_for_display, *cause_of(exc),
                                      *advice_for(self.url)) from None

    def deadlines(self, today: dt.date, *, within_days: int | None = None,
                  overdue_only: bool = False, pending_only: bool = False) -> list[DeadlineRow]:
        """Every client's dates judged on ``today`` (a JST date), most urgent first."""
        keep = DeadlineFilter(within_days, overdue_only, pending_only)
        with self.streaming_deadlines(today, keep) as rows:
            return list(rows)

    def deadlines_csv_chunks(self, today: dt.date,
                             keep: DeadlineFilter | None = None) -> Iterator[bytes]:
        """The deadlines as CSV (UTF-8 with a BOM, for Excel), a batch of rows at a time."""
        with self.streaming_deadlines(today, keep) as rows:
            yield from exports.deadlines_csv_chunks(rows)

    def deadlines_csv(self, today: dt.date, *, within_days: int | None = None,
                      overdue_only: bool = False, pending_only: bool = False) -> bytes:
        """The deadlines as CSV (UTF-8 with a BOM, for Excel)."""
        keep = DeadlineFilter(within_days, overdue_only, pending_only)
        return b"".join(self.deadlines_csv_chunks(today, keep))

    def history_csv(self, client_id: int) -> bytes:
        return exports.history_csv(self.history(client_id))

    def deadlines_ics_chunks(self, today: dt.date) -> Iterator[bytes]:
        """The dated deadlines as an iCalendar file with reminders, an event at a time."""
        with self.streaming_deadlines(today) as rows:
            yield from exports.deadlines_ics_chunks(rows, Thresholds(),
                                                    dt.datetime.now(dt.UTC))

    def deadlines_ics(self, today: dt.date) -> bytes:
        """The dated deadlines as an iCalendar file, with reminders."""
        return b"".join(self.deadlines_ics_chunks(today))

    # --- retention ------------------------------------------------------------------------

    def count_older_than(self, older_than: dt.date) -> int:
        """How many checks ``purge(older_than)`` would delete."""
        with self._reading() as connection:
            return retention.count_older_than(connection, older_than)

    def purge(self, older_than: dt.date, *, desk: str) -> int:
        """Delete the checks made before ``older_than`` (a JST date), and the clients left
        with no check (``retention.purge``). Returns how many checks went. On SQLite the
        deleted values are zeroed in the file (secure_delete) and the WAL is emptied."""
        with self._writing("purge", "削除") as connection:
            removed_checks, removed_clients = retention.purge(connection, older_than)
            self._audit(connection, desk, "register.purge",
                        f"before:{older_than.isoformat()} checks:{removed_checks} "
                        f"clients:{removed_clients}")
        if self.is_sqlite:
            retention.checkpoint(self.engine)
        return removed_checks

    def backup(self, path: Path) -> None:
        """A consistent copy of a SQLite register (``retention.backup_sqlite``). PostgreSQL:
        ``BackupUnsupported`` (use pg_dump). The caller records the audit line."""
        if not self.is_sqlite:
            raise BackupUnsupported(url=self.url_for_display)
        with self._reading() as connection:
            retention.backup_sqlite(connection, Path(path))


__all__ = ["MAX_ID", "Register"]
