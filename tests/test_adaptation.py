"""The coach learns the voice it hears (``local_runner.listening.adaptation``), with CMU Sphinx's own
adaptation tools and real synthesized speech: the bundled model's weights as the tools read them, a
model learnt from one voice fitting that voice's other commands better, learning kept between
sessions, the recogniser taking the new model between utterances, and a clear word when the tools
are missing or fail."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from local_runner.listening import adaptation
from local_runner.listening.adaptation import AdaptationError, Learner, VoiceModel, find_tools, read_sendump
from local_runner.listening.audio_in import read_wav
from local_runner.listening.listener import SpokenCommands
from local_runner.listening.recognizer import with_noise_floor
from tests.support import spoken
from tests.test_audio_setup import need_espeak

if TYPE_CHECKING:
    from collections.abc import Callable

    from local_runner.listening.recognizer import Recognizer

VOICE = spoken.VOICES[1]  # espeak-ng's en-us+f2: the benchmark voice the bundled model hears worst
LEARNT_FROM = (
    "start a ten minute lower back workout",
    "pause",
    "how much longer",
    "can we do an easier version",
    "what's next",
    "i need a break",
    "tell me how to do the bird dog",
    "resume",
    "skip this one",
    "give me a harder one",
    "how do i do this exercise",
    "start my back workout",
)
NOT_LEARNT = ("let's do a five minute upper back workout", "how long is left", "make it harder", "next exercise")


def need_tools() -> dict[str, Path]:
    """The adaptation tools: in CI they must be there (``make test`` installs them)."""
    try:
        return find_tools()
    except AdaptationError as error:
        if os.environ.get("CI"):
            pytest.fail(f"{error}: CI must install them")
        pytest.skip(f"!!! {error} !!!")


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("adaptation-clips")


def sound(text: str, clips: Path, recognizer: Recognizer) -> bytes:
    """One command said by ``VOICE``, as the recogniser is given it (cut from the clip)."""
    need_espeak()
    (utterance,) = list(recognizer.segments([read_wav(spoken.clip(text, VOICE, spoken.CLEAN, clips))]))
    return utterance.pcm


def fit(decoder_model: Path, recognizer: Recognizer, pcm: bytes, words: str) -> float:
    """How well ``decoder_model`` fits ``pcm`` said as ``words``: the score per frame of the forced
    alignment (pocketsphinx's own log-likelihood, log base 1.0001)."""
    import pocketsphinx as ps

    decoder = ps.Decoder(hmm=str(decoder_model), dict=str(_dictionary(recognizer)), lm=None, loglevel="FATAL")
    decoder.set_align_text(words)
    decoder.start_utt()
    decoder.process_raw(with_noise_floor(pcm), full_utt=True)  # as the recogniser decodes it
    decoder.end_utt()
    aligned = decoder.hyp()
    assert aligned is not None and aligned.hypstr == words, f"{words!r} could not be aligned"
    return aligned.best_score / decoder.n_frames()


def _dictionary(recognizer: Recognizer) -> Path:
    path = Path(os.environ["STRONG_BACK_DB"]).with_name("adaptation-test.dict")
    path.write_text(recognizer.dictionary, encoding="utf-8")
    return path


def test_the_bundled_mixture_weights_read_as_the_tools_pack_them_again(tmp_path: Path, recognizer: Recognizer) -> None:
    # read_sendump unpacks pocketsphinx's 8-bit weights; sphinxtrain's mk_s2sendump packs weights the
    # other way. Packed again, they are the bundled file, byte for byte but for rounding at the edges.
    tools = need_tools()
    voice = VoiceModel(tmp_path / "voice", recognizer.dictionary, recognizer.bundled_model, tools)
    base = voice._base()
    packed = tmp_path / "sendump"
    voice._run("mk_s2sendump", "-pocketsphinx", "yes", "-moddeffn", base / "mdef.txt",
               "-mixwfn", base / "mixture_weights", "-sendumpfn", packed,
               "-mwfloor", adaptation.MIXTURE_WEIGHT_FLOOR)  # fmt: skip
    again, bundled = read_sendump(packed), read_sendump(recognizer.bundled_model / "sendump")
    assert again.shape == bundled.shape == (5126, 3, 128)  # senones, feature streams, codewords
    # in the packed units (log base 1.0001, 1024 to a step): no weight moves by more than a step
    moved = abs(_steps(again) - _steps(bundled))
    assert moved.max() <= 1
    assert (moved == 0).mean() > 0.99


def _steps(weights: np.ndarray) -> np.ndarray:
    return np.round(-np.log(weights) / np.log(1.0001) / 1024)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_model_learnt_from_a_voice_fits_its_other_commands_better(
    tmp_path: Path, recognizer: Recognizer, clips: Path
) -> None:
    tools = need_tools()
    voice = VoiceModel(tmp_path / "voice", recognizer.dictionary, recognizer.bundled_model, tools)
    for text in LEARNT_FROM:
        voice.add(sound(text, clips, recognizer), text)
    learnt = voice.adapt()
    assert voice.model == learnt
    better = [
        fit(learnt, recognizer, pcm, text) - fit(recognizer.bundled_model, recognizer, pcm, text)
        for text in NOT_LEARNT
        for pcm in [sound(text, clips, recognizer)]
    ]
    assert all(gain > 0 for gain in better), better  # commands it never learnt from, said by that voice


def test_what_was_learnt_from_is_kept_between_sessions_and_only_the_latest(
    tmp_path: Path, recognizer: Recognizer, clips: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tools = need_tools()
    monkeypatch.setattr(adaptation, "KEPT", 3)
    folder = tmp_path / "voice"
    first = VoiceModel(folder, recognizer.dictionary, recognizer.bundled_model, tools)
    for text in LEARNT_FROM[:4]:
        first.add(sound(text, clips, recognizer), text)
    first.close()
    again = VoiceModel(folder, recognizer.dictionary, recognizer.bundled_model, tools)  # the next session
    assert [heard.words for heard in again.heard()] == list(LEARNT_FROM[1:4])
    assert sorted(path.name for path in (folder / "heard").glob("*.mfc")) == [f"{n:07d}.mfc" for n in (2, 3, 4)]
    assert again.model is None and again.new_since_adapted() == 3
    again.adapt()
    assert again.new_since_adapted() == 0
    again.add(sound(LEARNT_FROM[4], clips, recognizer), LEARNT_FROM[4])
    again.close()
    assert VoiceModel(folder, recognizer.dictionary, recognizer.bundled_model, tools).new_since_adapted() == 1


@pytest.mark.timeout(300)
def test_the_learner_adapts_in_the_background_and_the_recogniser_hears_with_it_from_the_next_utterance(
    tmp_path: Path, recognizer: Recognizer, nlu: object, clips: Path
) -> None:
    from local_runner.listening.recognizer import Recognizer

    tools = need_tools()
    listening = Recognizer("en-US")
    voice = VoiceModel(tmp_path / "voice", listening.dictionary, listening.bundled_model, tools)
    errors: list[str] = []
    learner = Learner(voice, listening.use_model, errors.append, every=3)
    learner.start()
    commands = SpokenCommands(listening, nlu, lambda words: None, learn=learner.learn)
    said = []
    for text in ("pause", "resume", "how much longer"):
        pcm = read_wav(spoken.clip(text, VOICE, spoken.CLEAN, clips))
        said += [words for utterance in listening.segments([pcm]) for words in commands.hear(utterance)]
        said += commands.finish()

    def meaning(words: str) -> object:
        return nlu.understand(words).to_contract()  # type: ignore[attr-defined]

    assert [meaning(words) for words in said] == [meaning(text) for text in ("pause", "resume", "how much longer")]
    assert learner.adapted.wait(120), errors
    assert listening.model == listening.bundled_model  # not in the middle of anything: at the next utterance
    pcm = read_wav(spoken.clip("next", VOICE, spoken.CLEAN, clips))
    heard = [words for utterance in listening.segments([pcm]) for words in commands.hear(utterance)]
    assert [meaning(words) for words in heard] == [meaning("next")]
    assert listening.model == tmp_path / "voice" / "model"
    learner.close(timeout=30)
    assert not errors
    assert [kept.words for kept in voice.heard()] == said + heard  # what it acted on, as it heard it


def test_a_command_with_a_word_the_dictionary_lacks_is_left_out_not_the_end_of_learning(
    tmp_path: Path, recognizer: Recognizer, clips: Path
) -> None:
    # kept while another locale's commands were heard, say: bw would stop at the unknown word
    voice = VoiceModel(tmp_path / "voice", recognizer.dictionary, recognizer.bundled_model, need_tools())
    voice.add(sound("resume", clips, recognizer), "resume zorbly")
    assert voice.adapt() is None  # not a model learnt from nothing, and no failure either
    assert voice.model is None
    voice.add(sound("pause", clips, recognizer), "pause")
    voice.add(sound("resume", clips, recognizer), "resume zorbly")
    assert voice.adapt() == voice.model
    assert voice.new_since_adapted() == 0  # learnt up to the newest, so not tried again and again


def test_a_new_model_is_taken_at_the_next_utterance_never_between_the_two_readings_of_one(
    recognizer: Recognizer, clips: Path
) -> None:
    from local_runner.listening.recognizer import FREE, GRAMMAR

    pcm = sound("pause", clips, recognizer)
    bundled = recognizer.model
    try:
        recognizer.transcribe(pcm, FREE)
        recognizer.use_model(recognizer.bundled_model)  # another decoder, made now
        first = recognizer.decoder
        recognizer.transcribe(pcm, GRAMMAR)  # the same utterance's other reading
        assert recognizer.decoder is first
        recognizer.transcribe(pcm, FREE)  # the next utterance
        assert recognizer.decoder is not first
    finally:
        assert recognizer.model == bundled


def test_one_coach_learns_in_a_folder_at_a_time(tmp_path: Path, recognizer: Recognizer) -> None:
    tools = need_tools()
    first = VoiceModel(tmp_path / "voice", recognizer.dictionary, recognizer.bundled_model, tools)
    with pytest.raises(AdaptationError, match="another coach is learning in"):
        VoiceModel(tmp_path / "voice", recognizer.dictionary, recognizer.bundled_model, tools)
    first.close()
    VoiceModel(tmp_path / "voice", recognizer.dictionary, recognizer.bundled_model, tools).close()  # now it may


def test_a_model_learnt_from_another_bundled_model_is_not_used_and_is_learnt_again(
    tmp_path: Path, recognizer: Recognizer, clips: Path
) -> None:
    voice = VoiceModel(tmp_path / "voice", recognizer.dictionary, recognizer.bundled_model, need_tools())
    voice.add(sound("pause", clips, recognizer), "pause")
    learnt = voice.adapt()
    assert learnt is not None and voice.model == learnt
    for made in (tmp_path / "voice" / "base", learnt):  # as if pocketsphinx had been upgraded since
        stamp = made / "bundled.txt"
        stamp.write_text(stamp.read_text(encoding="utf-8").replace("sendump ", "sendump 1"), encoding="utf-8")
    assert voice.model is None  # its model definition might not fit the new model's
    assert voice.new_since_adapted() == 1  # so what it was learnt from counts as new: learnt at the next start
    assert voice.adapt() == voice.model is not None  # learnt again, from the bundled model now


def test_an_unexpected_failure_in_learning_is_told_once_not_shown_as_a_traceback(
    tmp_path: Path, recognizer: Recognizer, clips: Path
) -> None:
    voice = VoiceModel(tmp_path / "voice", recognizer.dictionary, recognizer.bundled_model, need_tools())
    errors: list[str] = []

    def broken(model: Path) -> None:
        raise ValueError("no such thing")

    learner = Learner(voice, broken, errors.append, every=1)
    learner.start()
    learner.learn(sound("pause", clips, recognizer), "pause")
    deadline = time.monotonic() + 60
    while not errors and time.monotonic() < deadline:
        time.sleep(0.05)
    learner.close(timeout=30)
    assert errors == ["learning failed (ValueError('no such thing'))"]


def test_noise_and_sorry_teach_nothing(recognizer: Recognizer, nlu: object, clips: Path) -> None:
    need_espeak()
    taught: list[str] = []
    commands = SpokenCommands(recognizer, nlu, lambda words: None, learn=lambda pcm, words: taught.append(words))
    for wav in (
        spoken.noise_clip("pink", 10, 3.0, 1, clips),
        spoken.clip("what's the weather like today", VOICE, spoken.CLEAN, clips),
    ):
        for utterance in recognizer.segments([read_wav(wav)]):
            commands.hear(utterance)
        commands.finish()
    assert taught == []


def test_each_person_has_a_voice_folder_of_their_own_beside_the_progress_file() -> None:
    from local_runner.listening.adaptation import voice_folder

    progress = Path("/data/strong-back.db")
    assert voice_folder(progress, "local-user") == Path("/data/strong-back-voice/local-user")
    assert voice_folder(progress, "alice").parent == voice_folder(progress, "bob").parent
    odd = {voice_folder(progress, name) for name in ("../etc", "..", "a/b", "a b", "x" * 300, "é")}
    assert len(odd) == 6 and all(folder.parent == Path("/data/strong-back-voice") for folder in odd)
    assert not any(folder.name in {"..", "."} or "/" in folder.name for folder in odd)


def test_without_the_tools_the_coach_says_which_packages_it_needs(tmp_path: Path) -> None:
    with pytest.raises(AdaptationError) as missing:
        find_tools(path=str(tmp_path), folders=())
    assert "bw" in str(missing.value) and "apt-get install sphinxtrain sphinxbase-utils pocketsphinx" in str(
        missing.value
    )


def test_a_tool_that_fails_stops_learning_for_the_session_with_one_clear_word(
    tmp_path: Path, recognizer: Recognizer, clips: Path
) -> None:
    tools = {**need_tools(), "bw": Path("/bin/false")}
    voice = VoiceModel(tmp_path / "voice", recognizer.dictionary, recognizer.bundled_model, tools)
    errors: list[str] = []
    used: list[Path] = []
    learner = Learner(voice, used.append, errors.append, every=1)
    learner.start()
    pcm = sound("pause", clips, recognizer)
    learner.learn(pcm, "pause")
    deadline = time.monotonic() + 60
    while not errors and time.monotonic() < deadline:
        time.sleep(0.05)
    learner.learn(pcm, "pause")  # after the failure: not even kept
    learner.close(timeout=60)
    assert errors == ["bw failed (exit status 1)"]
    assert used == [] and voice.model is None
    assert len(voice.heard()) == 1  # the first was kept; learning had stopped by the second
    assert not any((tmp_path / "voice").glob("adapting-*"))  # nothing half-made left behind


def test_leaving_stops_a_tool_mid_way_says_nothing_and_leaves_nothing_half_made(
    tmp_path: Path, recognizer: Recognizer, clips: Path
) -> None:
    slow = tmp_path / "slow-bw"
    slow.write_text("#!/bin/sh\nsleep 60\n", encoding="utf-8")
    slow.chmod(0o755)
    tools = {**need_tools(), "bw": slow}
    voice = VoiceModel(tmp_path / "voice", recognizer.dictionary, recognizer.bundled_model, tools)
    errors: list[str] = []
    learner = Learner(voice, lambda model: None, errors.append, every=1)
    learner.start()
    learner.learn(sound("pause", clips, recognizer), "pause")
    deadline = time.monotonic() + 60
    while not any((tmp_path / "voice").glob("adapting-*")) and time.monotonic() < deadline:
        time.sleep(0.05)  # until bw is running
    time.sleep(0.5)
    left = time.monotonic()
    learner.close(timeout=10)
    assert time.monotonic() - left < 5  # not the minute bw would have taken
    assert errors == []  # leaving is no failure to tell of
    assert not any((tmp_path / "voice").glob("adapting-*"))
    assert len(voice.heard()) == 1  # what was heard stays kept for next time


# A microphone that hears a recording at a microphone's pace, then a quiet room: ``arecord`` as the
# coach runs it (its raw 16 kHz 16-bit output), for a machine with no sound card.
RECORDING_ARECORD = """#!{python}
import random, struct, sys, time, wave
rng = random.Random(7)
with wave.open({wav!r}) as said:
    sound = said.readframes(said.getnframes())
chunk = 3200  # 0.1 s
for start in range(0, len(sound), chunk):
    sys.stdout.buffer.write(sound[start:start + chunk].ljust(chunk, b"\\0"))
    sys.stdout.buffer.flush()
    time.sleep(0.1)
while True:
    sys.stdout.buffer.write(struct.pack("<1600h", *(round(rng.gauss(0, 30)) for _ in range(1600))))
    sys.stdout.buffer.flush()
    time.sleep(0.1)
"""


def listen(tmp_path: Path, wav: Path, until: Callable[[str], bool], seconds: float) -> str:
    """Run ``strong-back --text --listen`` with ``wav`` as what the microphone hears until ``until``
    is true of what it printed so far (or ``seconds``), leave as Ctrl-C would, and return what it printed."""
    tools = tmp_path / "bin"
    tools.mkdir(exist_ok=True)
    arecord = tools / "arecord"
    arecord.write_text(RECORDING_ARECORD.format(python=sys.executable, wav=str(wav)), encoding="utf-8")
    arecord.chmod(0o755)
    env = {**os.environ, "STRONG_BACK_DB": str(tmp_path / "progress.db"), "PATH": f"{tools}:{os.environ['PATH']}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "local_runner", "--text", "--listen"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    printed: list[str] = []
    reader = threading.Thread(target=lambda: printed.extend(process.stdout or ()), daemon=True)
    reader.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not until("".join(printed)) and process.poll() is None:
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    reader.join(timeout=10)
    out = "".join(printed)
    assert "Traceback" not in out, out
    return out


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_the_coach_learns_a_voice_over_sessions_and_hears_with_it_next_time(tmp_path: Path, clips: Path) -> None:
    need_espeak()
    need_tools()
    said = ["how am i doing", "what can i say", "how much longer"]
    wav = tmp_path / "said.wav"  # at the microphone's rate, 16 kHz
    spoken.write_wav(wav, spoken.int16(np.frombuffer(read_wav(spoken.conversation(said, VOICE, clips)), "<i2")))
    voice = tmp_path / "progress-voice" / "local-user"  # beside the progress file, the default --user
    words = voice / "heard" / "words.txt"

    def kept() -> int:
        return len(words.read_text(encoding="utf-8").splitlines()) if words.is_file() else 0

    first = listen(tmp_path, wav, lambda printed: kept() == len(said), 90)
    assert kept() == len(said), first  # every command acted on was kept, as its cepstra
    assert "learns your voice from the commands it acts on" in first
    assert not list(voice.rglob("*.wav"))  # the sound itself is not kept

    quiet = tmp_path / "quiet.wav"
    spoken.write_wav(quiet, spoken.int16(np.zeros(spoken.RATE)))
    second = listen(tmp_path, quiet, lambda printed: (voice / "model" / "sendump").is_file(), 120)
    assert (voice / "model" / "sendump").is_file(), second  # learnt at the start of the next session

    third = listen(tmp_path, quiet, lambda printed: "Listening" in printed, 60)
    assert f"learnt of your voice from {len(said)} commands" in third
    assert "will not learn" not in third
