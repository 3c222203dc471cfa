"""Where a person's progress is kept: SQLite locally, DynamoDB on AWS, same adapter interface.

``adapter_from_env`` chooses: ``WORKOUT_TABLE`` set means DynamoDB (``DYNAMODB_ENDPOINT_URL``
for a local DynamoDB-compatible endpoint); unset means SQLite at ``STRONG_BACK_DB``. The
DynamoDB adapter (``skill.alexa.dynamodb``) is imported only on that path: it imports boto3,
and ask-sdk's adapter module builds a boto3 resource at import time, which fails where no AWS
region is configured.

Adapters store and load one JSON-safe dict per user and never interpret it themselves.

Writes are conditional (optimistic concurrency), so that two devices of one person cannot
silently undo each other's progress. Every stored document has a revision, 1 for its first
write and one more for every write after. ``get_attributes`` returns a ``StoredDocument``: the
dict, remembering the revision it was read at. Saving a ``StoredDocument`` writes only if the
stored revision is still that one; if someone else has written since, the adapter takes what is
stored now (SQLite reads it under the write lock, DynamoDB returns it with the failed condition),
merges this request's document into it with its ``resolve`` function (by default
``skill.progress.merge_attributes``) and writes the result instead, within the same call. Saving
a plain dict writes it over whatever is stored (tools and tests that set a document up).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException

from skill.progress import merge_attributes

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ask_sdk_model import RequestEnvelope

log = logging.getLogger(__name__)
T = TypeVar("T")
SCHEMA_VERSION = 2  # 2: documents have a revision
PARTITION_KEY = "id"  # the table's hash key in template.yaml
ATTRIBUTE_NAME = "attributes"  # the item attribute that holds the document (ask-sdk's default)
REVISION_NAME = "revision"  # the item attribute (DynamoDB) or column (SQLite) with the document's revision
SQLITE_BUSY_SECONDS = 2.0  # how long a write waits for another process's lock

Resolve = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
"""``resolve(stored, mine)``: the document to write when ``stored`` was written after ``mine``'s was read."""


class StoredDocument(dict[str, Any]):
    """A person's document as read from storage, and the revision it was read at (0: nothing stored).

    It is a plain dict in every other way. Saving one is conditional on that revision.
    """

    def __init__(self, document: Mapping[str, Any] | None = None, revision: int = 0) -> None:
        super().__init__(document or {})
        self.revision = revision


class WriteConflict(PersistenceException):
    """The document kept changing under this save, more often than it was worth trying again."""


class ConfigurationError(RuntimeError):
    """The deployment is missing a setting it needs; the message says which."""


class ProgressReset(PersistenceException):
    """Raised once by ``get_attributes`` after a damaged progress file was moved aside.

    The person starts afresh; ``moved_to`` is where the unreadable file now is, so they can be told.
    """

    def __init__(self, moved_to: Path) -> None:
        super().__init__(f"the progress file could not be read and was moved to {moved_to}")
        self.moved_to = moved_to


def user_key(request_envelope: RequestEnvelope) -> str:
    """The partition key: the Alexa user id (as ask-sdk's ``user_id_keygen``)."""
    context = request_envelope.context
    system = context.system if context is not None else None
    user = system.user if system is not None else None
    user_id = user.user_id if user is not None else None
    if not user_id:
        raise PersistenceException("the request has no user id to keep progress under")
    return str(user_id)


def default_db_path(environ: Mapping[str, str] | None = None) -> Path:
    """``STRONG_BACK_DB``, else ``$XDG_DATA_HOME/strong-back/strong-back.db``."""
    env = os.environ if environ is None else environ
    if env.get("STRONG_BACK_DB"):
        return Path(env["STRONG_BACK_DB"]).expanduser()
    base = Path(env.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "strong-back" / "strong-back.db"


def _is_corruption(error: sqlite3.Error) -> bool:
    """The file is not a database, or its pages are damaged (not: locked, read-only, disk full)."""
    name = getattr(error, "sqlite_errorname", "")
    return name in {"SQLITE_CORRUPT", "SQLITE_NOTADB"} or type(error) is sqlite3.DatabaseError


class SQLitePersistenceAdapter(AbstractPersistenceAdapter):
    """One JSON document per user in a SQLite file, with its revision.

    Every save is one transaction in WAL mode, so a process killed at any moment leaves either the
    old or the new document, never half of one. A conditional save (a ``StoredDocument``) takes the
    write lock first (``BEGIN IMMEDIATE``), merges if the stored revision has moved on, and writes
    with ``UPDATE ... WHERE revision = ?``: threads and processes sharing the file never lose each
    other's writes, and a save never has to be tried again. A file that is not a readable database
    is moved aside (``<name>.corrupt-<time>``), a fresh one is started, and the next read raises
    ``ProgressReset`` once so that the person is told where the old file went.
    """

    def __init__(
        self, path: Path | str, key: Callable[[RequestEnvelope], str] = user_key, resolve: Resolve = merge_attributes
    ) -> None:
        self.path = Path(path)
        self.key = key
        self.resolve = resolve
        self.moved_aside: Path | None = None
        self._untold: Path | None = None
        self._local = threading.local()
        self._lock = threading.Lock()
        self._generation = 0  # bumped when the file is replaced: other threads reconnect

    # ----- connection -------------------------------------------------------------------
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
        connection = sqlite3.connect(
            self.path, timeout=SQLITE_BUSY_SECONDS, isolation_level=None, check_same_thread=False
        )
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

    def _run(self, what: str, sql: str, params: tuple[Any, ...]) -> list[Any]:
        """Run one statement; a file found damaged on the way is moved aside and the statement retried once."""
        return self._with_connection(what, lambda connection: connection.execute(sql, params).fetchall())

    def _with_connection(self, what: str, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work`` on this thread's connection; a damaged file is moved aside and ``work`` tried once more."""
        for attempt in (1, 2):
            try:
                return work(self._connect())
            except sqlite3.Error as error:
                if attempt == 1 and _is_corruption(error):
                    self._replace_damaged(error)
                    continue
                raise PersistenceException(f"could not {what} progress in {self.path}: {error}") from error
        raise AssertionError("unreachable")

    # ----- the adapter interface ----------------------------------------------------------
    def get_attributes(self, request_envelope: RequestEnvelope) -> StoredDocument:
        rows = self._run("read", "SELECT body, revision FROM attributes WHERE id = ?", (self.key(request_envelope),))
        if self._untold is not None:
            with self._lock:  # told once, even when several requests read at the same moment
                moved, self._untold = self._untold, None
            if moved is not None:
                raise ProgressReset(moved)
        if not rows:
            return StoredDocument()
        return StoredDocument(_parse(rows[0][0]), int(rows[0][1]))

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: dict[str, Any]) -> None:
        key = self.key(request_envelope)
        if isinstance(attributes, StoredDocument):
            self._with_connection("save", lambda connection: self._save_if(connection, key, attributes))
            return
        self._run(
            "save",
            "INSERT INTO attributes (id, body, updated, revision) VALUES (?, ?, ?, 1) "
            "ON CONFLICT(id) DO UPDATE SET body = excluded.body, updated = excluded.updated, "
            "revision = attributes.revision + 1",
            (key, _dump(attributes), time.time()),
        )

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        self._run("delete", "DELETE FROM attributes WHERE id = ?", (self.key(request_envelope),))

    def _save_if(self, connection: sqlite3.Connection, key: str, document: StoredDocument) -> None:
        """Write ``document`` as the next revision, merged into what is stored if that moved on since it was read."""
        connection.execute("BEGIN IMMEDIATE")  # the write lock first: nobody writes between our read and write
        try:
            row = connection.execute("SELECT body, revision FROM attributes WHERE id = ?", (key,)).fetchone()
            current = int(row[1]) if row else 0
            body = dict(document)
            if current != document.revision:
                log.info("progress changed since it was read (revision %d, now %d)", document.revision, current)
                body = self.resolve(_parse(row[0]) if row else {}, body)
            if row is None:
                connection.execute(
                    "INSERT INTO attributes (id, body, updated, revision) VALUES (?, ?, ?, 1)",
                    (key, _dump(body), time.time()),
                )
            else:
                written = connection.execute(
                    "UPDATE attributes SET body = ?, updated = ?, revision = ? WHERE id = ? AND revision = ?",
                    (_dump(body), time.time(), current + 1, key, current),
                ).rowcount
                if written != 1:  # cannot happen while we hold the write lock
                    raise sqlite3.OperationalError("the stored revision moved while the write lock was held")
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise


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


def on_lambda(environ: Mapping[str, str]) -> bool:
    return bool(environ.get("AWS_LAMBDA_FUNCTION_NAME"))


def require_table_on_lambda(environ: Mapping[str, str] | None = None) -> None:
    """On Lambda, progress must go to DynamoDB: a missing ``WORKOUT_TABLE`` is a start-up error."""
    env = os.environ if environ is None else environ
    if on_lambda(env) and not env.get("WORKOUT_TABLE"):
        raise ConfigurationError(
            "WORKOUT_TABLE is not set: on AWS Lambda Strong Back keeps progress in DynamoDB. "
            "Deploy with template.yaml (it creates the table and sets WORKOUT_TABLE), or set it to your table's name."
        )


def dynamodb_adapter(table: str, endpoint_url: str | None = None, resource: Any = None) -> AbstractPersistenceAdapter:
    """The DynamoDB adapter for ``table``, over ``resource`` or a boto3 resource per thread made here."""
    from skill.alexa.dynamodb import make_resource, workout_table_adapter

    return workout_table_adapter(
        table, resource if resource is not None else make_resource(endpoint_url), user_key, merge_attributes
    )


def adapter_from_env(environ: Mapping[str, str] | None = None) -> AbstractPersistenceAdapter:
    """DynamoDB when ``WORKOUT_TABLE`` is set, otherwise SQLite at ``STRONG_BACK_DB``."""
    env = os.environ if environ is None else environ
    require_table_on_lambda(env)
    table = env.get("WORKOUT_TABLE")
    if table:
        return dynamodb_adapter(table, env.get("DYNAMODB_ENDPOINT_URL"))
    return SQLitePersistenceAdapter(default_db_path(env))
