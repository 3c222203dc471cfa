"""Calibrate the speech-length estimate against real espeak-ng audio.

Every phrase the coach says in a spread of workouts is synthesised through pyttsx3 (espeak-ng)
to a WAV file and measured. The script then prints:

- how well ``skill.speech.estimate_seconds`` fits at each rate (mean error, how many phrases
  run past their estimate, the worst overrun);
- the constants of the same model fitted by least squares to the measured lengths
  (``PHRASE_SECONDS``, ``WORDS_PER_SECOND``, ``COMMA_SECONDS``, ``SENTENCE_SECONDS``);
- the espeak-ng rate at which the audio matches the current estimate best, a candidate for
  ``local_runner.speaking.voices.DEFAULT_RATE_WPM``.

The measured length is the whole WAV file, espeak-ng's short closing silence included: in
the coach the next phrase follows after that silence, as it does after the estimate.

    .venv/bin/python scripts/calibrate_speech.py [--rates 150 165 175] [--voice ID]
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from itertools import product
from pathlib import Path
from statistics import mean

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from local_runner.speaking.synthesis import Synthesizer
from local_runner.speaking.voices import DEFAULT_RATE_WPM, VoiceError, VoiceSettings
from skill import speech
from skill.catalog import Area, Level, Place
from skill.coach import workout_scripts
from skill.planning import plan_routine
from skill.workout import WorkoutState

Features = tuple[float, float, float, float]


def coach_phrases() -> list[str]:
    """Every distinct phrase of the workouts of every area, level and place, at a few lengths."""
    phrases: dict[str, None] = {}
    for area, level, place, minutes in product(Area, Level, Place, (None, 5, 20)):
        plan = plan_routine(area.value, level.value, place.value, minutes)
        state = WorkoutState.start(plan, datetime.now(UTC))
        for script in workout_scripts(state, "en-US", first_time=True):
            for cue in script.cues:
                phrases[cue.text] = None
    return list(phrases)


def features(text: str) -> Features:
    """(1, words, commas, sentence ends inside the phrase): the estimate's model terms."""
    words = len(speech._WORD.findall(text))
    return 1.0, float(words), float(text.count(",")), float(len(speech._INNER_SENTENCE_END.findall(text)))


def measure(texts: list[str], settings: VoiceSettings) -> list[float]:
    """Seconds of audio espeak-ng makes for each phrase at these settings."""
    with Synthesizer(settings) as synthesizer:
        futures = [synthesizer.clip(text) for text in texts]
        return [future.result().seconds for future in futures]


def least_squares(rows: list[Features], targets: list[float]) -> list[float]:
    """Solve the normal equations (4 unknowns) by Gaussian elimination."""
    size = len(rows[0])
    matrix = [[sum(r[i] * r[j] for r in rows) for j in range(size)] for i in range(size)]
    vector = [sum(r[i] * t for r, t in zip(rows, targets, strict=True)) for i in range(size)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(matrix[r][col]))
        matrix[col], matrix[pivot] = matrix[pivot], matrix[col]
        vector[col], vector[pivot] = vector[pivot], vector[col]
        if abs(matrix[col][col]) < 1e-12:
            continue
        for row in range(size):
            if row != col:
                factor = matrix[row][col] / matrix[col][col]
                matrix[row] = [a - factor * b for a, b in zip(matrix[row], matrix[col], strict=True)]
                vector[row] -= factor * vector[col]
    return [vector[i] / matrix[i][i] if abs(matrix[i][i]) > 1e-12 else 0.0 for i in range(size)]


def rms(measured: list[float], predicted: list[float]) -> float:
    return float(mean((m - p) ** 2 for m, p in zip(measured, predicted, strict=True)) ** 0.5)


def report_rate(rate: int, texts: list[str], seconds: list[float]) -> float:
    """Print how the estimate fits at one rate; return measured/estimated total."""
    estimates = [speech.estimate_seconds(t) for t in texts]
    errors = [m - e for m, e in zip(seconds, estimates, strict=True)]
    over = [e for e in errors if e > 0.05]
    ratio = sum(seconds) / sum(estimates)
    worst = max(range(len(texts)), key=lambda i: errors[i])
    print(
        f"rate {rate:>3} wpm: audio/estimate {ratio:5.3f}, mean error {mean(errors):+.3f} s, "
        f"{len(over)}/{len(texts)} phrases run over their estimate by > 50 ms, "
        f"worst {errors[worst]:+.2f} s ({texts[worst][:48]!r})"
    )
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", type=int, nargs="+", default=[150, 160, 170, 180])
    parser.add_argument("--voice", default=None, help="espeak-ng voice id (default: the en-US voice)")
    args = parser.parse_args(argv)

    texts = coach_phrases()
    print(f"{len(texts)} distinct phrases from the coach's workouts")
    print(
        f"current model: PHRASE_SECONDS={speech.PHRASE_SECONDS} WORDS_PER_SECOND={speech.WORDS_PER_SECOND} "
        f"COMMA_SECONDS={speech.COMMA_SECONDS} SENTENCE_SECONDS={speech.SENTENCE_SECONDS}"
    )
    rows = [features(t) for t in texts]
    ratios: dict[int, float] = {}
    fits: dict[int, list[float]] = {}
    residuals: dict[int, tuple[float, float]] = {}
    for rate in sorted(set(args.rates) | {DEFAULT_RATE_WPM}):
        try:
            seconds = measure(texts, VoiceSettings("en-US", args.voice, rate))
        except VoiceError as error:
            print(f"calibrate_speech: {error}", file=sys.stderr)
            return 1
        ratios[rate] = report_rate(rate, texts, seconds)
        fits[rate] = least_squares(rows, seconds)
        fitted = [sum(c * x for c, x in zip(fits[rate], row, strict=True)) for row in rows]
        current = [speech.estimate_seconds(t) for t in texts]
        residuals[rate] = (rms(seconds, fitted), rms(seconds, current))
    print("\nfitted constants (least squares on the measured lengths), and the fit's error:")
    for rate, (phrase, per_word, comma, sentence) in sorted(fits.items()):
        mark = "  <- DEFAULT_RATE_WPM" if rate == DEFAULT_RATE_WPM else ""
        print(
            f"  rate {rate:>3}: PHRASE_SECONDS={phrase:.2f} WORDS_PER_SECOND={1 / per_word:.2f} "
            f"COMMA_SECONDS={comma:.2f} SENTENCE_SECONDS={sentence:.2f}  "
            f"rms {residuals[rate][0]:.3f} s (current model {residuals[rate][1]:.3f} s){mark}"
        )
    best = min(ratios, key=lambda r: abs(ratios[r] - 1.0))
    print(f"\nespeak-ng matches the current estimate best at {best} wpm (audio/estimate {ratios[best]:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
