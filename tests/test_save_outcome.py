""" "Saved" is said only after a save went through: faults where reading works and writing fails.

The faults are real: a SQLite file on a small filesystem that is full, or that was remounted
read-only; a database path
that is a directory; a write-ahead log that cannot be created (DynamoDB refusing writes while
reads work is in test_storage_faults.py). What the person hears (from the skill) and reads (from
the laptop coach as it exits) must follow what was written.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.alexa import Alexa
from tests.test_local_coach import coach
from tests.test_persistence import fresh_lambda_handler

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.slow
UNSAVED = "couldn't save your progress"
SAVED_LINE = "Your progress is saved"


@contextlib.contextmanager
def small_filesystem(where: Path, kilobytes: int = 1024) -> Iterator[Path]:
    """A tmpfs of its own (as root), so that it can be filled up or remounted read-only for real."""
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={kilobytes}k", "tmpfs", str(where)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        message = f"a small filesystem is needed for this fault and mount failed: {mounted.stderr.strip()}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(filesystem: Path) -> None:
    """Take every free block, so the next write that needs space fails with 'disk full'."""
    with contextlib.suppress(OSError), (filesystem / "filler").open("wb", buffering=0) as filler:
        while True:
            filler.write(b"\0" * 4096)


def remount_read_only(filesystem: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(filesystem)], check=True)


def stop_mid_workout(alexa: Alexa) -> str:
    alexa.say("StartWorkoutIntent", area="lower_back", duration="PT10M")
    alexa.wait(seconds=20)
    return alexa.say("AMAZON.StopIntent").text


# ----- what the skill says -----------------------------------------------------------------------
def test_sqlite_on_a_full_disk_never_claims_the_progress_is_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with small_filesystem(tmp_path / "disk") as disk:
        monkeypatch.setenv("STRONG_BACK_DB", str(disk / "progress.db"))
        alexa = Alexa()
        alexa.handler = fresh_lambda_handler()
        alexa.open()  # the file exists and holds this person; reading keeps working
        fill(disk)
        bye = stop_mid_workout(alexa)
    assert UNSAVED in bye and SAVED_LINE.lower() not in bye.lower()


def test_when_the_save_goes_through_the_person_hears_it_is_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRONG_BACK_DB", str(tmp_path / "progress.db"))
    alexa = Alexa()
    alexa.handler = fresh_lambda_handler()
    bye = stop_mid_workout(alexa)
    assert SAVED_LINE.lower() in bye.lower() and UNSAVED not in bye


# ----- what the laptop coach prints as it exits ----------------------------------------------------
SESSION = ["start a ten minute lower back workout", "@20 pause", "quit"]


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_the_laptop_coach_says_saved_only_after_a_save(tmp_path: Path) -> None:
    done = coach(tmp_path, SESSION, "--text", "--speed", "20")
    assert done.returncode == 0, done.stderr
    assert last_line(done).startswith(SAVED_LINE)


def test_the_laptop_coach_on_a_full_disk_says_it_could_not_save(tmp_path: Path) -> None:
    with small_filesystem(tmp_path / "disk") as disk:
        first = coach(disk, ["open strong back", "quit"], "--text", "--speed", "50")  # the file, while there is room
        assert first.returncode == 0, first.stderr
        fill(disk)
        done = coach(disk, SESSION, "--text", "--speed", "20")
    assert SAVED_LINE not in done.stdout and "could NOT be saved" in last_line(done)


def test_the_laptop_coach_on_a_read_only_folder_says_so_before_it_starts(tmp_path: Path) -> None:
    with small_filesystem(tmp_path / "disk") as disk:
        first = coach(disk, ["open strong back", "quit"], "--text", "--speed", "50")
        assert first.returncode == 0, first.stderr
        remount_read_only(disk)
        done = coach(disk, SESSION, "--text", "--speed", "20")
    assert SAVED_LINE not in done.stdout and "Traceback" not in done.stderr
    said = done.stdout + done.stderr
    assert done.returncode != 0 and "read-only" in said.lower()


def test_the_laptop_coach_refuses_a_database_path_that_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "progress.db").mkdir()
    done = coach(tmp_path, SESSION, "--text", "--speed", "20")
    assert done.returncode != 0 and SAVED_LINE not in done.stdout and "Traceback" not in done.stderr
    assert "is a directory" in done.stderr.lower()


def test_the_laptop_coach_with_an_unwritable_write_ahead_log_says_it_could_not_save(tmp_path: Path) -> None:
    first = coach(tmp_path, ["open strong back", "quit"], "--text", "--speed", "50")
    assert first.returncode == 0, first.stderr
    for leftover in tmp_path.glob("progress.db-*"):
        leftover.unlink()
    (tmp_path / "progress.db-wal").mkdir()  # SQLite cannot create its log where a directory stands
    done = coach(tmp_path, SESSION, "--text", "--speed", "20")
    assert SAVED_LINE not in done.stdout and "Traceback" not in done.stderr
    assert "could NOT be saved" in last_line(done)
