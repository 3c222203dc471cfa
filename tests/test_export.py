"""``strong-back export``: one WAV file of a whole workout, as long as the plan, each phrase
at its moment; and clear errors (no traceback, nothing clobbered) when it can't be written."""

from __future__ import annotations

import array
import json
import math
import subprocess
import wave
from pathlib import Path

import pytest

from local_runner.speaking import synthesis
from local_runner.speaking.recording import SAMPLE_RATE, ExportError, render_wav
from skill.speech import Segment, Timeline
from tests.test_audio_setup import need_espeak
from tests.test_local_coach import environment, strong_back

LOUD = 1000.0  # RMS of speech in 16-bit samples is well above this; silence is 0


def export(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*strong_back(), "export", *args],
        capture_output=True,
        text=True,
        env=environment(tmp),
        timeout=300,
        check=False,
    )


def read(path: Path) -> tuple[array.array[int], int]:
    with wave.open(str(path), "rb") as wav:
        assert wav.getnchannels() == 1 and wav.getsampwidth() == 2 and wav.getcomptype() == "NONE"
        return array.array("h", wav.readframes(wav.getnframes())), wav.getframerate()


def rms(values: array.array[int], start: float, end: float, rate: int = SAMPLE_RATE) -> float:
    part = values[int(start * rate) : int(end * rate)]
    return math.sqrt(sum(v * v for v in part) / len(part)) if part else 0.0


def test_a_five_minute_workout_is_as_long_as_its_plan_and_plays_anywhere(tmp_path: Path) -> None:
    need_espeak()
    planned = json.loads(
        subprocess.run(
            [*strong_back(), "plan", "--area", "upper_back", "--minutes", "5", "--json"],
            capture_output=True,
            text=True,
            env=environment(tmp_path),
            check=True,
        ).stdout
    )["total_seconds"]
    output = tmp_path / "workout.wav"
    done = export(tmp_path, "--area", "upper_back", "--minutes", "5", "-o", str(output))
    assert done.returncode == 0, done.stderr
    values, rate = read(output)
    assert rate == 22050
    seconds = len(values) / rate
    assert abs(seconds - planned) <= 0.03 * planned, (seconds, planned)
    # Speech all through: every minute has some, and the file is not one long silence.
    for minute in range(int(seconds // 60)):
        assert rms(values, minute * 60, minute * 60 + 60) > LOUD / 10
    assert f"Wrote {output}" in done.stdout


def test_each_phrase_is_at_its_moment_with_silence_between(tmp_path: Path) -> None:
    need_espeak()
    replies = [
        Timeline((Segment(0.0, "Go."), Segment(10.0, "Five."), Segment(11.0, "Four.")), 14.0),
        Timeline((Segment(1.0, "And rest."),), 6.0),
    ]
    result = render_wav(replies, tmp_path / "short.wav")
    values, rate = read(result.path)
    assert len(values) == 20 * rate  # 14 + 6 seconds exactly
    assert rms(values, 0.0, 0.4) > LOUD
    assert rms(values, 1.5, 9.9) == 0.0
    assert rms(values, 10.0, 10.5) > LOUD
    assert rms(values, 11.0, 11.5) > LOUD
    assert rms(values, 12.5, 14.9) == 0.0
    assert rms(values, 15.0, 15.6) > LOUD  # the second reply's phrase, 1 s into it
    assert rms(values, 17.0, 20.0) == 0.0
    assert (result.phrases, result.distinct_phrases, result.held_back) == (4, 4, 0)


def test_a_phrase_that_runs_long_holds_the_next_one_back_and_the_length_stays(tmp_path: Path) -> None:
    need_espeak()
    long = "Lie on your back, bend your knees, and set your feet flat, hip width apart, close to your hips."
    reply = Timeline((Segment(0.0, long), Segment(1.0, "Go."), Segment(20.0, "One.")), 25.0)
    result = render_wav([reply], tmp_path / "long.wav")
    values, rate = read(result.path)
    assert len(values) == 25 * rate
    assert result.held_back == 1
    # "Go." was due at 1 s, inside the long sentence; it comes right after it instead.
    speaking = [rms(values, t / 10, t / 10 + 0.1) > LOUD / 4 for t in range(0, 200)]
    first_quiet = speaking.index(False, 30) / 10  # the long sentence takes seconds
    assert first_quiet > 3.0
    assert any(speaking[int(first_quiet * 10) : int(first_quiet * 10) + 10])  # "Go." follows at once
    assert rms(values, 20.0, 20.5) > LOUD  # later phrases keep their moments


def test_a_repeated_phrase_is_synthesised_once(tmp_path: Path) -> None:
    need_espeak()
    reply = Timeline(tuple(Segment(float(i), "Hold.") for i in range(10)), 12.0)
    result = render_wav([reply], tmp_path / "holds.wav")
    assert (result.phrases, result.distinct_phrases) == (10, 1)


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--minutes", "2"], "workouts run from 5 to 60 minutes"),
        (["--rate", "5"], "--rate must be between"),
        (["--locale", "xx"], "unknown locale"),
    ],
)
def test_bad_options_are_refused(tmp_path: Path, args: list[str], complaint: str) -> None:
    done = export(tmp_path, *args, "-o", str(tmp_path / "w.wav"))
    assert done.returncode == 2
    assert complaint in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "w.wav").exists()


@pytest.mark.parametrize(
    ("target", "complaint"),
    [
        ("missing/w.wav", "does not exist"),
        ("a-file/w.wav", "does not exist"),
        ("w.mp3", "must end in .wav"),
        ("folder.wav", "is a folder"),
    ],
)
def test_paths_that_cannot_be_written_are_refused(tmp_path: Path, target: str, complaint: str) -> None:
    (tmp_path / "a-file").write_text("in the way")
    (tmp_path / "folder.wav").mkdir()
    done = export(tmp_path, "--minutes", "5", "-o", str(tmp_path / target))
    assert done.returncode in (1, 2)
    assert complaint in done.stderr and "Traceback" not in done.stderr


def test_a_missing_speech_engine_is_a_clear_error_and_the_old_file_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "workout.wav"
    output.write_bytes(b"last week's workout")
    broken = ["python3", "-c", 'print(\'{"error": "OSError: libespeak-ng.so.1: cannot open shared object file"}\')']
    monkeypatch.setattr(synthesis, "worker_command", lambda settings: broken)
    with pytest.raises(ExportError, match=r"libespeak-ng.*apt-get install espeak-ng"):
        render_wav([Timeline((Segment(0.0, "Go."),), 3.0)], output)
    assert output.read_bytes() == b"last week's workout"
    assert list(tmp_path.iterdir()) == [output]
