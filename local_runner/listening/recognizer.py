"""Offline recognition of spoken commands with pocketsphinx and its bundled US English model.

``Recognizer`` decodes each utterance (16 kHz, 16-bit mono PCM) twice, with two searches over one
acoustic model and dictionary:

- ``free``: the statistical language model of the commands (``local_runner.listening.language_model``), with
  general English words around them, so paraphrases and speech that is no command are heard as
  they were said;
- ``grammar``: the command grammar (``local_runner.listening.grammar``), which hears only word
  sequences the interaction models contain.

``local_runner.listening.hearing`` weighs the two. ``segments`` cuts a stream of audio into utterances
(``local_runner.listening.endpointing``) and takes the room's steady noise out of them
(``local_runner.listening.denoising``). The pronunciation dictionary is the wheel's CMU dictionary, cut
down to the words of both, plus ``pronunciations.dict`` for the words it lacks ("glute",
"deadlift", "pulldown").
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from local_runner.listening.bandwidth import widen
from local_runner.listening.denoising import denoise, room_spectrum
from local_runner.listening.endpointing import ENDPOINTER_SETTINGS, LOUD_SHARE, SAMPLE_RATE, Utterance, segments
from local_runner.listening.grammar import Grammar, command_grammar
from local_runner.listening.language_model import LanguageModel, command_language_model
from skill.errors import StrongBackError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

EXTRA_PRONUNCIATIONS = Path(__file__).with_name("pronunciations.dict")
# Tuned with benchmarks/bench_listen.py on synthesized voices with noise. A language weight below
# the default 6.5 lets the sound, not the grammar's branching, choose between long and short
# commands; no second lattice pass (it costs time and found nothing better). Each frame's sound is
# scored with the 8 best Gaussians of each codebook, not 4 (more of each word's sound counts: dev
# set 1.5 points better, tune set 0.9 better, for 18 % more decoding time; 16 was no better and costlier).
DECODER_SETTINGS: dict[str, Any] = {"lw": 4.0, "bestpath": False, "topn": 8, "loglevel": "FATAL"}
# The free search: pocketsphinx's usual language weight for n-gram models, and wider beams (chosen
# on the tune set: more of "ten minutes" survives the early pruning, at little cost). Its second,
# flat-lexicon pass looks for each word within 10 frames of where the first pass found it (not 25),
# with a slightly narrower beam, and at most 20 words end in a frame: 10 % less time for the same
# readings of the dev set (benchmarks/bench_listen.py).
FREE_SETTINGS: dict[str, Any] = {
    "lw": 6.5,
    "beam": 1e-60,
    "wbeam": 1e-40,
    "pbeam": 1e-60,
    "fwdflatsfwin": 10,
    "fwdflatbeam": 1e-56,
    "maxwpf": 20,
}
ALTERNATIVES = 10  # how many of the free search's next best sentences weigh in (hearing.Judge)
FREE = "free"  # the search with the commands' language model: paraphrases allowed
GRAMMAR = "grammar"  # the search with the command grammar: the models' sentences only
INSTALL_HINT = "pip install 'pocketsphinx>=5,<6' (make coach installs it)"


# A faint hiss added to every utterance: the acoustic model was trained on recordings, which always
# have a noise floor, and decodes the digital silence of synthesized or edited files badly ("pause"
# heard as "lats"). Its RMS stands HISS_UNDER_SPEECH_DB under the RMS of the loudest tenth
# (``LOUD_SHARE``, the loudness endpointing measures too) of the utterance's 10 ms frames, and is
# never over 60 (about -55 dB of full scale). Fixed at 60, it drowned speech said 20 dB more quietly
# (someone across the room from a laptop): its loudest tenth stood 19 dB over the hiss, not 39, and
# the dev set's clean clips, that quiet, were understood 49.7 % of the time against 74.5 %.
HISS_UNDER_SPEECH_DB = 39.0  # where the fixed hiss stood under speech at the benchmark's level (33, 45: worse)
_HISS_LOUDEST = 60.0  # the hiss's RMS at most (16-bit sample units)
_HISS_FRAME = SAMPLE_RATE // 100
NOISE_FLOOR = np.random.default_rng(16000).standard_normal(SAMPLE_RATE)


def with_noise_floor(pcm: bytes) -> bytes:
    """``pcm`` with ``NOISE_FLOOR`` mixed in, ``HISS_UNDER_SPEECH_DB`` under its loudest tenth."""
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float64)
    if not len(samples):
        return pcm[: len(pcm) // 2 * 2]
    frames = samples[: len(samples) // _HISS_FRAME * _HISS_FRAME].reshape(-1, _HISS_FRAME)
    if len(frames):
        loudest = float(np.percentile(np.sqrt((frames**2).mean(axis=1)), 100 * (1 - LOUD_SHARE)))
    else:  # under 10 ms of sound
        loudest = float(np.sqrt((samples**2).mean()))
    level = min(_HISS_LOUDEST, loudest / 10 ** (HISS_UNDER_SPEECH_DB / 20))
    floor = np.resize(NOISE_FLOOR, len(samples)) * max(level, 1.0)  # digital silence: a hiss all the same
    return np.clip(np.round(samples + floor), -32768, 32767).astype("<i2").tobytes()


def _configure(decoder: Any, settings: dict[str, Any]) -> None:
    for key, value in settings.items():
        decoder.config[key] = value


class RecognizerError(StrongBackError):
    """Speech recognition can't start; the message says why, for the person."""


def _pocketsphinx() -> Any:
    try:
        import pocketsphinx
    except ImportError as error:
        raise RecognizerError(f"pocketsphinx is not installed ({error}); {INSTALL_HINT}") from None
    return pocketsphinx


def _base_word(entry: str) -> str:
    return re.sub(r"\(\d+\)$", "", entry)


def read_dictionary(path: Path) -> dict[str, list[str]]:
    """A pronunciation dictionary: word -> its pronunciations (``;`` starts a comment line)."""
    entries: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith(";"):
            continue
        entry, _, phones = line.strip().partition(" ")
        entries.setdefault(_base_word(entry), []).append(" ".join(phones.split()))
    return entries


def pronunciations(words: Iterable[str]) -> dict[str, list[str]]:
    """Every pronunciation of ``words``; ``RecognizerError`` names any word with none."""
    wanted = set(words)
    found: dict[str, list[str]] = {}
    bundled = Path(_pocketsphinx().get_model_path("en-us/cmudict-en-us.dict"))
    with bundled.open(encoding="utf-8") as lines:
        for line in lines:
            entry, _, phones = line.partition(" ")
            word = _base_word(entry)
            if word in wanted:
                found.setdefault(word, []).append(phones.strip())
    for word, extra in read_dictionary(EXTRA_PRONUNCIATIONS).items():
        if word in wanted:
            found[word] = extra + [phones for phones in found.get(word, []) if phones not in extra]
    missing = sorted(wanted - set(found))
    if missing:
        raise RecognizerError(f"no pronunciation for {', '.join(missing)}: add them to {EXTRA_PRONUNCIATIONS}")
    return found


def _dictionary_text(entries: dict[str, list[str]]) -> str:
    lines = []
    for word in sorted(entries):
        for number, phones in enumerate(entries[word], 1):
            lines.append(f"{word if number == 1 else f'{word}({number})'} {phones}")
    return "\n".join(lines) + "\n"


def decode(decoder: Any, pcm: bytes, mixed: bytes | None = None) -> str:
    """The words a pocketsphinx decoder hears in one utterance, with the noise floor mixed in
    (``mixed``: ``with_noise_floor(pcm)`` when the caller has it already)."""
    if len(pcm) < 2:
        return ""
    try:
        decoder.start_utt()
    except RuntimeError:  # an utterance left open by a decode cut short: close it and begin again
        decoder.end_utt()
        decoder.start_utt()
    decoder.process_raw(with_noise_floor(pcm) if mixed is None else mixed, full_utt=True)
    decoder.end_utt()
    hypothesis = decoder.hyp()
    return hypothesis.hypstr.strip() if hypothesis is not None else ""


@dataclass(frozen=True)
class Hypotheses:
    """What each search heard in one utterance ("" for nothing), and the free search's next best
    sentences for it, best first (its n-best list; the first is often the free reading itself)."""

    free: str
    grammar: str
    alternatives: tuple[str, ...] = ()


class Recognizer:
    """Spoken commands to words, offline: ``hear`` an utterance, ``segments`` a stream."""

    def __init__(
        self,
        locale: str = "en-US",
        grammar: Grammar | None = None,
        language_model: LanguageModel | None = None,
        model: Path | None = None,
        **settings: Any,
    ) -> None:
        ps = _pocketsphinx()
        self.grammar = grammar or command_grammar(locale)
        self.language_model = language_model or command_language_model(locale)
        self.dictionary = _dictionary_text(pronunciations(self.grammar.words | self.language_model.words))
        self.settings = settings
        self.bundled_model = Path(ps.get_model_path("en-us/en-us"))
        self.model = model or self.bundled_model
        self.decoder = self._decoder(self.model)
        self._search = GRAMMAR
        self._next: tuple[Path, Any] | None = None  # a model to hear with from the next utterance on
        self._lock = threading.Lock()
        self._decoded_freely = False
        self._mixed: tuple[bytes | None, bytes] = (None, b"")  # the last utterance and its noise floor mix
        self._endpointer_class = ps.Endpointer

    def _decoder(self, model: Path) -> Any:
        """A decoder with both searches, hearing with the acoustic model in ``model``."""
        ps = _pocketsphinx()
        try:
            scratch = tempfile.TemporaryDirectory(prefix="strong-back-")
        except OSError as error:
            raise RecognizerError(f"pocketsphinx could not start ({error})") from None
        dictionary, arpa = Path(scratch.name, "words.dict"), Path(scratch.name, "commands.arpa")
        try:
            dictionary.write_text(self.dictionary, encoding="utf-8")
            arpa.write_text(self.language_model.arpa, encoding="utf-8")
            config = {**DECODER_SETTINGS, **self.settings}
            decoder = ps.Decoder(hmm=str(model), dict=str(dictionary), lm=None, **config)
            usual = {key: decoder.config[key] for key in FREE_SETTINGS}
            _configure(decoder, FREE_SETTINGS)  # a search takes the settings in force when it is added
            decoder.add_lm_file(FREE, str(arpa))
            _configure(decoder, usual)
            fsg = decoder.create_fsg(GRAMMAR, self.grammar.start, self.grammar.final, self.grammar.transitions)
            decoder.add_fsg(GRAMMAR, fsg)
            decoder.activate_search(GRAMMAR)
        except (RuntimeError, ValueError, OSError) as error:
            raise RecognizerError(f"pocketsphinx could not start ({error})") from None
        finally:
            scratch.cleanup()
        return decoder

    def use_model(self, model: Path) -> None:
        """Hear with the acoustic model in ``model`` from the next utterance on (the decoder is made
        here, on the caller's thread; ``RecognizerError`` if it can't be)."""
        decoder = self._decoder(model)
        with self._lock:
            self._next = (model, decoder)

    def transcribe(self, pcm: bytes, search: str = GRAMMAR) -> str:
        """The words of one utterance (16 kHz 16-bit mono PCM) as ``search`` hears them; "" for none."""
        if self._next is not None and (search == FREE or not self._decoded_freely):  # not mid-utterance
            with self._lock:
                (self.model, self.decoder), self._next = self._next, None
            self._search = GRAMMAR
        if self._search != search:
            self.decoder.activate_search(search)
            self._search = search
        self._decoded_freely = search == FREE and len(pcm) >= 2  # a lattice to read alternatives from
        if self._mixed[0] is not pcm:  # both searches of one utterance hear the same mix
            self._mixed = (pcm, with_noise_floor(pcm))
        return decode(self.decoder, pcm, self._mixed[1])

    def alternatives(self, count: int = ALTERNATIVES) -> tuple[str, ...]:
        """Up to ``count`` different sentences the utterance just heard freely could also have been,
        best first (the free search's n-best list, from the word lattice it kept: no second decode);
        none after a grammar decode or an empty utterance."""
        if not self._decoded_freely:
            return ()
        found: list[str] = []
        for entry in itertools.islice(self.decoder.nbest(), 3 * count):  # None: an empty lattice
            words = entry.hypstr.strip() if entry is not None else ""
            if words and words not in found:
                found.append(words)
                if len(found) == count:
                    break
        return tuple(found)

    def hear(self, pcm: bytes) -> Hypotheses:
        """What both searches hear in one utterance, with the free search's alternatives."""
        free = self.transcribe(pcm, FREE)
        alternatives = self.alternatives()
        return Hypotheses(free, self.transcribe(pcm, GRAMMAR), alternatives)

    def segments(
        self, chunks: Iterable[bytes], on_speech: Callable[[float | None], None] | None = None
    ) -> Iterator[Utterance]:
        """Utterances found in a stream of PCM chunks of any size, as each one ends, with the room's
        steady noise taken out of their sound (``denoising``; their loudness above the room's floor
        is as heard) and a narrowband microphone's sound widened (``bandwidth``). ``on_speech`` is
        told when speech begins (stream time, seconds), before its utterance ends, and None when
        it came to no utterance."""

        def endpointer() -> Any:
            return self._endpointer_class(sample_rate=SAMPLE_RATE, **ENDPOINTER_SETTINGS)

        for utterance in segments(endpointer, chunks, on_speech):
            yield dataclasses.replace(utterance, pcm=widen(denoise(utterance.pcm, room_spectrum(utterance.room))))
