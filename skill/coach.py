"""What the coach says, situation by situation, as timed ``Script``s.

The coach reads the workout state and the catalog, takes every sentence from the dialog
data, and places timed phrases (counts, cues, "switch sides") on the script's clock.
Replies that perform sets are packed into blocks that stay inside Alexa's limits.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from skill.catalog import Area, Beat, Phase, Place, Tempo
from skill.dialog import dialog_for
from skill.numbers import minutes_phrase, ordinal, seconds_phrase, spoken
from skill.playback import Playback
from skill.routine import Position
from skill.speech import Cue, Script, Window, estimate_seconds
from skill.workout import Entry

if TYPE_CHECKING:
    from collections.abc import Sequence

    from skill.routine import Plan, Step
    from skill.workout import WorkoutState

# A reply that performs sets stays under this much audio and SSML, leaving a margin under
# Alexa's 240 s and 8,000 characters for estimate error and the closing prompt.
BLOCK_BUDGET_SECONDS = 200.0
BLOCK_BUDGET_CHARS = 6000
SWITCH_SECONDS = 6.0  # the change-over between sides, its count-in included
COUNTDOWN_FROM = 5
LEAD_COUNT = 3  # the get-ready count before each set: three, two, one
LEAD_PAUSE_SECONDS = 0.4  # between the last words of the get-ready and "three"
BEFORE_SECONDS = 1.0  # a cue said before a rep ("brace") starts no later than this into it
GAP = 0.15  # the least silence between two phrases of a set


@dataclass(frozen=True)
class SetPlace:
    """Everything one performed set depends on: the workout's length, the exercise, the one after
    it, and where in the exercise the set starts. (So a set renders the same wherever it is met.)"""

    count: int
    step: Step
    following: Step | None
    pos: Position
    opens: str | None = None  # the phase (warm-up, main work, cool-down) this step opens, if it opens one


class Coach:
    """Renders the coach's speech for one locale."""

    def __init__(self, locale: str = "en-US", playback: Playback = Playback.ALEXA) -> None:
        self.playback = playback
        self.dialog = dialog_for(locale, playback.value)
        self.locale = self.dialog.locale  # supported, or "en": the render caches below are keyed by it

    # ----- small helpers ----------------------------------------------------------------
    def text(self, key: str, seed: int = 0, /, **data: object) -> str:
        return self.dialog.text(key, seed, **data)

    def sentence(self, key: str, seed: int = 0, /, **data: object) -> str:
        """A phrase as a sentence: first letter capitalised."""
        try:
            return _sentence(self.locale, self.playback, key, seed, _key(data))
        except TypeError:  # data that cannot be a cache key
            return _capitalised(self.text(key, seed, **data))

    def say(self, script: Script, key: str, seed: int = 0, /, **data: object) -> None:
        script.say(self.sentence(key, seed, **data), key)

    def say_at(self, script: Script, at: float, key: str, seed: int = 0, /, **data: object) -> bool:
        return script.say_at(at, self.sentence(key, seed, **data), key)

    # ----- describing things ------------------------------------------------------------
    def exercises(self, count: int) -> str:
        """ "one exercise", "six exercises"."""
        if count == 1:
            return self.text("amount.exercises_one")
        return self.text("amount.exercises", count=spoken(min(count, 9999)))

    def listed(self, items: list[str], either: bool = False) -> str:
        """ "a, b and c" (``either``: "a, b or c"), as the locale joins a spoken list."""
        if len(items) < 2:
            return "".join(items)
        return self.text("amount.or" if either else "amount.and", items=", ".join(items[:-1]), last=items[-1])

    def area_name(self, area: str) -> str:
        return self.text(f"area.{Area(area).value}")

    def place_name(self, place: str) -> str:
        return self.text(f"place.{Place(place).value}")

    def dose_text(self, step: Step) -> str:
        """ "Two sets of ten, two up, two down."; with the easier or harder form the step uses, if any."""
        text = self._dose_only(step)
        info = step.info
        form = next((v for v in (info.easier, info.harder) if v.name == step.variation), None)
        return self.text("dose.variation", name=form.name, how=form.how, dose=_capitalised(text)) if form else text

    def _dose_only(self, step: Step) -> str:
        sets = (
            self.text("dose.sets", count=step.sets, sets=spoken(step.sets))
            if step.sets > 1
            else self.text("dose.one_set")
        )
        each = "dose.each_side" if step.sides == 2 else "dose.each"
        if step.hold_seconds is not None:
            return self.text("dose.hold", sets=sets, seconds=seconds_phrase(step.hold_seconds), each=self.text(each))
        tempo = Tempo.parse(step.tempo or "1-0-1")
        up, down = step.info.moves or (self.text("dose.up"), self.text("dose.down"))
        tempo_text = self.text(
            "dose.tempo_hold" if tempo.hold >= 1 else "dose.tempo",
            up=up,
            down=down,
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
            exercises=self.exercises(len(state.steps)),
        )
        self._equipment(script, state)
        if first_time:
            self.say(script, "workout.safety")
        return script

    def plan_note(self, script: Script, plan: Plan, beyond_an_hour: bool = False) -> None:
        """ "An hour is more than a beginner's upper back needs in one go, so here are twenty minutes.":
        said when the plan is shorter than asked because more would only have been more of the same.
        ``beyond_an_hour``: more than an hour was asked for ("That is more than ...")."""
        if plan.capped is None or plan.minutes_asked is None or plan.minutes is None:
            return
        asked = "duration.an_hour" if plan.minutes_asked == 60 else "duration.minutes"
        asked = "duration.over_an_hour" if beyond_an_hour else asked
        self.say(
            script,
            "duration.capped",
            asked=self.text(asked, minutes=spoken(plan.minutes_asked)),
            owner=self.text(f"level_owner.{plan.level.value}"),
            area=self.area_name(plan.area),
            minutes=spoken(plan.minutes),
        )

    def _equipment(self, script: Script, state: WorkoutState) -> None:
        """ "You'll need a pair of dumbbells and a pull up bar.": what this workout uses, in order of use."""
        place = Place(state.place)
        used = [item for s in state.steps for item in (s.info.equipment.get(place), *s.info.also_needs) if item]
        items = list(dict.fromkeys(used))
        if items:
            self.say(script, "workout.equipment", items=self.listed(items))

    def _phase_opening(self, script: Script, place: SetPlace) -> None:
        """ "First, a short warm-up." when this step opens a phase of the session."""
        if place.opens is not None:
            self.say(script, f"phase.{place.opens}")

    # ----- performing sets --------------------------------------------------------------
    def block(self, state: WorkoutState, entry: Entry = Entry.TALK) -> tuple[Script, Position]:
        """The next reply's sets from ``state.pos``, as many as fit; and where it ends.

        ``entry`` says how the first set is entered (its talk in full or brief, straight to its count,
        or straight to work). On Alexa the reply ends by asking for "next" (a ``prompt`` window); a
        recording says a line that needs no answer instead, held to the prompt's length so that it
        keeps the plan's time; on the laptop the reply ends after its last rest, and the next follows."""
        script = Script()
        pos = state.pos
        previewed: frozenset[str] = frozenset({"setup", "cue"}) if entry is Entry.BRIEF else state.previewed
        chars = 0
        steps = state.steps
        while pos.step < len(steps):
            following = steps[pos.step + 1] if pos.step + 1 < len(steps) else None
            place = SetPlace(len(steps), steps[pos.step], following, pos, opens_phase(steps, pos.step))
            performed = _performed_set(self.locale, self.playback, place, previewed, entry)
            unit, after, next_previewed, unit_chars = performed
            fits = script.duration + unit.duration <= BLOCK_BUDGET_SECONDS
            if script.cues and (not fits or chars + unit_chars > BLOCK_BUDGET_CHARS):
                break
            chars += unit_chars
            script.extend(unit)
            previewed = next_previewed
            pos = after
            entry = Entry.TALK
        if pos.step < len(state.steps) and self.playback is not Playback.LAPTOP:
            if script.cues and script.cues[-1].key in ("rest.ready", "rest.ready_new"):
                script.cues.pop()  # the reply stops here: the closing prompt takes its place
            self._outro(script, state, pos)
        script.ahead = previewed if pos.step < len(steps) and pos.set == 0 and pos.side == 0 else frozenset()
        return script, pos

    def _outro(self, script: Script, state: WorkoutState, pos: Position) -> None:
        """The closing prompt: on Alexa, ask for "next"; in a recording, a line held to the prompt's length."""
        step = state.steps[pos.step]
        kind = "next_set" if pos.set or pos.side else "next_exercise"
        data: dict[str, object] = {"number": spoken(pos.set + 1), "name": step.info.name}
        start = script.cursor
        if self.playback is Playback.RECORDING:
            prompt = estimate_seconds(_sentence(self.locale, Playback.ALEXA, f"block.{kind}", 0, _key(data)))
            self.say(script, f"block.{kind}", **data)
            script.wait_until(start + prompt)
        else:
            self.say(script, f"block.{kind}", **data)
        script.windows.append(Window("prompt", start, script.cursor - start, pos.step, pos.set, pos.side))

    def _talk(self, script: Script, place: SetPlace, previewed: frozenset[str], brief: bool = False) -> None:
        """The introduction of an exercise before its first set: name, set-up, cue, safety, dose.
        ``brief``: the introduction was heard a moment ago (and cut short): the name alone, not the
        phase and the exercise's number again (nor the name when the dose names another form of
        it: "We'll do the negative pull up"), then what was not heard."""
        step, pos = place.step, place.pos
        info = step.info
        seed = pos.step * 7
        count = spoken(place.count)
        if brief:
            if step.variation is None:
                self.say(script, "lead.name", name=info.name)
        else:
            self._phase_opening(script, place)
            self.say(script, "exercise.intro", seed, number=spoken(pos.step + 1), count=count, name=info.name)
        for part, text in self._preview_parts(step):
            if part not in previewed:
                self.say(script, f"exercise.{part}", **{part: text})
        self.say(script, "exercise.dose", dose=self.dose_text(step))

    def _lead(self, script: Script, place: SetPlace, named: bool) -> None:
        """The get-ready before a set or side: where in the exercise this is, then three, two, one."""
        step, pos = place.step, place.pos
        info = step.info
        seed = pos.step * 7 + pos.set * 3
        if pos.remaining is not None:
            self.say(script, "resume.partial", seed, name=info.name, seconds=seconds_phrase(pos.remaining))
        elif named:
            self.say(script, "lead.name", name=info.name)
        if pos.remaining is None and pos.side == 0 and pos.set > 0:
            self.say(script, "set.header", seed, number=spoken(pos.set + 1), ordinal=ordinal(pos.set + 1))
        if pos.remaining is None and pos.side > 0:
            self.say(script, "side.switch", seed + pos.side)
        elif pos.remaining is None and step.sides == 2:
            self.say(script, "side.first", seed)
        if info.grips and pos.side == 0 and pos.remaining is None:
            self.say(script, "set.grip", seed, grip=info.grips[pos.set % len(info.grips)])
        before = info.beats.get(Beat.BEFORE, ())
        if before and not step.is_hold:
            self.say(script, "beat.set_up", cue=before[0])  # "breathe in and brace", before the first rep
        self._count_in(script)

    def _count_in(self, script: Script) -> None:
        """Three, two, one, a second apart; the work starts a second after "one"."""
        start = script.cursor + LEAD_PAUSE_SECONDS
        for beat, number in enumerate(range(LEAD_COUNT, 0, -1)):
            self.say_at(script, start + beat, "count.number", number=spoken(number))
        script.wait_until(start + LEAD_COUNT)

    @staticmethod
    def _preview_parts(step: Step) -> list[tuple[str, str]]:
        """Set-up, first form cue and safety note of an exercise, in the order they are said."""
        info = step.info
        parts = [("setup", info.setup), ("cue", info.cues[0])]
        if info.safety:
            parts.append(("safety", info.safety))
        return parts

    def _unit(
        self, place: SetPlace, previewed: frozenset[str], entry: Entry
    ) -> tuple[Script, Position, frozenset[str]]:
        """One set of one exercise (both sides) with the rest after it; where it ends; what the rest previewed."""
        step, pos = place.step, place.pos
        seed = pos.step * 7 + pos.set * 3
        script = Script()
        fresh = pos.set == 0 and pos.side == 0 and pos.remaining is None
        if fresh and entry in (Entry.TALK, Entry.BRIEF):
            self._talk(script, place, previewed, brief=entry is Entry.BRIEF)
            script.windows.append(Window("intro", 0.0, script.duration, pos.step, pos.set, pos.side))
        if entry is not Entry.WORK:
            start = script.cursor
            self._lead(script, place, named=fresh and entry is Entry.LEAD)
            script.windows.append(Window("lead", start, script.cursor - start, pos.step, pos.set, pos.side))

        for side in range(pos.side, step.sides):
            if side != pos.side:
                win = script.window("switch", SWITCH_SECONDS, pos.step, pos.set, side)
                self.say(script, "side.switch", seed + side)
                script.wait_until(win.end - LEAD_COUNT - LEAD_PAUSE_SECONDS)
                self._count_in(script)
                script.wait_until(win.end)
            seconds = pos.remaining if (side == pos.side and pos.remaining) else step.work_seconds
            win = script.window("work", seconds, pos.step, pos.set, side)
            if step.is_hold:
                self._hold(script, win, step, seed + side)
            else:
                self._reps(script, win, step, seed + side)
            script.wait_until(win.end)

        after = Position(pos.step, pos.set + 1) if pos.set + 1 < step.sets else Position(pos.step + 1)
        said: frozenset[str] = frozenset()
        if after.step < place.count:
            said = self._rest(script, place, after, seed)
        return script, after, said

    def _hold(self, script: Script, win: Window, step: Step, seed: int) -> None:
        """A hold counted down: go, marks every ten seconds, form cues in the gaps, five to one."""
        start, end = win.start, win.end
        self.say_at(script, start, "hold.go", seed)
        marks: list[Cue] = []
        for left in range(int(win.seconds) - 1, 0, -1):
            at = end - left
            if left >= 20 and left % 10 == 0 and left <= win.seconds - 4:
                text = self.sentence("hold.left", seed + left, seconds=seconds_phrase(left))
                marks.append(Cue(at, text, "hold.left"))
            elif left == 10 and win.seconds >= 14:
                marks.append(Cue(at, self.sentence("hold.ten", seed), "hold.ten"))
            elif left <= COUNTDOWN_FROM and (win.seconds >= 9 or left <= 3):
                marks.append(Cue(at, self.sentence("count.number", number=spoken(left)), "count.number"))
        cues = step.info.hold_cues
        fractions = (0.3, 0.6) if win.seconds >= 40 else (0.35,)
        for index, fraction in enumerate(fractions):
            cue = self.sentence("hold.cue", cue=cues[(seed + index) % len(cues)])
            _place_in_gap(marks, Cue(start + win.seconds * fraction, cue, "hold.cue"), floor=script.cursor, end=end)
        for mark in marks:
            script.say_at(mark.at, mark.text, mark.key)

    def _reps(self, script: Script, win: Window, step: Step, seed: int) -> None:
        """Reps at the step's tempo. Each rep is counted as it is completed, on the beat that starts
        the next; the exercise's short cues are said in the phase they describe (``Beat``): before
        every rep (brace), while lifting (the first starts the set and carries the breathing), at the
        top, on the way down. Nothing else is said between the counts."""
        tempo = Tempo.parse(step.tempo or "1-0-1")
        rep = tempo.seconds
        count = step.reps or 0
        beats = step.info.beats
        top_rep, lower_rep, lift_rep = max(1, round(count / 3)), max(1, round(2 * count / 3)), max(2, count // 2)
        for number in range(1, count + 1):
            start = win.start + (number - 1) * rep
            lift_end = start + tempo.lift
            top_end = lift_end + tempo.hold
            end = start + rep
            before = beats.get(Beat.BEFORE, ())
            if before and number > 1:  # the full form was said before the count-in; then the short one
                self._beat(
                    script, Beat.BEFORE, before[-1], max(start, script.cursor + GAP), start + BEFORE_SECONDS, end
                )
            if number == 1:  # the first lift cue starts the set, on the beat
                at = start if script.cursor <= start + 1e-6 else script.cursor + GAP
                self._beat(script, Beat.LIFT, beats[Beat.LIFT][0], at, lift_end, end)
            elif number == count and count > 1:
                self.say_at(script, script.cursor + GAP, "rep.last", seed)
            elif number == lift_rep and len(beats[Beat.LIFT]) > 1:
                cue = beats[Beat.LIFT][1 + seed % (len(beats[Beat.LIFT]) - 1)]
                self._beat(script, Beat.LIFT, cue, script.cursor + GAP, lift_end, end)
            if number == top_rep and tempo.hold >= 1:
                self._beat(script, Beat.TOP, _pick(beats[Beat.TOP], seed), lift_end, top_end, end)
            if number == lower_rep:  # on the way down, as soon as the words before it are said
                at = max(top_end, script.cues[-1].end + GAP if script.cues else top_end)
                self._beat(script, Beat.LOWER, _pick(beats[Beat.LOWER], seed), at, end, end)
            self.say_at(script, end, "count.number", number=spoken(number))

    def _beat(self, script: Script, beat: Beat, cue: str, at: float, phase_end: float, rep_end: float) -> None:
        """Say a rep cue at ``at`` if it starts inside its phase (before ``phase_end``) and ends before
        the count that closes the rep; otherwise it is left unsaid this rep."""
        text = self.sentence(f"beat.{beat.value}", cue=cue)
        if at < phase_end and script.fits_at(at, text, rep_end - 0.15):
            script.say_at(at, text, f"beat.{beat.value}")

    def _rest(self, script: Script, place: SetPlace, after: Position, seed: int) -> frozenset[str]:
        """A rest counted down; before a new exercise it previews it. Returns which preview parts were said."""
        step, pos = place.step, place.pos
        seconds = float(step.rest_seconds)
        if seconds <= 0:
            return frozenset()
        win = script.window("rest", seconds, pos.step, pos.set)
        ready_at = win.end - 3.5
        previewed: set[str] = set()
        if after.step != pos.step and place.following is not None:
            nxt = place.following
            self.say(script, "rest.transition", seed, seconds=seconds_phrase(seconds), name=nxt.info.name)
            for part, text in self._preview_parts(nxt):
                sentence = self.sentence(f"exercise.{part}", **{part: text})
                at = script.cursor + 0.4
                if not script.fits_at(at, sentence, ready_at - 0.4):
                    break
                script.say_at(at, sentence, f"exercise.{part}")
                previewed.add(part)
        else:
            self.say(script, "rest.start", seed, seconds=seconds_phrase(seconds))
            cue = self.sentence("exercise.cue", cue=step.info.cues[(pos.set + 1) % len(step.info.cues)])
            at = max(script.cursor + 0.4, win.start + seconds / 3)
            if script.fits_at(at, cue, min(ready_at, win.end - 10 if seconds >= 25 else ready_at) - 0.4):
                script.say_at(at, cue, "exercise.cue")
        for left in (30, 10):
            if seconds >= left * 2.5 or (left == 10 and seconds >= 25):
                at = win.end - left
                text = self.sentence("rest.left", seed + left, seconds=seconds_phrase(left))
                if script.fits_at(at, text, ready_at - 0.3):
                    script.say_at(at, text, "rest.left")
        if seconds >= 10:
            self.say_at(script, ready_at, "rest.ready" if after.step == pos.step else "rest.ready_new", seed)
        script.wait_until(win.end)
        return frozenset(previewed)

    # ----- finishing ----------------------------------------------------------------------
    def finish(
        self, completed: int, skipped: int, seconds: float, streak: int, ask: bool = False, left_out: int = 0
    ) -> Script:
        """The end of a workout: what was done; a workout with nothing done is not counted. ``ask``: end
        by asking how it felt (the answer shapes the next plan), instead of with the goodbye. ``left_out``:
        exercises taken out of the day's plan for pain, said apart (the count went down when they were)."""
        script = Script()
        if not completed:
            self.say(script, "finish.nothing_done")
            self.say(script, "finish.goodbye")
            return script
        self.say(script, "finish.done")
        self.say(
            script,
            "finish.summary",
            completed=spoken(completed),
            exercises=self.exercises(completed + skipped),
            length=minutes_phrase(seconds),
        )
        if left_out:
            self.say(script, "finish.left_out", exercises=self.exercises(left_out))
        if streak >= 2:
            self.say(script, "finish.streak", days=spoken(min(streak, 9999)))
        self.say(script, "finish.rate" if ask and self.playback is not Playback.RECORDING else "finish.goodbye")
        return script


@lru_cache(maxsize=4096)
def _performed_set(
    locale: str, playback: Playback, place: SetPlace, previewed: frozenset[str], entry: Entry
) -> tuple[Script, Position, frozenset[str], int]:
    """A set with its rest, as ``Coach._unit`` renders it, and its SSML length; cached, because planning
    measures thousands of candidate routines made of the same sets. The script is shared: read it only."""
    script, after, said = Coach(locale, playback)._unit(place, previewed, entry)
    return script, after, said, len(script.to_ssml())


def _key(data: dict[str, object]) -> tuple[tuple[str, object], ...]:
    return tuple(sorted(data.items()))


@lru_cache(maxsize=16384)
def _sentence(locale: str, playback: Playback, key: str, seed: int, data: tuple[tuple[str, object], ...]) -> str:
    """``Coach.sentence``, cached: planning renders the same counts and cues many thousand times."""
    return _capitalised(dialog_for(locale, playback.value).text(key, seed, **dict(data)))


def _pick(options: tuple[str, ...], seed: int) -> str:
    return options[seed % len(options)]


def _capitalised(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:]


def _place_in_gap(marks: list[Cue], cue: Cue, floor: float, end: float, gap: float = 0.4) -> None:
    """Insert ``cue`` into time-ordered ``marks`` at the first gap, no earlier than asked, that it fits in."""
    length = estimate_seconds(cue.text)
    previous_end = floor
    for index, mark in enumerate([*marks, Cue(end, "", "")]):
        at = max(cue.at, previous_end + gap)
        if at + length + gap <= mark.at:
            marks.insert(index, Cue(at, cue.text, cue.key))
            return
        previous_end = max(previous_end, mark.end)


def opens_phase(steps: Sequence[Step], index: int) -> str | None:
    """The phase the step at ``index`` opens: the warm-up at the start, the main work after a warm-up,
    the cool-down; None within a phase, and for main work that starts the session."""
    phase = steps[index].phase
    previous = steps[index - 1].phase if index > 0 else Phase.MAIN.value
    return phase if phase != previous else None


def seconds_left(state: WorkoutState, coach: Coach) -> float:
    """Seconds of the workout still to come from where it stands (the set it is at, on), as ``coach``
    would say it straight through: not the sets already done, nor the opening said already."""
    run = deepcopy(state)
    run.held = None
    total = 0.0
    while not run.finished:
        script, run.pos = coach.block(run)
        total += script.duration
    return total


def workout_scripts(
    state: WorkoutState, locale: str = "en-US", first_time: bool = False, playback: Playback = Playback.ALEXA
) -> list[Script]:
    """Every reply of a whole workout run straight through, as the coach would say them on ``playback``."""
    coach = Coach(locale, playback)
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
