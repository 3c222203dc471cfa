"""Local coach benchmarks: how exactly a hold ends on the real clock, and how fast export renders.

Hold timing. The coach's reply for one 30 s plank hold (its real phrases: go, twenty seconds
left, a form cue, ten, five to one) is performed by the player on the real monotonic clock,
measuring with ``time.monotonic`` when the hold window starts and ends:

- ours, speech through the real speaker (pyttsx3/espeak-ng worker, clips played with aplay,
  on the ALSA null device when there is no sound card);
- ours, with speech that blocks the caller for the length of each clip (the worst a speech
  engine can do);
- the baseline, measured the same way in the same run: the naive player that says each phrase
  and then sleeps each ``<break>`` (say, runAndWait, time.sleep), with the same blocking speech.

Then ``--holds`` more holds at ``--speed`` times the clock give the spread. Target: a 30 s hold
ends within 50 ms of 30 s.

Export speed. ``strong-back export``'s renderer on the standard 15 minute workout, in x real
time (seconds of audio per second of rendering); target >= 60x. Baseline in the same run: the
plain way, every phrase synthesised in turn through one pyttsx3 worker, no cache.

    python benchmarks/bench_local_coach.py [--quick]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from local_runner.coaching.clock import Inbox, TypedWaiter, VirtualClock  # noqa: E402
from local_runner.coaching.player import Player, Silent, SpeechOut  # noqa: E402
from local_runner.speaking.recording import render_wav  # noqa: E402
from local_runner.speaking.speaker import Speaker, audio_problem  # noqa: E402
from local_runner.speaking.synthesis import Synthesizer  # noqa: E402
from local_runner.speaking.voices import VoiceError, VoiceSettings  # noqa: E402
from skill.coach import Coach, workout_scripts  # noqa: E402
from skill.planning import plan_routine  # noqa: E402
from skill.routine import Step  # noqa: E402
from skill.speech import Segment, Timeline, Window, estimate_seconds, timeline_from_ssml  # noqa: E402
from skill.workout import WorkoutState  # noqa: E402

HOLD_SECONDS = 30
TARGET_MS = 50.0
EXPORT_TARGET = 60.0


def hold_reply() -> tuple[Timeline, Window]:
    """The coach's 30 s plank hold, cut out of its reply: the phrases said during the hold."""
    step = Step("plank", sets=1, sides=1, hold_seconds=HOLD_SECONDS, reps=None, tempo=None, rest_seconds=0)
    state = WorkoutState("lower_back", "beginner", "home", None, [step], "2026-01-05T07:00:00.000Z", results=[None])
    script, _ = Coach("en-US").block(state)
    hold = next(w for w in script.windows if w.kind == "work")
    timeline = timeline_from_ssml(script.to_ssml())
    segments = tuple(
        Segment(round(s.at - hold.start, 3), s.text) for s in timeline.segments if hold.start <= s.at < hold.end
    )
    return Timeline(segments, float(HOLD_SECONDS)), Window("work", 0.0, float(HOLD_SECONDS), 0, 0)


@dataclass
class HoldClock:
    """A screen that notes the real moments the hold starts and ends, and each phrase."""

    started: float = 0.0
    ended: float = 0.0
    phrases: list[float] = field(default_factory=list)

    def reply_started(self, windows: object) -> None:
        return None

    def said(self, text: str, at: float) -> None:
        self.phrases.append(time.monotonic())

    def window_started(self, window: Window, at: float) -> None:
        self.started = time.monotonic()

    def window_ended(self, window: Window, at: float) -> None:
        self.ended = time.monotonic()

    def tick(self, at: float) -> None:
        return None

    def reply_ended(self, at: float, interrupted: bool) -> None:
        return None


class BlockingSpeech:
    """Speech that holds the caller for each clip's length, as ``runAndWait`` does with a sound card."""

    def __init__(self, synthesizer: Synthesizer | None, speed: float = 1.0) -> None:
        self.synthesizer = synthesizer
        self.speed = speed

    def length(self, text: str) -> float:
        if self.synthesizer is None:
            return estimate_seconds(text) * 1.1
        return self.synthesizer.clip_now(text).seconds

    def prepare(self, texts: object) -> None:
        return None

    def say(self, text: str) -> None:
        time.sleep(self.length(text) / self.speed)

    def stop(self) -> None:
        return None


def ours(timeline: Timeline, window: Window, speech: SpeechOut, speed: float = 1.0) -> HoldClock:
    clock = VirtualClock(speed)
    screen = HoldClock()
    Player(speech, screen).perform(timeline, [window], clock.seconds(), TypedWaiter(clock, Inbox()))
    return screen


def naive(timeline: Timeline, speech: BlockingSpeech, speed: float = 1.0) -> HoldClock:
    """Say a phrase, then sleep the break after it: the SSML read front to back."""
    screen = HoldClock(started=time.monotonic())
    clock_at = 0.0
    for segment in timeline.segments:
        if segment.at > clock_at:
            time.sleep((segment.at - clock_at) / speed)
            clock_at = segment.at
        screen.phrases.append(time.monotonic())
        speech.say(segment.text)
        clock_at += estimate_seconds(segment.text)  # the skill sized the breaks with this estimate
    if timeline.duration > clock_at:
        time.sleep((timeline.duration - clock_at) / speed)
    screen.ended = time.monotonic()
    return screen


def error_ms(screen: HoldClock, speed: float = 1.0) -> float:
    """How far the hold's length was from 30 s, in milliseconds of the coach's clock."""
    return abs((screen.ended - screen.started) * speed - HOLD_SECONDS) * 1000


def lateness_ms(screen: HoldClock, timeline: Timeline, speed: float = 1.0) -> list[float]:
    return [
        ((real - screen.started) * speed - s.at) * 1000
        for real, s in zip(screen.phrases, timeline.segments, strict=False)
    ]


def bench_holds(args: argparse.Namespace, synthesizer: Synthesizer | None) -> None:
    timeline, window = hold_reply()
    speed = 10.0 if args.quick else 1.0
    device = None if audio_problem() is None else ("null" if audio_problem("null") is None else "")
    print(f"hold timing: one {HOLD_SECONDS} s hold ({len(timeline.segments)} phrases) at speed {speed:g}, real clock")
    rows = []
    if synthesizer is not None and device != "":
        speaker = Speaker(synthesizer, on_failure=lambda reason: print(f"  (speaker failed: {reason})"), device=device)
        rows.append(
            (
                "ours, real speaker (pyttsx3 + aplay" + (" -D null)" if device else ")"),
                ours(timeline, window, speaker, speed),
            )
        )
        speaker.close()
    else:
        rows.append(("ours, no audio output", ours(timeline, window, Silent(), speed)))
    blocking = BlockingSpeech(synthesizer, speed)
    rows.append(("ours, speech that blocks for each clip", ours(timeline, window, blocking, speed)))
    baseline = naive(timeline, blocking, speed)
    rows.append(("baseline: say, then sleep the break", baseline))
    for name, screen in rows:
        late = lateness_ms(screen, timeline, speed)
        lasted = (screen.ended - screen.started) * speed
        print(
            f"  {name:<46} lasted {lasted:8.4f} s  error {error_ms(screen, speed):8.2f} ms"
            f"  (phrases late: mean {statistics.mean(late):7.1f} ms, max {max(late):7.1f} ms)"
        )
    best = error_ms(rows[0][1], speed)
    worst = error_ms(baseline, speed)
    verdict = "meets" if best <= TARGET_MS else "MISSES"
    print(
        f"  => hold error {best:.2f} ms, target <= {TARGET_MS:.0f} ms: {verdict}; "
        f"baseline {worst:.0f} ms, {worst / max(best, 0.01):.0f}x larger"
    )

    errors = []
    for _ in range(args.holds):
        errors.append(error_ms(ours(timeline, window, Silent(), args.speed), args.speed) / args.speed)
    print(
        f"  {args.holds} more holds at speed {args.speed:g}: real-clock error mean {statistics.mean(errors):.2f} ms, "
        f"max {max(errors):.2f} ms (x{args.speed:g} on the coach's clock: max {max(errors) * args.speed:.1f} ms)"
    )


def plain_synthesis(texts: list[str], folder: Path) -> float:
    """Seconds to synthesise every phrase occurrence in turn with pyttsx3 in this process."""
    import contextlib
    import io

    import pyttsx3

    from local_runner.speaking.worker import Utterances, espeak_idle, synthesize_to_file

    engine = pyttsx3.init()
    utterances = Utterances()
    engine.connect("finished-utterance", utterances.on_finished)
    with contextlib.redirect_stdout(io.StringIO()):  # pyttsx3 prints a line per file
        synthesize_to_file(engine, utterances, "Ready.", str(folder / "warm-up.wav"))
        engine.setProperty("rate", VoiceSettings().rate_wpm)
        espeak_idle()
        began = time.perf_counter()
        for index, text in enumerate(texts):
            answer = synthesize_to_file(engine, utterances, text, str(folder / f"plain-{index}.wav"))
            assert answer["ok"], answer
        return time.perf_counter() - began


def bench_export(args: argparse.Namespace) -> None:
    plan = plan_routine("lower_back", "beginner", "home", None)
    state = WorkoutState.start(plan, datetime.now(UTC))
    timelines = [timeline_from_ssml(s.to_ssml()) for s in workout_scripts(state, "en-US")]
    texts = [s.text for t in timelines for s in t.segments]
    audio = sum(t.duration for t in timelines)
    print(f"export: the standard workout, {audio / 60:.1f} min, {len(texts)} phrases ({len(set(texts))} distinct)")
    with tempfile.TemporaryDirectory(prefix="bench-export-") as folder:
        began = time.perf_counter()
        result = render_wav(timelines, Path(folder) / "workout.wav")
        took = time.perf_counter() - began
        ours_x = result.seconds / took
        print(f"  ours: {took:6.2f} s, {ours_x:6.0f}x real time (file {result.seconds / 60:.2f} min)")

        plain_took = plain_synthesis(texts, Path(folder))
        plain_x = audio / plain_took
        print(
            f"  baseline: each phrase in turn through pyttsx3, no cache (synthesis alone): "
            f"{plain_took:6.2f} s, {plain_x:6.0f}x real time"
        )
    verdict = "meets" if ours_x >= EXPORT_TARGET else "MISSES"
    print(
        f"  => {ours_x:.0f}x real time, target >= {EXPORT_TARGET:.0f}x: {verdict}; {ours_x / plain_x:.1f}x the baseline"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the single hold at speed 10 instead of real time")
    parser.add_argument("--holds", type=int, default=10, help="how many more holds to time (default 10)")
    parser.add_argument("--speed", type=float, default=15.0, help="clock speed for those holds (default 15)")
    args = parser.parse_args(argv)
    synthesizer: Synthesizer | None = Synthesizer(VoiceSettings())
    try:
        assert synthesizer is not None
        synthesizer.start()
    except VoiceError as error:
        print(f"  (no speech engine: {error}; timing without speech)")
        synthesizer = None
    try:
        bench_holds(args, synthesizer)
    finally:
        if synthesizer is not None:
            synthesizer.close()
    if shutil.which("aplay") is None:
        print("  (aplay is not installed: the real speaker was not timed)")
    try:
        bench_export(args)
    except Exception as error:  # a machine without espeak-ng: say so, don't crash
        print(f"export: could not run ({type(error).__name__}: {error})")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
