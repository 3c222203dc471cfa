"""Signing keys by certificate URL: fetched once, validated, kept until the chain expires.

Bounded every way: at most ``max_keys`` validated keys (least recently used dropped first),
each kept until the earliest expiry in its chain or ``max_age``, whichever comes first; a URL
that just failed (unreachable, invalid chain) is refused again for ``retry_after`` without
another download; requests that need the same URL at once share one download; and downloads
for URLs not in the cache come out of a ``FetchBudget`` (a few a minute for the whole process),
so a flood of forged requests, each naming a new URL, cannot turn into a flood of downloads.
Amazon signs with one certificate for months, so the budget never stands in its way for long.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from web.cert_url import canonical_cert_url
from web.refusal import Refusal
from web.trust import SigningKey, TrustRoots, validate_chain

if TYPE_CHECKING:
    from collections.abc import Callable

    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

    from web.fetch import Fetcher


V = TypeVar("V")
FETCHES_PER_MINUTE = 4  # downloads for URLs not in the cache, for the whole process...
FETCH_BURST = 5  # ...and at most this many in a row
WAIT_FOR_SHARED_FETCH = 5.0  # seconds a request waits for another request's download of the same URL


class FetchBudget:
    """A token bucket: at most ``burst`` downloads at once, refilled at ``per_minute``."""

    def __init__(
        self,
        per_minute: float = FETCHES_PER_MINUTE,
        burst: int = FETCHES_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = burst
        self.clock = clock
        self._tokens = float(burst)
        self._at = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Spend one download if the budget allows it now."""
        with self._lock:
            now = self.clock()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


def utc_now() -> datetime:
    return datetime.now(UTC)


class SigningKeys:
    """The key that signs requests pointing at a certificate URL, with a bounded, expiring cache."""

    def __init__(
        self,
        roots: TrustRoots,
        fetch: Fetcher,
        *,
        now: Callable[[], datetime] = utc_now,
        max_keys: int = 16,
        max_age: timedelta = timedelta(hours=24),
        max_failures: int = 256,
        retry_after: timedelta = timedelta(seconds=10),
        budget: FetchBudget | None = None,
    ) -> None:
        self.roots = roots
        self.fetch = fetch
        self.now = now
        self.max_keys = max_keys
        self.max_age = max_age
        self.max_failures = max_failures
        self.retry_after = retry_after
        self.budget = budget or FetchBudget()
        self._lock = threading.Lock()
        self._keys: OrderedDict[str, SigningKey] = OrderedDict()
        self._failures: OrderedDict[str, tuple[Refusal, datetime]] = OrderedDict()
        self._pending: dict[str, Future[RSAPublicKey]] = {}

    def key_for(self, url: str) -> RSAPublicKey:
        """The validated signing key for the chain at ``url``; ``Refusal`` if there is none."""
        canonical = canonical_cert_url(url)
        now = self.now()
        cached = self._cached(canonical, now)
        if cached is not None:
            return cached
        with self._lock:
            pending = self._pending.get(canonical)
            mine = pending is None
            if pending is None:
                if not self.budget.take():
                    raise Refusal("cert-fetch-budget", "too many new certificate URLs just now")
                pending = self._pending[canonical] = Future()
        if not mine:  # another request is downloading this URL: wait for its result
            try:
                return pending.result(timeout=WAIT_FOR_SHARED_FETCH)
            except TimeoutError:
                raise Refusal("cert-fetch-timeout", "waiting for another request's download") from None
        try:
            key = self._download(canonical, now)
        except BaseException as error:  # a Refusal, or a bug: either way the waiters hear of it
            pending.set_exception(error)
            raise
        finally:
            with self._lock:
                self._pending.pop(canonical, None)
        pending.set_result(key)
        return key

    def _download(self, canonical: str, now: datetime) -> RSAPublicKey:
        try:
            signing = validate_chain(self.fetch(canonical), self.roots, now)
        except Refusal as refusal:
            self._remember(self._failures, canonical, (refusal, now + self.retry_after), self.max_failures)
            raise
        kept = SigningKey(signing.key, min(signing.expires, now + self.max_age))
        self._remember(self._keys, canonical, kept, self.max_keys)
        return signing.key

    def cached_urls(self) -> list[str]:
        with self._lock:
            return list(self._keys)

    def _cached(self, url: str, now: datetime) -> RSAPublicKey | None:
        with self._lock:
            signing = self._keys.get(url)
            if signing is not None:
                if now < signing.expires:
                    self._keys.move_to_end(url)
                    return signing.key
                del self._keys[url]
            failure = self._failures.get(url)
            if failure is not None:
                refusal, until = failure
                if now < until:
                    raise Refusal(refusal.reason, f"{refusal.detail} (failed moments ago)")
                del self._failures[url]
        return None

    def _remember(self, table: OrderedDict[str, V], url: str, value: V, limit: int) -> None:
        with self._lock:
            table[url] = value
            table.move_to_end(url)
            while len(table) > limit:
                table.popitem(last=False)
