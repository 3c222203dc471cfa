"""flask-ask-sdk, importable on today's systems.

``flask_ask_sdk.skill_adapter`` imports ``ask_sdk_webservice_support.verifier``, which imports
``certvalidator`` at module level. certvalidator imports oscrypto, and oscrypto 1.3.0 (the
newest release) reads the libcrypto version with a pattern that expects one-digit patch
numbers: on OpenSSL 3.0.10 and later importing it raises ``LibraryNotFoundError: Error
detecting the version of libcrypto``. certvalidator 0.11.1 is also broken at run time with
asn1crypto 1.5.1. So flask-ask-sdk cannot even be imported.

Strong Back never uses certvalidator: the SDK's ``RequestVerifier`` (its only user) is
replaced by our verifiers in ``web.verifiers``, built on ``cryptography``'s X.509 path
validation. While the SDK's verifier module is imported, a stand-in ``certvalidator`` is put
in ``sys.modules``, and removed right after, so nothing else in the process ever sees it.
The stand-in refuses every chain: if the SDK's own signature check were ever switched on
again, it would answer every request with 400 (fail closed), never accept one unchecked.

Nothing installed is patched. ``tests/test_web_sdk_import.py`` fails when this stops being
needed (flask-ask-sdk imports on its own) or stops working. See docs/self-hosting.md.
"""

from __future__ import annotations

import importlib
import sys
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

SDK_VERIFIER_MODULE = "ask_sdk_webservice_support.verifier"
STAND_IN_NAMES = ("certvalidator", "certvalidator.errors")
STAND_IN_MESSAGE = (
    "certvalidator is not used by Strong Back (it cannot be imported with oscrypto 1.3.0 on "
    "OpenSSL 3.0.10+); requests are verified by web.verifiers instead"
)


class PathError(Exception):
    """Stand-in for ``certvalidator.errors.PathError``."""


class ValidationError(Exception):
    """Stand-in for ``certvalidator.errors.ValidationError``."""


class CertificateValidator:
    """Stand-in for ``certvalidator.CertificateValidator``: refuses every chain."""

    STAND_IN = True

    def __init__(self, *args: object, **kwargs: object) -> None:
        # The SDK turns PathError into VerificationException, i.e. HTTP 400.
        raise PathError(STAND_IN_MESSAGE)


def _stand_in_modules() -> dict[str, ModuleType]:
    package = ModuleType("certvalidator", "Strong Back's fail-closed stand-in; see web.sdk.")
    errors = ModuleType("certvalidator.errors", "Strong Back's fail-closed stand-in; see web.sdk.")
    errors.PathError = PathError  # type: ignore[attr-defined]
    errors.ValidationError = ValidationError  # type: ignore[attr-defined]
    package.CertificateValidator = CertificateValidator  # type: ignore[attr-defined]
    package.errors = errors  # type: ignore[attr-defined]
    return {"certvalidator": package, "certvalidator.errors": errors}


@contextmanager
def _certvalidator_stand_in() -> Iterator[None]:
    """The stand-in in ``sys.modules`` for the duration of one import; what was there before, after."""
    saved = {name: sys.modules.get(name) for name in STAND_IN_NAMES}
    sys.modules.update(_stand_in_modules())
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def import_sdk_verifier() -> ModuleType:
    """``ask_sdk_webservice_support.verifier``, imported (once) with the stand-in."""
    if SDK_VERIFIER_MODULE not in sys.modules:
        with _certvalidator_stand_in():
            importlib.import_module(SDK_VERIFIER_MODULE)
    return sys.modules[SDK_VERIFIER_MODULE]


import_sdk_verifier()

# The SDK, now importable; the rest of web imports it from here.
from ask_sdk_webservice_support import verifier_constants  # noqa: E402
from ask_sdk_webservice_support.verifier import AbstractVerifier, VerificationException  # noqa: E402
from flask_ask_sdk.skill_adapter import (  # noqa: E402
    EXTENSION_NAME,
    VERIFY_SIGNATURE_APP_CONFIG,
    VERIFY_TIMESTAMP_APP_CONFIG,
    SkillAdapter,
)

__all__ = [
    "EXTENSION_NAME",
    "VERIFY_SIGNATURE_APP_CONFIG",
    "VERIFY_TIMESTAMP_APP_CONFIG",
    "AbstractVerifier",
    "SkillAdapter",
    "VerificationException",
    "import_sdk_verifier",
    "verifier_constants",
]
