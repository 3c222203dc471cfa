"""Progress in a SQLite file: the laptop coach's and a self-hosted server's default storage.

One row per person: ``(id, body, updated, revision)``. Every write is one transaction in WAL
mode, so a process killed at any moment leaves either the old or the new document, never half
of one. A conditional write takes the write lock first (``BEGIN IMMEDIATE``) and compares the
revision under it, so threads and processes sharing the file never lose each other's writes.
A file that is not a readable database is moved aside (``<name>.corrupt-<time>``), a fresh one
is started, and the next read carries a ``MovedAside`` notice so the person is told where the
old file went.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from skill.storage.base import MovedAside, ProgressStore, Resolve, StaleRevision, StoredDocument

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)
T = TypeVar("T")
SCHEMA_VERSION = 2  # 2: documents have a revision
REVISION_NAME = "revision"
BUSY_SECONDS = 2.0  # how long a write waits for another process's lock


def _is_corruption(error: sqlite3.Error) -> bool:
    """The file is not a database, or its pages are damaged (not: locked, read-only, disk full)."""
    name = getattr(error, "sqlite_errorname", "")
    return name in {"SQLITE_CORRUPT", "SQLITE_NOTADB"} or type(error) is sqlite3.DatabaseError


class SQLiteStore(ProgressStore):
    """Documents in one SQLite file, a connection per thread."""

    def __init__(self, path: Path | str, resolve: Resolve) -> None:
        super().__init__(resolve)
        self.path = Path(path)
        self.moved_aside: Path | None = None
        self._untold: Path | None = None
        self._local = threading.local()
        self._lock = threading.Lock()
        self._generation = 0  # bumped when the file is replaced: other threads reconnect

    def _describe(self) -> str:
        return str(self.path)

    # ----- the primitives ---------------------------------------------------------------------
    def _get(self, key: str) -> StoredDocument:
        rows = self._with_connection(
            lambda connection: connection.execute(
                "SELECT body, revision FROM attributes WHERE id = ?", (key,)
            ).fetchall()
        )
        notice = None
        if self._untold is not None:
            with self._lock:  # told once, even when several requests read at the same moment
                moved, self._untold = self._untold, None
            notice = MovedAside(moved) if moved is not None else None
        if not rows:
            return StoredDocument(notice=notice)
        return StoredDocument(_parse(rows[0][0]), int(rows[0][1]), notice)

    def _put_if(self, key: str, document: dict[str, Any], revision: int) -> None:
        self._with_connection(lambda connection: self._write(connection, key, document, revision))

    def _delete(self, key: str) -> None:
        self._with_connection(lambda connection: connection.execute("DELETE FROM attributes WHERE id = ?", (key,)))

    def _write(self, connection: sqlite3.Connection, key: str, document: dict[str, Any], revision: int) -> None:
        connection.execute("BEGIN IMMEDIATE")  # the write lock first: nobody writes between our check and write
        try:
            row = connection.execute("SELECT body, revision FROM attributes WHERE id = ?", (key,)).fetchone()
            current = int(row[1]) if row else 0
            if current != revision:
                raise StaleRevision(StoredDocument(_parse(row[0]) if row else {}, current))
            if row is None:
                connection.execute(
                    "INSERT INTO attributes (id, body, updated, revision) VALUES (?, ?, ?, 1)",
                    (key, _dump(document), time.time()),
                )
            else:
                connection.execute(
                    "UPDATE attributes SET body = ?, updated = ?, revision = ? WHERE id = ?",
                    (_dump(document), time.time(), current + 1, key),
                )
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise

    # ----- the connection ---------------------------------------------------------------------
    def _with_connection(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work`` on this thread's connection; a damaged file is moved aside and ``work`` tried once more."""
        try:
            return work(self._connect())
        except sqlite3.Error as error:
            if not _is_corruption(error):
                raise
            self._replace_damaged(error)
        return work(self._connect())

    def _connect(self) -> sqlite3.Connection:
        cached: tuple[int, sqlite3.Connection] | None = getattr(self._local, "connection", None)
        if cached is not None and cached[0] == self._generation:
            return cached[1]
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                connection = self._open()
            except sqlite3.Error as error:
                if not _is_corruption(error):
                    raise
                self._move_aside(error)
                connection = self._open()
            self._local.connection = (self._generation, connection)
        return connection

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
        try:
            check = connection.execute("PRAGMA quick_check").fetchone()  # before anything writes to the file
            if not check or check[0] != "ok":
                raise sqlite3.DatabaseError(f"quick_check: {check[0] if check else 'no answer'}")
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a killed process loses nothing committed
            connection.execute(
                "CREATE TABLE IF NOT EXISTS attributes (id TEXT PRIMARY KEY, body TEXT NOT NULL, updated REAL NOT NULL,"
                " revision INTEGER NOT NULL DEFAULT 0)"
            )
            _add_revision_column(connection)
            connection.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
            version = connection.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
            if version is None or version[0] != str(SCHEMA_VERSION):  # a write only when something changes
                connection.execute(
                    "INSERT INTO meta (name, value) VALUES ('schema_version', ?) "
                    "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                    (str(SCHEMA_VERSION),),
                )
        except sqlite3.Error:
            connection.close()
            raise
        return connection

    def _move_aside(self, error: Exception) -> None:
        """Move the unreadable file (and its WAL) aside; callers hold ``_lock``."""
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        log.warning("progress file %s could not be read (%s); moved it to %s", self.path, error, aside)
        cached = getattr(self._local, "connection", None)
        if cached is not None:
            cached[1].close()
            self._local.connection = None
        for suffix in ("", "-wal", "-shm"):
            candidate = Path(f"{self.path}{suffix}")
            if candidate.exists():
                candidate.replace(Path(f"{aside}{suffix}"))
        self._generation += 1
        self.moved_aside = self._untold = aside

    def _replace_damaged(self, error: Exception) -> None:
        """Move the file aside unless another thread already has since this thread connected."""
        cached = getattr(self._local, "connection", None)
        with self._lock:
            if cached is None or cached[0] == self._generation:
                self._move_aside(error)


def _dump(document: Mapping[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"))


def _parse(body: str) -> dict[str, Any]:
    """A stored body as a dict; an unreadable one counts as nothing stored (and is logged)."""
    try:
        value = json.loads(body)
    except json.JSONDecodeError:
        log.warning("stored progress for one user was unreadable and is ignored")
        return {}
    return value if isinstance(value, dict) else {}


def _add_revision_column(connection: sqlite3.Connection) -> None:
    """Files from before revisions get the column (every document at revision 0)."""
    columns = {row[1] for row in connection.execute("PRAGMA table_info(attributes)")}
    if REVISION_NAME in columns:
        return
    try:
        connection.execute("ALTER TABLE attributes ADD COLUMN revision INTEGER NOT NULL DEFAULT 0")
    except sqlite3.OperationalError as error:
        if "duplicate column" not in str(error):  # another process added it first
            raise
