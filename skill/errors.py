"""The project's one exception base, and the errors that cross module boundaries.

Every error Strong Back raises on purpose is a ``StrongBackError``, so a front end can tell
"something we report in words" from a bug. Errors that belong to one module (``CatalogError``,
``PlanError``, ``StateError``, ...) are defined there, under this base.
"""

from __future__ import annotations


class StrongBackError(Exception):
    """Base of every error Strong Back raises on purpose; its message is written for people."""


class ConfigurationError(StrongBackError):
    """The deployment is missing a setting it needs, or has one that cannot work; the message says which."""


class StorageError(StrongBackError):
    """A person's progress could not be read or written."""


class WriteConflict(StorageError):
    """The document kept changing under this save, more often than it was worth trying again."""
