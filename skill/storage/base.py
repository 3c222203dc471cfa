"""What every storage backend shares: the stored document, the errors, and the one save loop.

A person's progress is one JSON-safe document under a key (their Alexa user id). Every stored
document has a revision: 1 for its first write, one more for every write after. ``read`` returns
a ``StoredDocument``: the dict, remembering the revision it was read at. ``save`` of a
``StoredDocument`` writes only if the stored revision is still that one; if someone else wrote
in between (another device of the same person), the backend reports what is stored now, the
store merges this request's document into it with its ``resolve`` function
(``skill.progress.merge_attributes``) and tries again, within one time budget. Saving a plain
dict writes it over whatever is stored (tools and tests that set a document up).

A backend implements three primitives: ``_get(key)``, ``_put_if(key, document, revision)``
(raising ``StaleRevision`` with what is stored now when the revision moved) and ``_delete(key)``,
and says which of its own errors are worth another attempt (``_retryable``).
"""

from __future__ import annotations

import logging
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from skill.errors import StorageError, WriteConflict

if TYPE_CHECKING:
    from pathlib import Path

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_SAVE_ROUNDS = 10  # conditional writes per save at most (the time budget usually ends a contest first)
CONFLICT_PAUSE_SECONDS = 0.005  # after a lost race the merged document is current: try again at once (jittered)
FIRST_BACKOFF_SECONDS = 0.05
MAX_BACKOFF_SECONDS = 0.4

Resolve = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
"""``resolve(stored, mine)``: the document to write when ``stored`` was written after ``mine``'s was read."""


@dataclass(frozen=True)
class MovedAside:
    """A damaged progress file was moved aside and a fresh one started: the person is told where it went."""

    path: Path


class StoredDocument(dict[str, Any]):
    """A person's document as read from storage, and the revision it was read at (0: nothing stored).

    It is a plain dict in every other way. Saving one is conditional on that revision. ``notice``
    carries something the person should hear about their storage (a file moved aside), once.
    """

    def __init__(
        self, document: Mapping[str, Any] | None = None, revision: int = 0, notice: MovedAside | None = None
    ) -> None:
        super().__init__(document or {})
        self.revision = revision
        self.notice = notice


class StaleRevision(StorageError):
    """A conditional write found another revision stored; ``current`` is what is stored now."""

    def __init__(self, current: StoredDocument) -> None:
        super().__init__(f"the stored revision is now {current.revision}")
        self.current = current


class ProgressStore(ABC):
    """Documents by key, written conditionally, with one save-and-merge loop for every backend.

    ``budget`` bounds each call in seconds, retries included (None: one attempt for transport
    errors, which suits a local file); ``attempt_seconds`` is the longest one attempt can take, so
    a retry is started only when a whole attempt still fits.
    """

    budget: float | None = None
    attempt_seconds: float = 0.0

    def __init__(self, resolve: Resolve) -> None:
        self.resolve = resolve

    # ----- what a backend provides ----------------------------------------------------------
    @abstractmethod
    def _get(self, key: str) -> StoredDocument:
        """The stored document and its revision (an empty one at revision 0 when there is none)."""

    @abstractmethod
    def _put_if(self, key: str, document: dict[str, Any], revision: int) -> None:
        """Write ``document`` as revision + 1 if ``revision`` is what is stored; else ``StaleRevision``."""

    @abstractmethod
    def _delete(self, key: str) -> None:
        """Remove the document."""

    def _retryable(self, error: Exception) -> bool:
        """Whether ``error`` (from a primitive) is worth another attempt: throttling, a dropped connection."""
        return False

    def _describe(self) -> str:
        """Where the documents are, for error messages."""
        return type(self).__name__

    def _ready(self) -> None:
        """Make what a call needs that is not the call itself (a thread's first client), before its
        time budget starts: the budget bounds waiting on the storage, not setting up to ask."""
        return  # nothing by default (a local file is opened by the call itself)

    def _start(self) -> float:
        self._ready()
        return time.monotonic()

    # ----- the interface ----------------------------------------------------------------------
    def read(self, key: str) -> StoredDocument:
        return self._call("read", lambda: self._get(key), self._start())

    def delete(self, key: str) -> None:
        self._call("delete", lambda: self._delete(key), self._start())

    def save(self, key: str, document: Mapping[str, Any]) -> None:
        """Write ``document``: conditionally if it is a ``StoredDocument``, else over whatever is stored."""
        start = self._start()
        if isinstance(document, StoredDocument):
            body, revision, resolve = dict(document), document.revision, self.resolve
        else:
            body, revision = dict(document), self._call("read", lambda: self._get(key), start).revision

            def resolve(stored: dict[str, Any], mine: dict[str, Any]) -> dict[str, Any]:
                return mine

        for round_ in range(1, MAX_SAVE_ROUNDS + 1):
            try:
                self._call("save", partial(self._put_if, key, body, revision), start)
                return
            except StaleRevision as stale:
                log.info("progress changed since it was read (revision %d, now %d)", revision, stale.current.revision)
                body, revision = resolve(dict(stale.current), body), stale.current.revision
                pause = random.uniform(0, CONFLICT_PAUSE_SECONDS)
                if round_ == MAX_SAVE_ROUNDS or not self._fits(start, pause):
                    break
                time.sleep(pause)
        raise WriteConflict("progress kept changing while it was being saved, until the time for the save was up")

    # ----- retries within the budget -----------------------------------------------------------
    def _fits(self, start: float, pause: float) -> bool:
        """Whether another whole attempt, after ``pause``, still fits in the budget."""
        if self.budget is None:
            return True
        return time.monotonic() - start + pause + self.attempt_seconds <= self.budget

    def _call(self, what: str, operation: Callable[[], T], start: float) -> T:
        """``operation``, tried again after errors worth retrying while the budget allows (with backoff)."""
        backoff = FIRST_BACKOFF_SECONDS
        while True:
            try:
                return operation()
            except StorageError:  # a stale revision included: the save loop handles it
                raise
            except Exception as error:
                pause = random.uniform(0, backoff)
                if self.budget is None or not self._retryable(error) or not self._fits(start, pause):
                    raise StorageError(
                        f"could not {what} progress in {self._describe()}: {type(error).__name__}: {error}"
                    ) from error
                log.info("storage call failed (%s); trying again", type(error).__name__)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                time.sleep(pause)
