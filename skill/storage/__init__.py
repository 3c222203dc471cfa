"""Where a person's progress is kept: SQLite locally, DynamoDB on AWS, behind one interface.

``base`` holds what every backend shares (the stored document, the errors, the one
save-and-merge loop); ``sqlite`` and ``dynamodb`` are the backends. ``store_from_settings``
chooses, as the contract says: ``WORKOUT_TABLE`` set means DynamoDB (``DYNAMODB_ENDPOINT_URL``
for a local DynamoDB-compatible endpoint); unset means SQLite at ``STRONG_BACK_DB``. The
DynamoDB backend is imported only on that path, so the laptop coach never imports botocore.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from skill.errors import ConfigurationError
from skill.progress import merge_attributes
from skill.storage.sqlite import SQLiteStore

if TYPE_CHECKING:
    from skill.config import Settings
    from skill.storage.base import ProgressStore


def require_table_on_lambda(settings: Settings) -> None:
    """On Lambda, progress must go to DynamoDB: a missing ``WORKOUT_TABLE`` is a start-up error."""
    if settings.on_lambda and not settings.workout_table:
        raise ConfigurationError(
            "WORKOUT_TABLE is not set: on AWS Lambda Strong Back keeps progress in DynamoDB. "
            "Deploy with template.yaml (it creates the table and sets WORKOUT_TABLE), or set it to your table's name."
        )


def dynamodb_store(table: str, endpoint_url: str | None = None, clients: Any = None) -> ProgressStore:
    """Progress in DynamoDB ``table``, over ``clients`` or botocore clients (one per thread) made here."""
    from skill.storage.dynamodb import DynamoDBStore, make_client  # botocore: only on this path

    return DynamoDBStore(table, clients if clients is not None else make_client(endpoint_url), merge_attributes)


def sqlite_store(path: Any) -> SQLiteStore:
    """Progress in the SQLite file at ``path``."""
    return SQLiteStore(path, merge_attributes)


def store_from_settings(settings: Settings) -> ProgressStore:
    """DynamoDB when ``WORKOUT_TABLE`` is set, otherwise SQLite at ``STRONG_BACK_DB``."""
    require_table_on_lambda(settings)
    if settings.workout_table:
        return dynamodb_store(settings.workout_table, settings.dynamodb_endpoint_url)
    return sqlite_store(settings.db_path)
