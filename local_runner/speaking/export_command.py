"""``strong-back export``: a whole guided workout rendered to one WAV file."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from skill.coach import workout_scripts
from skill.planning import PlanError, plan_routine
from skill.playback import Playback
from skill.speech import timeline_from_ssml
from skill.workout import WorkoutState

if TYPE_CHECKING:
    import argparse


def _fail(message: str, status: int = 2) -> int:
    print(f"strong-back: {message}", file=sys.stderr)
    return status


def run_export(args: argparse.Namespace) -> int:
    from local_runner.speaking.recording import ExportError, check_output, render_wav
    from local_runner.speaking.voices import check_locale, check_rate

    try:
        locale = check_locale(args.locale)
        rate = check_rate(args.rate)
        plan = plan_routine(args.area, args.level, args.place, args.minutes)
    except (PlanError, ValueError) as error:
        return _fail(str(error))
    output = Path(args.output).expanduser()
    try:
        check_output(output)
    except ExportError as error:
        return _fail(str(error))
    state = WorkoutState.start(plan, datetime.now(UTC))
    scripts = workout_scripts(state, locale, playback=Playback.RECORDING)
    timelines = [timeline_from_ssml(script.to_ssml()) for script in scripts]
    planned = sum(t.duration for t in timelines)
    title = f"{plan.area.value.replace('_', ' ')} workout, {plan.level.value}, {plan.place.value}"
    print(f"Rendering a {planned / 60:.1f} minute {title} to {output}", file=sys.stderr)
    show = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if show:
            print(f"\r  speech: {done}/{total} phrases", end="", file=sys.stderr, flush=True)

    began = time.perf_counter()
    try:
        result = render_wav(timelines, output, rate_wpm=rate, voice_id=args.voice, locale=locale, progress=progress)
    except ExportError as error:
        if show:
            print(file=sys.stderr)
        return _fail(str(error), 1)
    if show:
        print(file=sys.stderr)
    took = time.perf_counter() - began
    print(
        f"Wrote {output}: {result.seconds / 60:.1f} minutes of audio (planned {planned / 60:.1f}), "
        f"{result.phrases} phrases ({result.distinct_phrases} distinct) in {took:.1f} s."
    )
    return 0
