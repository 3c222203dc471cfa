"""Real audio: pyttsx3 writing WAV files through espeak-ng in the speech worker, measured with
the wave module and sox; the speaker playing them through the real aplay; and the faults that
can't be caused on purpose (a hung or missing engine) through a stand-in worker command."""

from __future__ import annotations

import array
import math
import os
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import pytest

from local_runner.speaking.speaker import Speaker, audio_problem
from local_runner.speaking.synthesis import Synthesizer
from local_runner.speaking.voices import LOCALE_VOICES, VoiceError, VoiceSettings, check_locale, check_rate
from tests.test_audio_setup import need_aplay, need_espeak
from tests.test_local_coach import coach

SENTENCE = "Keep your spine neutral and breathe slowly while you hold the plank."
SILENCE_RMS = 200.0  # 16-bit samples; espeak-ng speech is in the thousands


def samples(path: Path) -> tuple[array.array[int], int]:
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2), "16-bit mono"
        return array.array("h", wav.readframes(wav.getnframes())), wav.getframerate()


def rms(values: array.array[int]) -> float:
    return math.sqrt(sum(v * v for v in values) / len(values)) if values else 0.0


def words(text: str) -> int:
    return len(text.split())


@pytest.fixture
def synthesizer(tmp_path: Path) -> Synthesizer:
    need_espeak()
    synth = Synthesizer(VoiceSettings("en-US", None, 170), tmp_path)
    synth.start()
    yield synth  # type: ignore[misc]
    synth.close()


def test_pyttsx3_writes_speech_through_espeak_that_is_loud_enough_and_as_long_as_its_words(
    synthesizer: Synthesizer,
) -> None:
    clip = synthesizer.clip_now(SENTENCE)
    values, rate = samples(clip.path)
    assert rate == 22050
    seconds = len(values) / rate
    assert clip.seconds == pytest.approx(seconds)
    expected = words(SENTENCE) / (170 / 60)  # words at the speaking rate
    assert 0.6 * expected <= seconds <= 1.5 * expected + 0.5
    assert rms(values) > 5 * SILENCE_RMS
    # The loud part is the speech itself: no long silence inside a short sentence.
    second = rate
    loud = [rms(values[i : i + second // 4]) > SILENCE_RMS for i in range(0, len(values) - second // 4, second // 4)]
    assert sum(loud) >= 0.7 * len(loud)


def test_sox_agrees_on_length_and_loudness(synthesizer: Synthesizer) -> None:
    if shutil.which("sox") is None:
        pytest.skip("!!! sox is not installed: sudo apt-get install sox (make test installs it) !!!")
    clip = synthesizer.clip_now(SENTENCE)
    stat = subprocess.run(["sox", str(clip.path), "-n", "stat"], capture_output=True, text=True, check=True).stderr
    figures = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in stat.splitlines()) if v}
    assert float(figures["Length (seconds)"]) == pytest.approx(clip.seconds, abs=0.01)
    assert float(figures["RMS     amplitude"]) * 32768 > 5 * SILENCE_RMS


def test_the_rate_sets_how_fast_the_voice_speaks(tmp_path: Path) -> None:
    need_espeak()
    lengths = {}
    for rate in (120, 240):
        with Synthesizer(VoiceSettings("en-US", None, rate), tmp_path / str(rate)) as synth:
            lengths[rate] = synth.clip_now(SENTENCE).seconds
    assert 1.5 <= lengths[120] / lengths[240] <= 2.5


def test_every_worker_speaks_at_the_rate_it_was_given(tmp_path: Path) -> None:
    """pyttsx3 drops a setting still queued in espeak-ng when it starts a phrase; each fresh
    worker must still speak at its rate, so the same sentence comes out the same length."""
    need_espeak()
    lengths = []
    for attempt in range(4):
        with Synthesizer(VoiceSettings("en-US", None, 130), tmp_path / str(attempt)) as synth:
            lengths.append(synth.clip_now(SENTENCE).seconds)
    assert max(lengths) - min(lengths) < 0.01, lengths
    assert lengths[0] == pytest.approx(words(SENTENCE) / (130 / 60), rel=0.3)


def test_each_locale_speaks_with_an_english_voice_and_unknown_voices_are_refused(tmp_path: Path) -> None:
    need_espeak()
    heard = {}
    for locale in ("en-US", "en-GB"):
        with Synthesizer(VoiceSettings(locale), tmp_path) as synth:
            assert synth.voice_id == LOCALE_VOICES[locale]
            heard[locale] = samples(synth.clip_now("Tomato, schedule, water.").path)[0]
    assert heard["en-US"] != heard["en-GB"]
    with pytest.raises(VoiceError, match=r"no voice 'no-such-voice'.*--list-voices"):
        Synthesizer(VoiceSettings("en-US", "no-such-voice"), tmp_path).start()


def test_the_coach_refuses_an_unknown_voice(tmp_path: Path) -> None:
    need_espeak()
    done = coach(tmp_path, ["quit"], "--voice", "no-such-voice")
    assert done.returncode == 2
    assert "there is no voice 'no-such-voice'" in done.stderr and "--list-voices" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_phrase_is_made_once(synthesizer: Synthesizer) -> None:
    first = synthesizer.clip("Five.")
    assert synthesizer.clip("Five.") is first
    assert first.result(timeout=20).path.exists()


def test_options_are_checked() -> None:
    assert check_locale("en_gb") == "en-GB"
    with pytest.raises(ValueError, match="choose one of en-US"):
        check_locale("de-DE")
    with pytest.raises(ValueError, match="between 80 and 400"):
        check_rate(20)


def test_every_locale_of_the_interaction_models_has_a_voice() -> None:
    from interaction_models import LOCALES

    assert set(LOCALES) == set(LOCALE_VOICES)


# ----- engine faults (a stand-in worker, since a hung or missing espeak-ng can't be caused) ------
def stand_in(script: str) -> list[str]:
    return [sys.executable, "-c", script]


READY = 'import json,sys; print(json.dumps({"ready": True, "voice": "x", "voices": []}), flush=True)\n'


def test_a_missing_espeak_is_a_clear_message_with_the_fix(tmp_path: Path) -> None:
    missing = 'print(\'{"error": "OSError: libespeak-ng.so.1: cannot open shared object file"}\'); exit(1)'
    synth = Synthesizer(VoiceSettings(), tmp_path, command=stand_in(missing))
    with pytest.raises(VoiceError) as caught:
        synth.start()
    assert "libespeak-ng.so.1" in str(caught.value)
    assert "apt-get install espeak-ng" in str(caught.value)


def test_a_hung_engine_is_killed_restarted_and_then_given_up_on(tmp_path: Path) -> None:
    hangs = READY + "import time; sys.stdin.readline(); time.sleep(60)"
    synth = Synthesizer(VoiceSettings(), tmp_path, command=stand_in(hangs), timeout=0.5)
    synth.start()
    try:
        with pytest.raises(VoiceError, match="stopped answering"):
            synth.clip("Hold.").result(timeout=30)
        assert synth.restarts == 1
    finally:
        synth.close()


def test_an_engine_that_dies_mid_phrase_is_replaced(tmp_path: Path) -> None:
    """The first worker dies on its first phrase; the second one answers."""
    need_espeak()
    marker = tmp_path / "died-once"
    real = [sys.executable, "-m", "local_runner.speaking.worker", "--rate", "170"]
    dies_once = (
        "import os, sys, pathlib\n"
        f"marker = pathlib.Path({str(marker)!r})\n"
        "if not marker.exists():\n"
        "    marker.write_text('x')\n"
        "    " + READY.replace("\n", "\n    ") + "sys.stdin.readline(); os._exit(3)\n"
        f"os.execv({sys.executable!r}, {real!r})\n"
    )
    synth = Synthesizer(VoiceSettings(), tmp_path, command=stand_in(dies_once), timeout=5)
    synth.start()
    try:
        clip = synth.clip("Switch sides.").result(timeout=30)
        assert synth.restarts == 1
        assert rms(samples(clip.path)[0]) > 5 * SILENCE_RMS
    finally:
        synth.close()


# ----- playing --------------------------------------------------------------------------------------
def fake_aplay(folder: Path, body: str) -> str:
    folder.mkdir(exist_ok=True)
    script = folder / "aplay"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    return f"{folder}:{os.environ.get('PATH', '')}"


def test_audio_problem_names_what_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert audio_problem() == "aplay (from alsa-utils) is not installed"
    no_card = "echo 'aplay: main:831: audio open error: No such file or directory' >&2; exit 1\n"
    monkeypatch.setenv("PATH", fake_aplay(tmp_path / "bin", no_card))
    problem = audio_problem()
    assert problem is not None and ("no sound card" in problem or "could not be opened" in problem)


def test_the_null_device_plays(monkeypatch: pytest.MonkeyPatch) -> None:
    need_aplay()
    assert audio_problem("null") is None


def test_the_speaker_plays_every_phrase_through_aplay(synthesizer: Synthesizer, tmp_path: Path) -> None:
    need_aplay()
    failures: list[str] = []
    speaker = Speaker(synthesizer, failures.append, device="null")
    phrases = ["Go.", "Ten more.", "Five.", "Four."]
    speaker.prepare(phrases)
    for phrase in phrases:
        synthesizer.clip_now(phrase)
        speaker.say(phrase)
    speaker.close()
    assert failures == []
    assert speaker.played == len(phrases)


def test_a_device_that_fails_mid_session_is_reported_once(
    synthesizer: Synthesizer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", fake_aplay(tmp_path / "bin", "echo 'aplay: device disconnected' >&2; exit 1\n"))
    failures: list[str] = []
    speaker = Speaker(synthesizer, failures.append)
    for phrase in ("Go.", "Five.", "Four.", "Three."):
        synthesizer.clip_now(phrase)
        speaker.say(phrase)
        speaker.say(phrase)
    speaker.close()
    assert failures == ["aplay: device disconnected"]
    assert not speaker.working


def test_the_coach_speaks_every_phrase_it_prints(tmp_path: Path) -> None:
    """The whole coach with sound on: a spy in front of the real aplay keeps each clip it is given."""
    need_espeak()
    need_aplay()
    real = shutil.which("aplay")
    kept = tmp_path / "played"
    kept.mkdir()
    spy = f'for last; do :; done\ncp "$last" "{kept}/$(date +%s%N).wav"\nexec {real} "$@"\n'
    path = fake_aplay(tmp_path / "bin", spy)
    done = coach(tmp_path, ["open strong back", "quit"], "--speed", "4", PATH=path, STRONG_BACK_AUDIO_DEVICE="null")
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == ""  # no notice: sound works
    printed = [line for line in done.stdout.splitlines()[1:] if line and not line.startswith(("you>", "Your progress"))]
    played = sorted(kept.glob("*.wav"))[1:]  # the first is the silent probe
    assert len(played) == len(printed) >= 3
    for clip in played:
        assert rms(samples(clip)[0]) > 5 * SILENCE_RMS
