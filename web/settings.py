"""What the endpoint is configured with, read from the environment.

- ``SKILL_ID``: enforced when set (contract).
- ``STRONG_BACK_TRUST_ROOTS``: a PEM bundle of trusted roots (default: the system's bundle).
- ``STRONG_BACK_TEST_CERT_ORIGIN``: FOR TESTS ONLY. Fetch the signing chain from this origin
  (e.g. ``http://127.0.0.1:8765``) instead of ``https://s3.amazonaws.com``; the URL in each
  request is still checked against Amazon's rules. The server warns loudly when it is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from skill.config import TEST_CERT_ORIGIN, Settings
from skill.errors import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Mapping

MAX_BODY_BYTES = 128 * 1024  # Alexa caps a whole response at 120 KB; requests are far smaller


@dataclass(frozen=True)
class WebSettings:
    """The endpoint's settings; ``verify=False`` only for local development."""

    verify: bool = True
    skill_id: str | None = None
    trust_roots: str | None = None
    test_cert_origin: str | None = None
    max_body_bytes: int = MAX_BODY_BYTES

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, verify: bool = True) -> WebSettings:
        config = Settings.from_env(environ)
        origin = config.test_cert_origin
        if origin is not None:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
                raise ConfigurationError(
                    f"{TEST_CERT_ORIGIN} must be an origin such as http://127.0.0.1:8765, not {origin!r}"
                )
        return cls(
            verify=verify,
            skill_id=config.skill_id,
            trust_roots=config.trust_roots,
            test_cert_origin=origin,
        )

    def warnings(self) -> list[str]:
        """What an operator must be told loudly at start-up."""
        said = []
        if not self.verify:
            said.append(
                "Alexa request verification is OFF (--no-verify): anyone who can reach this port can "
                "drive the skill. For local development only; never expose this to the internet."
            )
        if self.verify and self.test_cert_origin:
            said.append(
                f"{TEST_CERT_ORIGIN} is set: signing certificates are fetched from "
                f"{self.test_cert_origin}, not from Amazon. For tests only."
            )
        if not self.skill_id:
            said.append("SKILL_ID is not set: requests for any skill id are answered. Set it in production.")
        return said
