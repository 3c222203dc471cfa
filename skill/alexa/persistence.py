"""Where a person's progress is kept: SQLite locally, DynamoDB on AWS, same adapter interface.

``adapter_from_env`` chooses: ``WORKOUT_TABLE`` set means DynamoDB (``DYNAMODB_ENDPOINT_URL``
for a local DynamoDB-compatible endpoint); unset means SQLite at ``STRONG_BACK_DB``. The
DynamoDB adapter module is imported only on that path: importing it builds a boto3 resource
at import time, which fails where no AWS region is configured.
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


class ConfigurationError(RuntimeError):
    """The deployment is missing a setting it needs; the message says which."""


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


class SQLitePersistenceAdapter(AbstractPersistenceAdapter):
    """One JSON document per user in a SQLite file (WAL, atomic commits, one connection per thread).

    A file that is not a readable database is moved aside with a warning and a fresh one started.
    """

    def __init__(self, path: Path | str, key: Callable[[RequestEnvelope], str] = user_key) -> None:
        self.path = Path(path)
        self.key = key
        self._local = threading.local()
        self._init_lock = threading.Lock()
        self.moved_aside: Path | None = None

    # ----- connection -------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is not None:
            return connection
        with self._init_lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                connection = self._open()
            except sqlite3.DatabaseError as error:
                connection = self._recover(error)
        self._local.connection = connection
        return connection

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=5.0, isolation_level=None, check_same_thread=False)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA busy_timeout=5000")
            connection.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS attributes (id TEXT PRIMARY KEY, body TEXT NOT NULL, updated REAL NOT NULL)"
            )
            connection.execute(
                "INSERT OR IGNORE INTO meta (name, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
            connection.execute("SELECT count(*) FROM attributes").fetchone()
        except sqlite3.DatabaseError:
            connection.close()
            raise
        return connection

    def _recover(self, error: Exception) -> sqlite3.Connection:
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        log.warning(
            "progress file %s could not be read (%s); moved it to %s and started afresh", self.path, error, aside
        )
        for suffix in ("", "-wal", "-shm"):
            candidate = Path(f"{self.path}{suffix}")
            if candidate.exists():
                candidate.replace(Path(f"{aside}{suffix}"))
        self.moved_aside = aside
        return self._open()

    # ----- the adapter interface ----------------------------------------------------------
    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        key = self.key(request_envelope)
        try:
            row = self._connect().execute("SELECT body FROM attributes WHERE id = ?", (key,)).fetchone()
        except sqlite3.Error as error:
            raise PersistenceException(f"could not read progress: {error}") from error
        if row is None:
            return {}
        try:
            value = json.loads(row[0])
        except json.JSONDecodeError:
            log.warning("stored progress for one user was unreadable and is ignored")
            return {}
        return value if isinstance(value, dict) else {}

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: dict[str, Any]) -> None:
        key = self.key(request_envelope)
        body = json.dumps(attributes, separators=(",", ":"))
        try:
            self._connect().execute(
                "INSERT INTO attributes (id, body, updated) VALUES (?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET body = excluded.body, updated = excluded.updated",
                (key, body, time.time()),
            )
        except sqlite3.Error as error:
            raise PersistenceException(f"could not save progress: {error}") from error

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        try:
            self._connect().execute("DELETE FROM attributes WHERE id = ?", (self.key(request_envelope),))
        except sqlite3.Error as error:
            raise PersistenceException(f"could not delete progress: {error}") from error


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


def dynamodb_adapter(table: str, endpoint_url: str | None = None) -> AbstractPersistenceAdapter:
    """ask-sdk's DynamoDB adapter over a boto3 resource made here, with our own endpoint and timeouts."""
    import boto3
    from botocore.config import Config

    resource = boto3.resource(
        "dynamodb",
        endpoint_url=endpoint_url or None,
        config=Config(connect_timeout=1.0, read_timeout=1.5, retries={"max_attempts": 3, "mode": "standard"}),
    )
    from ask_sdk_dynamodb.adapter import DynamoDbAdapter

    return DynamoDbAdapter(
        table_name=table,
        partition_key_name="id",
        attribute_name="attributes",
        create_table=False,
        partition_keygen=user_key,
        dynamodb_resource=resource,
    )


def adapter_from_env(environ: Mapping[str, str] | None = None) -> AbstractPersistenceAdapter:
    """DynamoDB when ``WORKOUT_TABLE`` is set, otherwise SQLite at ``STRONG_BACK_DB``."""
    env = os.environ if environ is None else environ
    require_table_on_lambda(env)
    table = env.get("WORKOUT_TABLE")
    if table:
        return dynamodb_adapter(table, env.get("DYNAMODB_ENDPOINT_URL"))
    return SQLitePersistenceAdapter(default_db_path(env))
