"""ask-sdk's persistence interface over a ``ProgressStore``: the person's Alexa user id is the key.

``CustomSkillBuilder(persistence_adapter=...)`` takes an ``AbstractPersistenceAdapter``; this one
only maps a request envelope to its key and hands the document to the store (``skill.storage``),
which knows nothing of Alexa. ``get_attributes`` returns the store's ``StoredDocument`` (the
revision it was read at, and any notice for the person); saving it is conditional on that revision.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

from skill.errors import StorageError
from skill.storage import dynamodb_store, sqlite_store, store_from_settings

if TYPE_CHECKING:
    from pathlib import Path

    from ask_sdk_model import RequestEnvelope

    from skill.config import Settings
    from skill.storage.base import ProgressStore, StoredDocument

Key = Callable[[Any], str]


def user_key(request_envelope: RequestEnvelope) -> str:
    """The person's key: the Alexa user id (as ask-sdk's ``user_id_keygen``)."""
    context = request_envelope.context
    system = context.system if context is not None else None
    user = system.user if system is not None else None
    user_id = user.user_id if user is not None else None
    if not user_id:
        raise StorageError("the request has no user id to keep progress under")
    return str(user_id)


class ProgressAdapter(AbstractPersistenceAdapter):
    """The three methods ask-sdk calls, on a ``ProgressStore`` keyed by ``key(request_envelope)``."""

    def __init__(self, store: ProgressStore, key: Key = user_key) -> None:
        self.store = store
        self.key = key

    def get_attributes(self, request_envelope: RequestEnvelope) -> StoredDocument:
        return self.store.read(self.key(request_envelope))

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: dict[str, Any]) -> None:
        self.store.save(self.key(request_envelope), attributes)

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        self.store.delete(self.key(request_envelope))


def sqlite_adapter(path: Path | str, key: Key = user_key) -> ProgressAdapter:
    """Progress in a SQLite file."""
    return ProgressAdapter(sqlite_store(path), key)


def dynamodb_adapter(table: str, endpoint_url: str | None = None, clients: Any = None) -> ProgressAdapter:
    """Progress in a DynamoDB table (botocore is imported only here)."""
    return ProgressAdapter(dynamodb_store(table, endpoint_url, clients))


def adapter_from_settings(settings: Settings) -> ProgressAdapter:
    """Storage as the environment chooses it (``skill.storage.store_from_settings``)."""
    return ProgressAdapter(store_from_settings(settings))
