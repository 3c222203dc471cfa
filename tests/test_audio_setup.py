"""What the audio tests need from the machine: espeak-ng (through pyttsx3) and alsa-utils.

In CI (``CI`` set) a missing piece fails the test that needs it: CI installs them. Elsewhere it
is skipped with a loud reason, since ``make test`` installs them before running any test.
"""

from __future__ import annotations

import ctypes
import os
import shutil

import pytest

INSTALL = "sudo apt-get install espeak-ng alsa-utils sox (make test does this itself when run as root)"


def _espeak_loads() -> bool:
    try:
        ctypes.CDLL("libespeak-ng.so.1")
    except OSError:
        return False
    return True


def _missing(what: str) -> None:
    message = f"{what} is not installed: {INSTALL}"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must install it")
    pytest.skip(f"!!! {message} !!!")


def need_espeak() -> None:
    """Fail in CI, skip loudly elsewhere, when espeak-ng's library is not there."""
    if not _espeak_loads():
        _missing("espeak-ng (libespeak-ng1)")


def need_aplay() -> None:
    if shutil.which("aplay") is None:
        _missing("aplay (alsa-utils)")


def test_the_speech_engine_and_player_are_installed() -> None:
    need_espeak()
    need_aplay()
