"""``strong-back export``: a whole guided workout rendered to one WAV file."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from skill.coach import workout_scripts
from skill.planning import PlanError, plan_routine
from skill.speech import timeline_from_ssml
from skill.workout import WorkoutState

if TYPE_CHECKING:
    import argparse


def run_export(args: argparse.Namespace) -> int:
    from local_runner.export import ExportError, render_wav
    from local_runner.voice import DEFAULT_RATE_WPM

    try:
        plan = plan_routine(args.area, args.level, args.place, args.minutes)
    except PlanError as error:
        print(f"strong-back: {error}", file=sys.stderr)
        return 2
    output = Path(args.output)
    if output.suffix.lower() != ".wav":
        print("strong-back: the output file must end in .wav", file=sys.stderr)
        return 2
    if not output.parent.exists():
        print(f"strong-back: the folder {output.parent} does not exist", file=sys.stderr)
        return 2
    state = WorkoutState.start(plan, datetime.now(UTC))
    timelines = [timeline_from_ssml(script.to_ssml()) for script in workout_scripts(state, args.locale)]
    planned = sum(t.duration for t in timelines)
    print(
        f"Rendering a {plan.area.value.replace('_', ' ')} workout of {planned / 60:.1f} minutes to {output}",
        file=sys.stderr,
    )

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r  speech {done}/{total} phrases", end="", file=sys.stderr, flush=True)

    try:
        result = render_wav(
            timelines, output, rate_wpm=args.rate or DEFAULT_RATE_WPM, voice_id=args.voice, progress=progress
        )
    except ExportError as error:
        print(f"\nstrong-back: {error}", file=sys.stderr)
        return 1
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(f"Wrote {output}: {result.seconds / 60:.1f} minutes of audio (planned {planned / 60:.1f}).")
    return 0
