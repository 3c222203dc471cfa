"""Voice-input benchmark: how many spoken commands are understood, and how fast.

    python benchmarks/bench_listen.py

The commands are tests/data/spoken_commands.toml, synthesized with espeak-ng in the voices of
tests/support/spoken.py (American voices at several rates, some with a room's hiss; and other accents,
reported apart because the recogniser's acoustic model is US English). Each recording goes the
way ``strong-back --listen-from`` takes it: read and resampled, cut into utterances by the voice
activity detector, decoded, and resolved by the offline parser. A command counts as understood
when exactly one utterance is heard and it resolves to the right intent and slots.

The baseline, measured in the same run on the same recordings, is pocketsphinx's general US
English language model (the n-gram model in its wheel, with its full dictionary) feeding the same
parser: what you get without the command grammar.
Targets: at least 90 % understood for the American voices; real-time factor (decoding time over
the length of the sound) at most 0.1.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from local_runner.listening.audio_in import read_wav  # noqa: E402
from local_runner.listening.recognizer import BYTES_PER_SECOND, DECODER_SETTINGS, Recognizer, decode  # noqa: E402
from local_runner.understanding.parser import understander  # noqa: E402
from tests.support import spoken  # noqa: E402

ACCURACY_TARGET = 0.90
RTF_TARGET = 0.10


class Baseline:
    """pocketsphinx's general English language model, decoding the same utterances."""

    def __init__(self) -> None:
        import pocketsphinx as ps

        self.decoder = ps.Decoder(
            hmm=ps.get_model_path("en-us/en-us"),
            lm=ps.get_model_path("en-us/en-us.lm.bin"),
            dict=ps.get_model_path("en-us/cmudict-en-us.dict"),
            loglevel="FATAL",
        )

    def transcribe(self, pcm: bytes) -> str:
        return decode(self.decoder, pcm)


Recordings = list[tuple[Path, dict[str, Any]]]


def measure(decoder: Any, cutter: Recognizer, nlu: Any, recordings: Recordings) -> dict[str, float]:
    right = 0
    seconds = decoding = 0.0
    for wav, expected in recordings:
        pcm = read_wav(wav)
        seconds += len(pcm) / BYTES_PER_SECOND
        started = time.perf_counter()
        heard = [decoder.transcribe(utterance.pcm) for utterance in cutter.segments([pcm])]
        decoding += time.perf_counter() - started
        understood = [nlu.understand(words).to_contract() for words in heard if words]
        right += understood == [expected]
    return {"accuracy": right / len(recordings), "rtf": decoding / seconds, "count": len(recordings)}


def recordings(speakers: tuple[spoken.Speaker, ...], folder: Path) -> Recordings:
    made = []
    for voice, speaker in enumerate(speakers):
        for number, command in enumerate(spoken.commands()):
            wav = spoken.synthesize(command.say, speaker, folder / f"{voice}-{number}.wav")
            made.append((wav, command.expected()))
    return made


def main() -> int:
    started = time.perf_counter()
    recognizer = Recognizer("en-US")
    print(f"start-up (grammar, dictionary, decoder): {time.perf_counter() - started:.2f} s")
    print(f"grammar: {recognizer.grammar.describe()}; decoder settings {DECODER_SETTINGS}")
    baseline = Baseline()
    nlu = understander("en-US")
    with tempfile.TemporaryDirectory() as folder:
        american = recordings(spoken.SPEAKERS, Path(folder))
        other_folder = Path(folder) / "other"
        other_folder.mkdir()
        others = recordings(spoken.OTHER_ACCENTS, other_folder)
        rows = [
            ("command grammar, American voices", measure(recognizer, recognizer, nlu, american)),
            ("baseline general model, American voices", measure(baseline, recognizer, nlu, american)),
            ("command grammar, other accents", measure(recognizer, recognizer, nlu, others)),
            ("baseline general model, other accents", measure(baseline, recognizer, nlu, others)),
        ]
    print(f"voices: {', '.join(map(str, spoken.SPEAKERS))}; other accents: {', '.join(map(str, spoken.OTHER_ACCENTS))}")
    print(f"{'':42} {'understood':>10} {'RTF':>6} {'n':>4}")
    for name, row in rows:
        print(f"{name:42} {row['accuracy']:>9.1%} {row['rtf']:>6.3f} {row['count']:>4.0f}")
    ours, base = rows[0][1], rows[1][1]
    gain = ours["accuracy"] / base["accuracy"] if base["accuracy"] else float("inf")
    print(f"accuracy vs baseline: {gain:.2f}x; speed vs baseline: {base['rtf'] / ours['rtf']:.2f}x")
    met = ours["accuracy"] >= ACCURACY_TARGET and ours["rtf"] <= RTF_TARGET
    print(
        f"targets: understood >= {ACCURACY_TARGET:.0%} (American voices), RTF <= {RTF_TARGET}: "
        f"{'met' if met else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
