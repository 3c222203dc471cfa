"""Where a person's progress is kept: SQLite locally, DynamoDB on AWS, same adapter interface.

``adapter_from_env`` chooses: ``WORKOUT_TABLE`` set means DynamoDB (``DYNAMODB_ENDPOINT_URL``
for a local DynamoDB-compatible endpoint); unset means SQLite at ``STRONG_BACK_DB``. The
DynamoDB adapter (``skill.alexa.dynamodb``) is imported only on that path: it imports boto3,
and ask-sdk's adapter module builds a boto3 resource at import time, which fails where no AWS
region is configured.

Adapters store and load one JSON-safe dict per user and never interpret it.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from ask_sdk_model import RequestEnvelope

log = logging.getLogger(__name__)
SCHEMA_VERSION = 1
PARTITION_KEY = "id"  # the table's hash key in template.yaml
ATTRIBUTE_NAME = "attributes"  # the item attribute that holds the document (ask-sdk's default)
SQLITE_BUSY_SECONDS = 2.0  # how long a write waits for another process's lock


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
    """One JSON document per user in a SQLite file.

    Every save is one autocommit statement in WAL mode, so a process killed at any moment leaves
    either the old or the new document, never half of one. A file that is not a readable database
    is moved aside (``<name>.corrupt-<time>``), a fresh one is started, and the next read raises
    ``ProgressReset`` once so that the person is told where the old file went.
    """

    def __init__(self, path: Path | str, key: Callable[[RequestEnvelope], str] = user_key) -> None:
        self.path = Path(path)
        self.key = key
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
                "CREATE TABLE IF NOT EXISTS attributes (id TEXT PRIMARY KEY, body TEXT NOT NULL, updated REAL NOT NULL)"
            )
            connection.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
            connection.execute(
                "INSERT OR IGNORE INTO meta (name, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
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
        for attempt in (1, 2):
            try:
                return self._connect().execute(sql, params).fetchall()
            except sqlite3.Error as error:
                if attempt == 1 and _is_corruption(error):
                    self._replace_damaged(error)
                    continue
                raise PersistenceException(f"could not {what} progress in {self.path}: {error}") from error
        raise AssertionError("unreachable")

    # ----- the adapter interface ----------------------------------------------------------
    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        rows = self._run("read", "SELECT body FROM attributes WHERE id = ?", (self.key(request_envelope),))
        if self._untold is not None:
            moved, self._untold = self._untold, None
            raise ProgressReset(moved)
        if not rows:
            return {}
        try:
            value = json.loads(rows[0][0])
        except json.JSONDecodeError:
            log.warning("stored progress for one user was unreadable and is ignored")
            return {}
        return value if isinstance(value, dict) else {}

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: dict[str, Any]) -> None:
        body = json.dumps(attributes, separators=(",", ":"))
        self._run(
            "save",
            "INSERT INTO attributes (id, body, updated) VALUES (?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET body = excluded.body, updated = excluded.updated",
            (self.key(request_envelope), body, time.time()),
        )

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        self._run("delete", "DELETE FROM attributes WHERE id = ?", (self.key(request_envelope),))


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
    """The DynamoDB adapter for ``table``, over ``resource`` or a boto3 resource made here, now."""
    from skill.alexa.dynamodb import make_resource, workout_table_adapter

    return workout_table_adapter(table, resource if resource is not None else make_resource(endpoint_url), user_key)


def adapter_from_env(environ: Mapping[str, str] | None = None) -> AbstractPersistenceAdapter:
    """DynamoDB when ``WORKOUT_TABLE`` is set, otherwise SQLite at ``STRONG_BACK_DB``."""
    env = os.environ if environ is None else environ
    require_table_on_lambda(env)
    table = env.get("WORKOUT_TABLE")
    if table:
        return dynamodb_adapter(table, env.get("DYNAMODB_ENDPOINT_URL"))
    return SQLitePersistenceAdapter(default_db_path(env))
