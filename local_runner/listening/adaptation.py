"""The coach learns the voice it hears: the acoustic model adapted to the person from the commands
it acted on.

Each command the coach acts on is kept as the recogniser heard it (its cepstra, made with
``sphinx_fe``, rather than its sound) with the words it acted on, in a folder beside the progress
file; one coach learns in a folder at a time. After
every ``ADAPT_EVERY`` new ones, and at the start of a session when some are new, the bundled US
English model is adapted to the latest ``KEPT`` of them by maximum a posteriori estimation (CMU
Sphinx's own tools: ``bw`` counts how each of the model's Gaussians, mixture weights and transitions
fit the person's speech, ``map_adapt`` moves each towards them as far as its counts warrant, and
``mk_s2sendump`` packs the mixture weights as pocketsphinx loads them). It runs on a thread of its own
at low priority, and the recogniser takes the new model between two utterances.

No words are known for sure: the coach learns from what it understood. A command it acted on in
error teaches it a little of the wrong sound, which the many right ones outweigh.

The tools come from Debian's ``sphinxtrain``, ``sphinxbase-utils`` and ``pocketsphinx`` packages
(``make coach`` installs them as root). Without them the coach listens as well as it did before it
learnt anything, and says once why it does not learn.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from queue import Queue
from typing import TYPE_CHECKING, Any

import numpy as np

from local_runner.listening.recognizer import with_noise_floor
from skill.errors import StrongBackError

if TYPE_CHECKING:
    from collections.abc import Callable

ADAPT_EVERY = 10  # commands acted on between two adaptations
KEPT = 300  # the latest commands the model is adapted to (about 8 minutes of speech)
PACKAGES = "sphinxtrain sphinxbase-utils pocketsphinx"
# Where Debian (and a source build of sphinxtrain) put the training tools, which are not on PATH.
SPHINXTRAIN_DIRS = tuple(Path(prefix, "sphinxtrain") for prefix in ("/usr/lib", "/usr/libexec", "/usr/local/libexec"))
TOOLS = ("sphinx_fe", "pocketsphinx_mdef_convert", "bw", "map_adapt", "mk_s2sendump")
# The bundled model's files that adaptation leaves as they are.
UNCHANGED = ("mdef", "feat.params", "noisedict")
_STREAMS = "0-12/13-25/26-38"  # the bundled model's three feature streams (its feat.params' svspec)
# The smallest mixture weight: the bundled model's (its sendump goes down to 1.0001 ** -(158 * 1024));
# the tools' default, 1e-5, would raise every weight under it.
MIXTURE_WEIGHT_FLOOR = "1e-7"
_TOOL_SECONDS = 300  # no tool runs longer than this (bw takes about 7 s for 190 commands)
_LEFT_SECONDS = 3600  # a scratch folder this old was left by a coach that was killed
_NICE = ("nice", "-n", "10") if shutil.which("nice") else ()


def voice_folder(progress_file: Path, user: str) -> Path:
    """Where what the coach learns of ``user``'s voice is kept: beside the progress file, a folder for
    each person (``--user``) in a folder named after it."""
    name = user if re.fullmatch(r"[\w.-]{1,64}", user) and user.strip(".") else f"user-{_digest(user)}"
    return progress_file.with_name(f"{progress_file.stem}-voice") / name


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class AdaptationError(StrongBackError):
    """The voice can't be learnt here; the message says why, for the person."""


def find_tools(path: str | None = None, folders: tuple[Path, ...] = SPHINXTRAIN_DIRS) -> dict[str, Path]:
    """Where each adaptation tool is (on ``path``, default PATH, or in ``folders``);
    ``AdaptationError`` names the missing ones and their packages."""
    found: dict[str, Path] = {}
    for tool in TOOLS:
        where = shutil.which(tool, path=path)
        if where is None:
            where = next((str(folder / tool) for folder in folders if (folder / tool).is_file()), None)
        if where is not None:
            found[tool] = Path(where)
    missing = [tool for tool in TOOLS if tool not in found]
    if missing:
        raise AdaptationError(f"{', '.join(missing)} not found (sudo apt-get install {PACKAGES})")
    return found


def read_sendump(path: Path) -> np.ndarray:
    """pocketsphinx's packed mixture weights as probabilities, shaped (senones, streams, codewords)."""
    with path.open("rb") as packed:

        def text() -> str | None:
            (length,) = struct.unpack("<I", packed.read(4))
            return packed.read(length)[:-1].decode("ascii") if length else None

        text()  # the format's description
        header: dict[str, str] = {}
        while (line := text()) is not None:
            key, _, value = line.partition(" ")
            header[key] = value.strip()
        if int(header.get("cluster_count", "0")):
            raise AdaptationError(f"{path}: clustered mixture weights are not supported")
        streams, shift = int(header["feature_count"]), int(header.get("mixw_shift", "10"))
        codewords, senones = struct.unpack("<II", packed.read(8))
        stored = np.frombuffer(packed.read(streams * codewords * senones), dtype=np.uint8)
    if stored.size != streams * codewords * senones:
        raise AdaptationError(f"{path} is cut short")
    # each byte is -log(p) in units of log base 1.0001, shifted down by mixw_shift bits
    weights = np.power(1.0001, -(stored.astype(np.float64) * (1 << shift)))
    return weights.reshape(streams, codewords, senones).transpose(2, 0, 1)


def write_parameters(path: Path, values: np.ndarray) -> None:
    """A 3-d array in Sphinx's binary parameter format (what ``bw`` and ``map_adapt`` read)."""
    head = b"s3\nversion 1.0\n"
    padding = -(len(head) + len(b"endhdr\n")) % 4  # the numbers start on a 4-byte boundary
    with path.open("wb") as out:
        out.write(head + b" " * padding + b"endhdr\n")
        out.write(struct.pack("<i", 0x11223344))  # the byte order
        out.write(struct.pack("<IIII", *values.shape, values.size))
        out.write(np.ascontiguousarray(values, dtype="<f4").tobytes())


@dataclass(frozen=True)
class Kept:
    """One command kept for learning: its name in the folder and the words acted on."""

    name: str
    words: str


class VoiceModel:
    """The person's model and what it learnt from, in ``folder``: ``heard/`` (cepstra and the words
    acted on), ``model/`` (the adapted model, once there is one) and ``base/`` (the bundled model's
    files in the form the tools read, made once)."""

    def __init__(self, folder: Path, dictionary: str, bundled: Path, tools: dict[str, Path] | None = None) -> None:
        self.folder = folder
        self.dictionary = dictionary  # the recogniser's pronunciations: every word it can hear
        self.bundled = bundled
        self.tools = tools if tools is not None else find_tools()
        self.heard_folder = folder / "heard"
        self.transcripts = self.heard_folder / "words.txt"
        self._running: subprocess.Popen[str] | None = None
        self._stopped = False
        self._tool_lock = threading.Lock()  # stop() and the start of a tool, one at a time
        try:
            self.heard_folder.mkdir(parents=True, exist_ok=True)
            self._lock = (folder / "lock").open("a")
        except OSError as error:
            raise AdaptationError(f"could not write in {folder} ({error.strerror or error})") from None
        try:  # one coach learns in a folder at a time
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock.close()
            raise AdaptationError(f"another coach is learning in {folder}") from None
        for left in [*folder.glob("adapting-*"), *folder.glob("base-*")]:  # by a coach killed mid-way
            with contextlib.suppress(OSError):
                if time.time() - left.stat().st_mtime > _LEFT_SECONDS:
                    shutil.rmtree(left, ignore_errors=True)

    @property
    def model(self) -> Path | None:
        """The adapted model, if there is one, adapted from the bundled model installed now."""
        model = self.folder / "model"
        return model if (model / "sendump").is_file() and self._made_from_bundled(model) else None

    def close(self) -> None:
        """Let another coach learn in the folder."""
        self._lock.close()

    def set_aside(self) -> None:
        """Put the adapted model out of the way (it could not be read): the next adaptation makes
        another from what is kept."""
        with contextlib.suppress(OSError):
            shutil.rmtree(self.folder / "model.broken", ignore_errors=True)
            (self.folder / "model").rename(self.folder / "model.broken")

    def _bundled_stamp(self) -> str:
        """What the bundled model is (its folder and its files' sizes): a model adapted from
        another (pocketsphinx upgraded) does not fit this one's model definition."""
        sizes = [f"{name} {(self.bundled / name).stat().st_size}" for name in ("mdef", "means", "sendump")]
        return "\n".join([str(self.bundled), *sizes]) + "\n"

    def _made_from_bundled(self, folder: Path) -> bool:
        stamp = folder / "bundled.txt"
        try:
            return stamp.read_text(encoding="utf-8") == self._bundled_stamp()
        except OSError:
            return False

    def heard(self) -> list[Kept]:
        """The commands kept, oldest first."""
        if not self.transcripts.is_file():
            return []
        kept = []
        for line in self.transcripts.read_text(encoding="utf-8").splitlines():
            name, _, words = line.partition("\t")
            if words and (self.heard_folder / f"{name}.mfc").is_file():
                kept.append(Kept(name, words))
        return kept

    def new_since_adapted(self) -> int:
        """How many commands were kept after the model was last adapted (all of them when there is no
        model to use)."""
        adapted = self.folder / "model" / "heard.txt"
        last = adapted.read_text(encoding="utf-8").strip() if self.model is not None and adapted.is_file() else ""
        names = [kept.name for kept in self.heard()]
        return len(names) - names.index(last) - 1 if last in names else len(names)

    def add(self, pcm: bytes, words: str) -> None:
        """Keep one command acted on: ``pcm``, the utterance's sound (16 kHz 16-bit mono) as the
        recogniser was given it; the faint hiss it decodes with is mixed in here, off the listening
        thread."""
        kept = self.heard()
        name = f"{int(kept[-1].name) + 1 if kept else 1:07d}"
        with tempfile.TemporaryDirectory(prefix="strong-back-") as scratch:
            sound = Path(scratch, "heard.wav")
            with wave.open(str(sound), "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(16000)
                out.writeframes(with_noise_floor(pcm))
            self._run(
                "sphinx_fe",
                "-argfile",
                self.bundled / "feat.params",
                "-samprate",
                "16000",
                "-mswav",
                "yes",
                "-i",
                sound,
                "-o",
                self.heard_folder / f"{name}.mfc",
            )
        kept.append(Kept(name, " ".join(words.split())))
        for old in kept[:-KEPT]:
            (self.heard_folder / f"{old.name}.mfc").unlink(missing_ok=True)
        self._write_transcripts(kept[-KEPT:])

    def _write_transcripts(self, kept: list[Kept]) -> None:
        partial = self.transcripts.with_suffix(".part")
        partial.write_text("".join(f"{heard.name}\t{heard.words}\n" for heard in kept), encoding="utf-8")
        partial.replace(self.transcripts)

    def adapt(self) -> Path | None:
        """Adapt the bundled model to the commands kept; the new model's folder (None: nothing to
        learn from)."""
        known = {re.sub(r"\(\d+\)$", "", line.split(maxsplit=1)[0]) for line in self.dictionary.splitlines() if line}
        # every word must be in the dictionary (a command kept while another locale's commands were heard
        # may not be): bw skips such a command, and from nothing else would make a model of no counts
        latest = self.heard()[-KEPT:]
        kept = [heard for heard in latest if set(heard.words.split()) <= known]
        if not kept:
            return None  # nothing heard yet, or nothing in words this recogniser knows
        base = self._base()
        work = Path(tempfile.mkdtemp(prefix="adapting-", dir=self.folder))
        try:
            (work / "ids").write_text("".join(f"{heard.name}\n" for heard in kept), encoding="utf-8")
            (work / "words").write_text(
                "".join(f"<s> {heard.words} </s> ({heard.name})\n" for heard in kept), encoding="utf-8"
            )
            (work / "dict").write_text(self.dictionary, encoding="utf-8")
            (work / "counts").mkdir()
            self._run(
                "bw", "-hmmdir", base, "-moddeffn", base / "mdef.txt", "-ts2cbfn", ".ptm.", "-feat", "1s_c_d_dd",
                "-svspec", _STREAMS, "-cmn", "batch", "-agc", "none", "-dictfn", work / "dict",
                "-fdictfn", base / "noisedict", "-ctlfn", work / "ids", "-lsnfn", work / "words",
                "-cepdir", self.heard_folder, "-cepext", "mfc", "-accumdir", work / "counts",
            )  # fmt: skip
            model = work / "model"
            model.mkdir()
            self._run(
                "map_adapt", "-moddeffn", base / "mdef.txt", "-ts2cbfn", ".ptm.", "-meanfn", base / "means",
                "-varfn", base / "variances", "-mixwfn", base / "mixture_weights",
                "-tmatfn", base / "transition_matrices",
                "-accumdir", work / "counts", "-mapmeanfn", model / "means", "-mapvarfn", model / "variances",
                "-mapmixwfn", model / "mixture_weights", "-maptmatfn", model / "transition_matrices",
                "-mwfloor", MIXTURE_WEIGHT_FLOOR,
            )  # fmt: skip
            self._run("mk_s2sendump", "-pocketsphinx", "yes", "-moddeffn", base / "mdef.txt",
                      "-mixwfn", model / "mixture_weights", "-sendumpfn", model / "sendump",
                      "-mwfloor", MIXTURE_WEIGHT_FLOOR)  # fmt: skip
            (model / "mixture_weights").unlink()  # pocketsphinx reads the sendump
            for name in UNCHANGED:
                shutil.copyfile(self.bundled / name, model / name)
            (model / "heard.txt").write_text(latest[-1].name + "\n", encoding="utf-8")  # learnt up to here
            (model / "bundled.txt").write_text(self._bundled_stamp(), encoding="utf-8")
            return self._install(model)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _install(self, model: Path) -> Path:
        """``model`` in the place of the last one (a recogniser has read the old one's files already)."""
        final, old = self.folder / "model", self.folder / "model.old"
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            final.rename(old)
        model.rename(final)
        shutil.rmtree(old, ignore_errors=True)
        return final

    def _base(self) -> Path:
        """The bundled model's files as the tools read them: its model definition as text and its
        mixture weights unpacked (made once, and again if the bundled model changes; about 17 MB)."""
        base = self.folder / "base"
        if (base / "mixture_weights").is_file() and self._made_from_bundled(base):
            return base
        making = Path(tempfile.mkdtemp(prefix="base-", dir=self.folder))
        try:
            for name in ("means", "variances", "transition_matrices", "noisedict", "feat.params"):
                shutil.copyfile(self.bundled / name, making / name)
            self._run("pocketsphinx_mdef_convert", "-text", self.bundled / "mdef", making / "mdef.txt")
            weights = read_sendump(self.bundled / "sendump")
            write_parameters(making / "mixture_weights", weights / weights.sum(axis=2, keepdims=True))
            (making / "bundled.txt").write_text(self._bundled_stamp(), encoding="utf-8")
            shutil.rmtree(base, ignore_errors=True)
            making.rename(base)
        finally:
            shutil.rmtree(making, ignore_errors=True)
        return base

    def stop(self) -> None:
        """Stop adapting (the coach is leaving): the tool that is running, and any after it. Commands
        are still kept."""
        with self._tool_lock:
            self._stopped = True
            if self._running is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self._running.pid, signal.SIGTERM)  # the tool and anything it started

    def _run(self, tool: str, *arguments: Any) -> None:
        # at low priority: learning waits for listening and coaching
        command = [*_NICE, str(self.tools[tool]), *map(str, arguments)]
        try:
            with self._tool_lock:
                if self._stopped and tool != "sphinx_fe":
                    raise AdaptationError("stopped")
                running = self._running = subprocess.Popen(
                    command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
                )
            try:
                _, errors = running.communicate(timeout=_TOOL_SECONDS)
            except subprocess.TimeoutExpired as error:
                os.killpg(running.pid, signal.SIGKILL)
                running.wait()
                raise AdaptationError(f"{tool} failed ({error})") from None
        except OSError as error:
            raise AdaptationError(f"{tool} failed ({error.strerror or error})") from None
        finally:
            with self._tool_lock:
                self._running = None
        if running.returncode != 0:
            lines = [line for line in errors.splitlines() if "ERROR" in line or "FATAL" in line]
            raise AdaptationError(f"{tool} failed ({(lines or [f'exit status {running.returncode}'])[-1].strip()})")


class Learner:
    """Learns on a thread of its own: ``learn`` keeps a command acted on, and every ``ADAPT_EVERY``
    of them (and at the start, if some are new) the model is adapted and handed to ``use_model``.
    A failure is told to ``on_error`` once, and learning stops for the session."""

    def __init__(
        self,
        voice: VoiceModel,
        use_model: Callable[[Path], None],
        on_error: Callable[[str], None],
        every: int = ADAPT_EVERY,
    ) -> None:
        self.voice = voice
        self.use_model = use_model
        self.on_error = on_error
        self.every = every
        self._queue: Queue[tuple[bytes, str] | None] = Queue()
        self._thread = threading.Thread(target=self._run, name="learner", daemon=True)
        self._failed = False
        self._closing = False
        self.adapted = threading.Event()  # set after each adaptation (for tests and benchmarks)

    def start(self) -> None:
        self._thread.start()

    def learn(self, pcm: bytes, words: str) -> None:
        if not self._failed:
            self._queue.put((pcm, words))

    def close(self, timeout: float = 1.0) -> None:
        """Stop learning (what is kept stays kept; a half-made model is thrown away)."""
        self._closing = True
        self._queue.put(None)
        self.voice.stop()
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self.voice.close()

    def _run(self) -> None:
        try:
            if self.voice.new_since_adapted():
                self._adapt()
            while (item := self._queue.get()) is not None:
                self.voice.add(*item)
                if not self._closing and self.voice.new_since_adapted() >= self.every:
                    self._adapt()
        except Exception as error:  # a thread of its own: the person is told, never shown a traceback
            self._failed = True
            if not self._closing:
                why = str(error) if isinstance(error, StrongBackError) else f"learning failed ({error!r})"
                self.on_error(why)
            while (item := self._queue.get()) is not None:  # what was heard is kept all the same
                with contextlib.suppress(Exception):
                    self.voice.add(*item)

    def _adapt(self) -> None:
        model = self.voice.adapt()
        if model is not None:
            self.use_model(model)
            self.adapted.set()
