"""What the coach says, situation by situation, as timed ``Script``s.

The coach reads the workout state and the catalog, takes every sentence from the dialog
data, and places timed phrases (counts, cues, "switch sides") on the script's clock.
Replies that perform sets are packed into blocks that stay inside Alexa's limits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from skill.catalog import Area, Place, Tempo
from skill.dialog import dialog_for
from skill.numbers import minutes_phrase, ordinal, seconds_phrase, spoken
from skill.speech import Script, Window

if TYPE_CHECKING:
    from skill.routine import Step
    from skill.workout import Position, WorkoutState

# A reply that performs sets stays under this much audio and SSML, leaving a margin under
# Alexa's 240 s and 8,000 characters for estimate error and the closing prompt.
BLOCK_BUDGET_SECONDS = 200.0
BLOCK_BUDGET_CHARS = 6000
SWITCH_SECONDS = 5.0
COUNTDOWN_FROM = 5


class Coach:
    """Renders the coach's speech for one locale."""

    def __init__(self, locale: str = "en-US") -> None:
        self.dialog = dialog_for(locale)

    # ----- small helpers ----------------------------------------------------------------
    def text(self, key: str, seed: int = 0, /, **data: object) -> str:
        return self.dialog.text(key, seed, **data)

    def sentence(self, key: str, seed: int = 0, /, **data: object) -> str:
        """A phrase as a sentence: first letter capitalised."""
        text = self.text(key, seed, **data).strip()
        return text[:1].upper() + text[1:]

    def say(self, script: Script, key: str, seed: int = 0, /, **data: object) -> None:
        script.say(self.sentence(key, seed, **data), key)

    def say_at(self, script: Script, at: float, key: str, seed: int = 0, /, **data: object) -> bool:
        return script.say_at(at, self.sentence(key, seed, **data), key)

    def lines(self, *parts: tuple[str, dict[str, object]]) -> Script:
        """An untimed reply made of dialog keys with their data."""
        script = Script()
        for key, data in parts:
            self.say(script, key, **data)
        return script

    # ----- describing things ------------------------------------------------------------
    def area_name(self, area: str) -> str:
        return self.text(f"area.{Area(area).value}")

    def place_name(self, place: str) -> str:
        return self.text(f"place.{Place(place).value}")

    def dose_text(self, step: Step) -> str:
        sets = (
            self.text("dose.sets", count=step.sets, sets=spoken(step.sets))
            if step.sets > 1
            else self.text("dose.one_set")
        )
        each = "dose.each_side" if step.sides == 2 else "dose.each"
        if step.hold_seconds is not None:
            return self.text("dose.hold", sets=sets, seconds=seconds_phrase(step.hold_seconds), each=self.text(each))
        tempo = Tempo.parse(step.tempo or "1-0-1")
        tempo_text = self.text(
            "dose.tempo_hold" if tempo.hold >= 1 else "dose.tempo",
            lift=spoken(round(tempo.lift)),
            hold=spoken(round(tempo.hold)),
            lower=spoken(round(tempo.lower)),
        )
        return self.text("dose.reps", sets=sets, reps=spoken(step.reps or 0), each=self.text(each), tempo=tempo_text)

    def workout_intro(self, state: WorkoutState, first_time: bool) -> Script:
        """The opening of a new workout: what it is, and the safety line for a first timer."""
        script = Script()
        key = "workout.intro.timed" if state.minutes else "workout.intro.untimed"
        self.say(
            script,
            key,
            length=f"{spoken(state.minutes)} minute" if state.minutes else "",
            area=self.area_name(state.area),
            place=self.place_name(state.place),
            level=self.text(f"level.{state.level}"),
            count=spoken(len(state.steps)),
        )
        if first_time:
            self.say(script, "workout.safety")
        return script

    # ----- performing sets --------------------------------------------------------------
    def block(self, state: WorkoutState) -> tuple[Script, Position]:
        """The next reply's sets from ``state.pos``, as many as fit; and where it ends."""
        script = Script()
        pos = state.pos
        previewed = False
        chars = 0
        while pos.step < len(state.steps):
            unit, after = self._unit(state, pos, full_intro=not previewed and not script.cues)
            unit_chars = len(unit.to_ssml())
            fits = script.duration + unit.duration <= BLOCK_BUDGET_SECONDS
            if script.cues and (not fits or chars + unit_chars > BLOCK_BUDGET_CHARS):
                break
            chars += unit_chars
            script.extend(unit)
            previewed = after.step != pos.step
            pos = after
        if pos.step < len(state.steps):
            self._outro(script, state, pos)
        return script, pos

    def _outro(self, script: Script, state: WorkoutState, pos: Position) -> None:
        step = state.steps[pos.step]
        if pos.set or pos.side:
            self.say(script, "block.next_set", number=spoken(pos.set + 1), name=step.info.name)
        else:
            self.say(script, "block.next_exercise", name=step.info.name)

    def _unit(self, state: WorkoutState, pos: Position, full_intro: bool) -> tuple[Script, Position]:
        """One set of one exercise (both sides), with the rest that follows it."""
        steps = state.steps
        step = steps[pos.step]
        info = step.info
        seed = pos.step * 7 + pos.set * 3
        script = Script()
        script.window("intro", 0.0, pos.step, pos.set, pos.side)
        if pos.remaining is not None:
            self.say(script, "resume.partial", seed, name=info.name, seconds=seconds_phrase(pos.remaining))
        elif pos.set == 0 and pos.side == 0:
            self.say(
                script, "exercise.intro", seed, number=spoken(pos.step + 1), count=spoken(len(steps)), name=info.name
            )
            if full_intro:
                self.say(script, "exercise.setup", setup=info.setup)
                self.say(script, "exercise.cue", cue=info.cues[0])
                if info.safety:
                    self.say(script, "exercise.safety", safety=info.safety)
            self.say(script, "exercise.dose", dose=self.dose_text(step))
            if step.sides == 2:
                self.say(script, "side.first", seed)
        elif pos.side == 0:
            self.say(script, "set.header", seed, number=spoken(pos.set + 1), ordinal=ordinal(pos.set + 1))
        if info.grips and pos.side == 0 and pos.remaining is None:
            self.say(script, "set.grip", seed, grip=info.grips[pos.set % len(info.grips)])
        if not step.is_hold:
            self.say(script, "reps.ready", seed)
        script.windows[0] = Window("intro", 0.0, script.duration, pos.step, pos.set, pos.side)

        for side in range(pos.side, step.sides):
            if side != pos.side:
                win = script.window("switch", SWITCH_SECONDS, pos.step, pos.set, side)
                self.say(script, "side.switch", seed + side)
                script.wait_until(win.end)
            seconds = pos.remaining if (side == pos.side and pos.remaining) else step.work_seconds
            win = script.window("work", seconds, pos.step, pos.set, side)
            if step.is_hold:
                self._hold(script, win, step, seed + side)
            else:
                self._reps(script, win, step, seed + side)
            script.wait_until(win.end)

        after = state._after_set(pos.step, pos.set)
        if after.step < len(steps):
            self._rest(script, state, pos, after, seed)
        return script, after

    def _hold(self, script: Script, win: Window, step: Step, seed: int) -> None:
        """A hold counted down: go, marks every ten seconds, a form cue, five to one."""
        start, end = win.start, win.end
        self.say_at(script, start, "hold.go", seed)
        marks: list[tuple[float, str, dict[str, object]]] = []
        whole = int(win.seconds)
        for left in range(whole - 1, 0, -1):
            at = end - left
            if left >= 20 and left % 10 == 0 and left <= win.seconds - 4:
                marks.append((at, "hold.left", {"seconds": seconds_phrase(left)}))
            elif left == 10 and win.seconds >= 14:
                marks.append((at, "hold.ten", {}))
            elif left <= COUNTDOWN_FROM and (win.seconds >= 9 or left <= 3):
                marks.append((at, "count.number", {"number": spoken(left).capitalize()}))
        cue = step.info.hold_cues[seed % len(step.info.hold_cues)]
        self._place_cue(script, marks, start + win.seconds * 0.35, end, cue)
        for at, key, data in marks:
            self.say_at(script, at, key, seed, **data)

    def _place_cue(
        self, script: Script, marks: list[tuple[float, str, dict[str, object]]], earliest: float, end: float, cue: str
    ) -> None:
        """Slot a form cue into the first gap after ``earliest`` that it fits in."""
        probe = Script(cues=list(script.cues), cursor=script.cursor)
        times = [at for at, _, _ in marks] + [end]
        for index, next_at in enumerate(times):
            at = max(earliest, times[index - 1] + 1.2 if index else earliest)
            if probe.fits_at(at, cue, next_at - 0.2):
                marks.insert(index, (at, "hold.cue", {"cue": cue}))
                return

    def _reps(self, script: Script, win: Window, step: Step, seed: int) -> None:
        """Reps counted at the step's tempo, with a cue in the middle rep."""
        rep = step.rep_seconds
        count = step.reps or 0
        cue = step.info.hold_cues[seed % len(step.info.hold_cues)]
        for number in range(1, count + 1):
            at = win.start + (number - 1) * rep
            self.say_at(script, at, "count.number", number=spoken(number).capitalize())
            if number == max(1, count // 2):
                script.say_at(at + 0.9, self.text("hold.cue", cue=cue), "hold.cue")

    def _rest(self, script: Script, state: WorkoutState, pos: Position, after: Position, seed: int) -> None:
        step = state.steps[pos.step]
        seconds = float(step.rest_seconds)
        if seconds <= 0:
            return
        win = script.window("rest", seconds, pos.step, pos.set)
        if after.step != pos.step:
            nxt = state.steps[after.step].info
            self.say(script, "rest.transition", seed, seconds=seconds_phrase(seconds), name=nxt.name)
            if script.fits_at(script.cursor, nxt.setup, win.end - 3):
                self.say(script, "exercise.setup", setup=nxt.setup)
        else:
            self.say(script, "rest.start", seed, seconds=seconds_phrase(seconds))
            cue = step.info.cues[(pos.set + 1) % len(step.info.cues)]
            if script.fits_at(win.start + seconds / 3, cue, win.end - 4):
                script.say_at(win.start + seconds / 3, self.text("exercise.cue", cue=cue), "exercise.cue")
        if seconds >= 10:
            self.say_at(script, win.end - 3.5, "rest.ready", seed)
        script.wait_until(win.end)

    # ----- finishing ----------------------------------------------------------------------
    def finish(self, completed: int, skipped: int, seconds: float, streak: int) -> Script:
        script = Script()
        self.say(script, "finish.done")
        self.say(
            script,
            "finish.summary",
            completed=spoken(completed),
            total=spoken(completed + skipped),
            length=minutes_phrase(seconds),
        )
        if streak >= 2:
            self.say(script, "finish.streak", days=spoken(min(streak, 9999)))
        self.say(script, "finish.goodbye")
        return script


def workout_scripts(state: WorkoutState, locale: str = "en-US", first_time: bool = False) -> list[Script]:
    """Every reply of a whole workout run straight through, as the coach would say them."""
    from copy import deepcopy

    coach = Coach(locale)
    run = deepcopy(state)
    scripts: list[Script] = []
    opening: Script | None = coach.workout_intro(run, first_time)
    while not run.finished:
        script, end = coach.block(run)
        if opening is not None:
            opening.extend(script)
            script, opening = opening, None
        scripts.append(script)
        run.pos = end
    finish = coach.finish(len(run.steps), 0, sum(s.duration for s in scripts), 1)
    if scripts:
        scripts[-1].extend(finish)
    else:
        scripts.append(finish)
    return scripts
