"""Signing keys by certificate URL: fetched once, validated, kept until the chain expires.

Bounded both ways: at most ``max_keys`` validated keys (least recently used dropped first),
each kept until the earliest expiry in its chain or ``max_age``, whichever comes first; and
a URL that just failed (unreachable, invalid chain) is refused again for ``retry_after``
without another download, so a flood of forged URLs cannot turn into a flood of fetches.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
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
    ) -> None:
        self.roots = roots
        self.fetch = fetch
        self.now = now
        self.max_keys = max_keys
        self.max_age = max_age
        self.max_failures = max_failures
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self._keys: OrderedDict[str, SigningKey] = OrderedDict()
        self._failures: OrderedDict[str, tuple[Refusal, datetime]] = OrderedDict()

    def key_for(self, url: str) -> RSAPublicKey:
        """The validated signing key for the chain at ``url``; ``Refusal`` if there is none."""
        canonical = canonical_cert_url(url)
        now = self.now()
        cached = self._cached(canonical, now)
        if cached is not None:
            return cached
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
