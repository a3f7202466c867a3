"""Where the register lives and how it is connected to: the URL (default: a SQLite file in the
user data directory), the file's permissions, and each backend's transaction settings.

SQLite: WAL (readers never wait for the writer), a busy timeout (a second desk waits for the
first desk's write instead of failing), foreign keys on, and every write transaction begun
with ``BEGIN IMMEDIATE``: a deferred transaction that reads and then writes can fail at once
with "database is locked" when another desk wrote in between, whatever the timeout, while an
immediate one takes the write lock first and waits for it.
PostgreSQL: plain READ COMMITTED transactions; a connection is tested before use, so a desk
survives a server restart.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from cardtool.install import require_extra
from cardtool.register.errors import RegisterUnavailable

ENV_DATA_DIR = "CARDTOOL_DATA_DIR"
DEFAULT_FILE_NAME = "register.sqlite3"
#: How long a desk waits for another desk's write to finish before the save fails.
BUSY_TIMEOUT_SECONDS = 30.0
PG_CONNECT_TIMEOUT_SECONDS = 10
#: Execution option of a connection that will write (SQLite: BEGIN IMMEDIATE).
WRITE_OPTION = "cardtool_register_write"

_SQLITE_ADVICE = ("Check that the file exists and that its folder is writable, or name another "
                  "register with --db (sqlite:///PATH or postgresql+psycopg://…).",
                  "ファイルが存在し、そのフォルダーに書き込めるか確認するか、--db で別の台帳を"
                  "指定してください(sqlite:///PATH または postgresql+psycopg://…)。")
_PG_ADVICE = ("Check that the PostgreSQL server is running and reachable, and that the user, "
              "password and database in the URL are right (--db).",
              "PostgreSQL サーバーが起動していて接続できるか、URL のユーザー・パスワード・"
              "データベース名が正しいか確認してください(--db)。")


def default_directory() -> Path:
    """``CARDTOOL_DATA_DIR``, else the platform's user data directory for cardtool."""
    explicit = os.environ.get(ENV_DATA_DIR, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("cardtool", appauthor=False))


def display_url(url: URL | str) -> str:
    """The URL with its password masked, for messages and the desk's status line."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        # Not a URL SQLAlchemy can parse: mask anything between "user:" and "@" anyway.
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def advice_for(url: URL) -> tuple[str, str]:
    return _SQLITE_ADVICE if url.get_backend_name() == "sqlite" else _PG_ADVICE


def resolve_url(url: str | None) -> URL:
    """The register's URL. None: the default SQLite file; a bare path: a SQLite file;
    ``postgresql://`` means ``postgresql+psycopg://`` (the driver cardtool installs)."""
    if url is None:
        return URL.create("sqlite+pysqlite", database=str(default_directory() / DEFAULT_FILE_NAME))
    if "://" not in url:
        return URL.create("sqlite+pysqlite", database=str(Path(url).expanduser()))
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise RegisterUnavailable(
            display_url(url), "not a database URL", "データベースの URL ではありません",
            "Use sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST/DBNAME.",
            "sqlite:///PATH または postgresql+psycopg://USER:PASSWORD@HOST/DBNAME の形で"
            "指定してください。") from None
    try:
        backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    except NoSuchModuleError:  # a scheme SQLAlchemy has no dialect for (foo://…)
        backend, driver = "", ""
    if backend in ("postgresql", "postgres") and driver in ("psycopg2", "psycopg", ""):
        # Written as postgresql://…: SQLAlchemy would pick psycopg2, which is not installed.
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and driver == "pysqlite":
        if parsed.database in (None, "", ":memory:"):
            raise RegisterUnavailable(
                display_url(parsed), "a register must be a file", "台帳はファイルが必要です",
                *_SQLITE_ADVICE)
        return parsed
    raise RegisterUnavailable(
        display_url(parsed), f"the database kind '{parsed.drivername}' is not supported",
        f"データベースの種類 '{parsed.drivername}' には対応していません",
        "Use SQLite (sqlite:///PATH) or PostgreSQL (postgresql+psycopg://…).",
        "SQLite(sqlite:///PATH)か PostgreSQL(postgresql+psycopg://…)を使ってください。")


def _is_sqlite_uri(url: URL) -> bool:
    return str(url.query.get("uri", "")).lower() in ("true", "1")


def prepare_sqlite_file(url: URL, *, default_location: bool) -> None:
    """Create the SQLite file with mode 0600 before SQLite does (SQLite would make it 0644
    under the usual umask; the WAL and shared-memory files copy the main file's mode). The
    default directory is created with mode 0700. A file that exists keeps its mode."""
    if _is_sqlite_uri(url) or url.database is None:
        return  # a file: URI (e.g. mode=ro) says itself how the file is opened
    path = Path(url.database)
    try:
        if default_location and not path.parent.exists():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(path.parent, 0o700)  # mkdir's mode is reduced by the umask
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
        os.close(fd)
    except FileExistsError:
        return
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            detail = ("the disk is full", "ディスクの空き容量がありません")
        elif exc.errno == errno.ENOENT:
            detail = ("its folder does not exist", "フォルダーが存在しません")
        elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            detail = ("no permission to create the file", "ファイルを作成する権限がありません")
        else:
            detail = (exc.strerror or "cannot create the file",
                      exc.strerror or "ファイルを作成できません")
        raise RegisterUnavailable(display_url(url), *detail, *_SQLITE_ADVICE) from None


def read_only_media_url(url: URL) -> URL:
    """The URL to open a SQLite register with. A register on a read-only file system (a
    share mounted read-only, a backup medium) cannot be opened as usual: a WAL database
    needs its shared-memory file, which cannot be created there. Nobody can write to it
    either, so it is opened immutable and read-only: its pages show, and every write is
    refused as read-only (RegisterWriteFailed), not as "cannot be opened"."""
    if _is_sqlite_uri(url) or url.database is None:
        return url
    path = Path(url.database)
    try:
        read_only = path.is_file() and bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return url
    if not read_only:
        return url
    return url.set(database=f"file:{path}").update_query_dict(
        {"mode": "ro", "immutable": "1", "uri": "true"})


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # cardtool emits BEGIN itself (_sqlite_on_begin); pysqlite's own implicit BEGIN is
    # deferred and cannot be made immediate per transaction.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
        # Deleted and overwritten values are zeroed in the file, not left in free pages: a
        # purged client's name or an edited display name must really be gone.
        cursor.execute("PRAGMA secure_delete = ON")
        # Persistent once set; a read-only connection keeps whatever mode the file has.
        cursor.execute("PRAGMA journal_mode = WAL")
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    write = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def create_register_engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    # PostgreSQL's driver is its own extra: without it, one line naming the extra (exit 2).
    require_extra("pg", "A PostgreSQL register", "PostgreSQL の台帳")
    return create_engine(url, pool_pre_ping=True,
                         connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_SECONDS})


__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "DEFAULT_FILE_NAME",
    "ENV_DATA_DIR",
    "WRITE_OPTION",
    "advice_for",
    "create_register_engine",
    "default_directory",
    "display_url",
    "prepare_sqlite_file",
    "read_only_media_url",
    "resolve_url",
]
