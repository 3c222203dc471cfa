"""``strong-back``: the offline coach and its tools (parse, plan, export, serve)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from skill.catalog import Area, Level, Place

if TYPE_CHECKING:
    from collections.abc import Sequence

DESCRIPTION = """Strong Back: a voice coach for back strength.

With no command, starts the interactive coach: type what you would say to Alexa
(\"start a ten minute upper back workout\", \"pause\", \"skip\", \"how do I do this\"),
one line at a time. The coach speaks through text-to-speech and counts holds in real time."""


def _add_plan_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--area", choices=[a.value for a in Area], default=Area.LOWER_BACK.value)
    parser.add_argument("--level", choices=[lv.value for lv in Level], default=Level.BEGINNER.value)
    parser.add_argument("--place", choices=[p.value for p in Place], default=Place.HOME.value)
    parser.add_argument("--minutes", type=int, default=None, help="length of the workout, 5 to 60 minutes")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="strong-back", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--text", action="store_true", help="print the coach's words only; no audio")
    parser.add_argument("--speed", type=float, default=1.0, help="run the clock this many times faster (demos, tests)")
    parser.add_argument("--voice", default=None, help="text-to-speech voice id (see --list-voices)")
    parser.add_argument("--rate", type=int, default=None, help="speaking rate in words per minute (default 170)")
    parser.add_argument("--locale", default="en-US", help="en-US, en-GB, en-CA, en-AU or en-IN")
    parser.add_argument("--list-voices", action="store_true", help="list text-to-speech voices and exit")
    parser.add_argument("--user", default="local-user", help="whose progress to use (default: local-user)")
    voice_input = parser.add_argument_group("spoken commands (offline, with pocketsphinx)")
    heard = voice_input.add_mutually_exclusive_group()
    heard.add_argument("--listen", action="store_true", help="take spoken commands from the microphone as well")
    heard.add_argument(
        "--listen-from", metavar="WAV", default=None, help="take the commands spoken in a WAV file, in order"
    )
    voice_input.add_argument(
        "--mic", metavar="DEVICE", default=None, help="ALSA capture device for --listen (arecord -L lists them)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    parse = sub.add_parser("parse", help="show how an utterance is understood, as JSON")
    parse.add_argument("text", nargs="+", help='what you would say, or "-" to read one utterance a line from stdin')

    plan = sub.add_parser("plan", help="show the routine the coach would run")
    _add_plan_options(plan)
    plan.add_argument("--json", action="store_true", help="print the plan as JSON")

    export = sub.add_parser(
        "export",
        help="render a whole guided workout to a WAV file",
        description="Render a whole guided workout (every cue, count and timed pause) to one WAV file "
        "(16-bit PCM, mono, 22,050 Hz) that plays on any device. Needs espeak-ng.",
    )
    _add_plan_options(export)
    export.add_argument("-o", "--output", required=True, help="the WAV file to write, e.g. workout.wav")
    # Also accepted before the command (strong-back --voice ID export ...); SUPPRESS keeps that value.
    export.add_argument("--voice", default=argparse.SUPPRESS, help="text-to-speech voice id (see --list-voices)")
    export.add_argument("--rate", type=int, default=argparse.SUPPRESS, help="speaking rate in words per minute")
    export.add_argument("--locale", default=argparse.SUPPRESS, help="en-US, en-GB, en-CA, en-AU or en-IN")

    serve = sub.add_parser("serve", help="run the skill as a self-hosted HTTPS endpoint (behind a TLS proxy)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    serve.add_argument(
        "--no-verify", action="store_true", help="skip Alexa request verification (local development only)"
    )
    return parser


def _fail(message: str) -> int:
    print(f"strong-back: {message}", file=sys.stderr)
    return 2


def run_plan(args: argparse.Namespace) -> int:
    from skill.numbers import seconds_phrase
    from skill.planning import PlanError, plan_routine

    try:
        plan = plan_routine(args.area, args.level, args.place, args.minutes)
    except PlanError as error:
        return _fail(str(error))
    if args.json:
        print(json.dumps(plan.to_dict(), indent=2))
        return 0
    minutes, seconds = divmod(plan.total_seconds, 60)
    title = f"{plan.area.value.replace('_', ' ')} workout, {plan.level.value}, {plan.place.value}"
    print(f"{title}: {minutes} min {seconds:02d} s")
    if plan.capped:
        print(
            f"{plan.minutes_asked} minutes asked; every exercise already has the sets one session should hold, "
            f"so {plan.minutes} minutes are planned"
        )
    print(f"{'#':>2}  {'phase':<8} {'exercise':<22} {'sets':>4} {'sides':>5}  {'work':<16} {'rest':>5}  variation")
    for number, step in enumerate(plan.steps, 1):
        work = f"{step.hold_seconds} s hold" if step.hold_seconds else f"{step.reps} reps @ {step.tempo}"
        row = (
            f"{number:>2}  {step.phase:<8} {step.info.name:<22} {step.sets:>4} {step.sides:>5}  {work:<16} "
            f"{step.rest_seconds:>4}s  {step.variation or ''}"
        )
        print(row.rstrip())
    print(f"planned length, speech included: {seconds_phrase(plan.total_seconds)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "plan":
            return run_plan(args)
        if args.command == "parse":
            from local_runner.understanding import command as parse_command

            return parse_command.run(args)
        if args.command == "export":
            from local_runner.speaking.export_command import run_export

            return run_export(args)
        if args.command == "serve":
            from web import serve as web_serve

            return web_serve.run(args.host, args.port, verify=not args.no_verify)
        from local_runner.coaching.app import run_coach

        return run_coach(args)
    except KeyboardInterrupt:
        print("\nstrong-back: stopped.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
