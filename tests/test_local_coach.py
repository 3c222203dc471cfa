"""The real ``strong-back`` coach in a subprocess, fed like a person would feed it: piped
scripts (``--text --speed 50``), a terminal (a pseudo-terminal), and machines without audio.
Assertions are on what the person hears and sees."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from skill.numbers import spoken

BIN = Path(sys.executable).parent
RUN_WITHIN = 120.0


def strong_back() -> list[str]:
    script = BIN / "strong-back"
    return [str(script)] if script.exists() else [sys.executable, "-m", "local_runner"]


def environment(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WORKOUT_TABLE", "DYNAMODB_ENDPOINT_URL", "SKILL_ID")}
    env.update(STRONG_BACK_DB=str(tmp / "progress.db"), PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def coach(tmp: Path, lines: list[str], *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*strong_back(), *args],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        env=environment(tmp, **env),
        timeout=RUN_WITHIN,
        check=False,
    )


_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"
_UNITS += " seventeen eighteen nineteen"
UNITS = {word: n for n, word in enumerate(_UNITS.split())}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}


def spoken_seconds(text: str) -> int:
    """23 from '... twenty three seconds ...' (the number a person hears before 'seconds')."""
    match = re.search(r"((?:twenty|thirty|forty|fifty)?[ -]?(?:[a-z]+)?) seconds", text.lower())
    assert match, f"no number of seconds in {text!r}"
    total = 0
    for word in re.split(r"[ -]", match.group(1).strip()):
        total += TENS.get(word, UNITS.get(word, 0))
    return total


def after(lines: list[str], marker: str) -> list[str]:
    index = next(i for i, line in enumerate(lines) if marker in line)
    return lines[index + 1 :]


# The warm-up (cat cow, bird dog) and the glute bridge come before the plank (three sets of 35 s).
START = "start a twenty minute intermediate lower back workout with no equipment"
TO_THE_PLANK = ["@16 skip this one", "@3 skip this one", "@3 skip this one"]


def test_a_scripted_session_then_resume_the_next_day(tmp_path: Path) -> None:
    # Speed 20 leaves over a second of real time around each @ moment, for a busy machine.
    first = coach(tmp_path, [START, *TO_THE_PLANK, "@30 pause", "resume", "stop"], "--text", "--speed", "20")
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    heard = first.stdout.splitlines()

    # The workout begins with its warm-up, naming the first move.
    opening = after(heard, f"you> {START}")
    assert any("warm-up" in line.lower() for line in opening[:4])
    assert any("exercise one" in line.lower() and "cat cow" in line.lower() for line in opening[:6])

    # Skipping the warm-up and the glute bridge moves on to the plank, whose hold starts before the pause.
    skips = [i for i, line in enumerate(heard) if line.startswith("you> skip this one")]
    assert len(skips) == 3
    skipped = heard[skips[-1] + 1 :]
    assert "skipping the glute bridge" in skipped[0].lower()
    until_pause = skipped[: next(i for i, line in enumerate(skipped) if line.startswith("you> pause"))]
    assert any(line.startswith("[Plank") and "hold: 35 s" in line for line in until_pause)

    # "pause" mid-hold: the coach says how much of the hold is left.
    paused = after(heard, "you> pause")[0]
    assert "left on your plank" in paused.lower()
    left = spoken_seconds(paused)
    assert 5 <= left < 35

    # "resume": the rest of that hold, counted down to one.
    resumed = after(heard, "you> resume")
    assert "plank" in resumed[0].lower() and spoken_seconds(resumed[0]) == left
    marker = next(line for line in resumed if line.startswith("[Plank"))
    assert f"hold: {left} s" in marker or f"hold: {left + 1} s" in marker or f"hold: {left - 1} s" in marker
    counted = resumed[resumed.index(marker) :]
    countdown = [line for line in counted if line in ("Five.", "Four.", "Three.", "Two.", "One.")]
    assert countdown[:5] == ["Five.", "Four.", "Three.", "Two.", "One."]

    # "stop" ends the session with progress saved.
    stopped = after(heard, "you> stop")
    assert "progress is saved" in " ".join(stopped[:3]).lower()
    assert "Your progress is saved" in heard[-1]

    # The next day: "resume my workout" carries on with the plank's later sets, not from the top.
    second = coach(tmp_path, ["resume my workout", "quit"], "--text", "--speed", "50")
    assert second.returncode == 0, second.stderr
    carried = after(second.stdout.splitlines(), "you> resume my workout")
    spoken = " ".join(carried).lower()
    assert "welcome back" in carried[0].lower()
    assert "exercise one" not in spoken and "glute bridge" not in spoken
    assert "plank" in spoken and ("set two" in spoken or "set three" in spoken or "second set" in spoken)
    assert "Your progress is saved" in second.stdout.splitlines()[-1]


@pytest.mark.parametrize(
    ("said", "way"),
    [
        ("this is hard", "easier"),
        ("this is really hard", "easier"),
        ("i'm finding this really hard", "easier"),
        ("this is a bit much", "easier"),
        ("this is really easy", "harder"),
    ],
)
def test_saying_how_an_exercise_feels_mid_workout_changes_it_the_right_way(tmp_path: Path, said: str, way: str) -> None:
    """Saying how it feels ("this is really hard") is no request for a harder exercise."""
    lines = ["start a beginner lower back workout", "@3 next", f"@2 {said}", "@2 stop"]
    done = coach(tmp_path, lines, "--text", "--speed", "100")
    assert done.returncode == 0, done.stderr
    answer = after(done.stdout.splitlines(), f"you> {said}")[0].lower()
    other = {"easier": "harder", "harder": "easier"}[way]
    assert way in answer and other not in answer, answer


def test_after_goodbye_the_next_line_starts_a_new_session(tmp_path: Path) -> None:
    lines = ["open strong back", "stop", "start a five minute upper back workout", "quit"]
    done = coach(tmp_path, lines, "--text", "--speed", "50")
    assert done.returncode == 0, done.stderr
    heard = done.stdout.splitlines()
    assert "welcome to strong back" in after(heard, "you> open strong back")[0].lower()
    assert any("type to start a new one" in line.lower() for line in after(heard, "you> stop"))
    fresh = after(heard, "you> start a five minute upper back workout")
    assert "upper back" in fresh[0].lower()


def test_end_of_input_mid_hold_saves_where_the_person_was(tmp_path: Path) -> None:
    first = coach(tmp_path, [START, *TO_THE_PLANK, "@30 quit"], "--text", "--speed", "20")
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[-1].startswith("Your progress is saved")
    again = coach(tmp_path, ["resume my workout", "quit"], "--text", "--speed", "50")
    carried = " ".join(after(again.stdout.splitlines(), "you> resume my workout")).lower()
    assert "plank" in carried and "seconds" in carried
    assert 5 <= spoken_seconds(carried) < 35


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM"])
def test_ctrl_c_mid_hold_ends_cleanly_and_keeps_the_time_left(tmp_path: Path, signal_name: str) -> None:
    import signal

    process = subprocess.Popen(
        [*strong_back(), "--text", "--speed", "5"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(tmp_path),
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("\n".join([START, *TO_THE_PLANK, ""]))
    process.stdin.flush()  # the input stays open: the person is still there
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.startswith("[Plank"):
            break
    time.sleep(0.6)  # 3 s of the hold at speed 5
    process.send_signal(getattr(signal, signal_name))
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "Your progress is saved" in out and "Traceback" not in err
    again = coach(tmp_path, ["resume my workout", "quit"], "--text", "--speed", "50")
    carried = " ".join(after(again.stdout.splitlines(), "you> resume my workout")).lower()
    assert "plank" in carried
    assert 5 <= spoken_seconds(carried) <= 34  # about 3 s of the 35 s hold were done, and no more than 30


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--speed", "0"], "--speed must be a number above zero"),
        (["--speed", "-3"], "--speed must be a number above zero"),
        (["--speed", "nan"], "--speed must be a number above zero"),
        (["--locale", "fr-FR"], "unknown locale 'fr-FR': choose one of en-US"),
        (["--rate", "900"], "--rate must be between"),
        (["--user", "  "], "--user needs a name"),
    ],
)
def test_bad_options_are_refused_with_a_clear_message(tmp_path: Path, args: list[str], complaint: str) -> None:
    done = coach(tmp_path, ["quit"], "--text", *args)
    assert done.returncode == 2
    assert complaint in done.stderr
    assert "Traceback" not in done.stderr


def test_a_progress_file_that_cannot_be_written_is_a_clear_error(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    done = coach(tmp_path, ["quit"], "--text", STRONG_BACK_DB=str(blocked / "progress.db"))
    assert done.returncode == 1
    assert "could not open the progress file" in done.stderr and "STRONG_BACK_DB" in done.stderr
    assert "Traceback" not in done.stderr


# ----- without audio ------------------------------------------------------------------------------
NO_AUDIO_HINTS = ("apt-get install espeak-ng alsa-utils", "--text")


def _python_only_path(tmp: Path) -> str:
    """A PATH with nothing on it but an empty folder: no aplay (the program uses absolute paths)."""
    empty = tmp / "bin"
    empty.mkdir(exist_ok=True)
    return str(empty)


def test_no_aplay_is_said_once_and_the_coach_carries_on_in_text(tmp_path: Path) -> None:
    lines = ["open strong back", "start a five minute workout", "@12 stop"]
    done = coach(tmp_path, lines, "--speed", "20", PATH=_python_only_path(tmp_path))
    assert done.returncode == 0, done.stderr
    notices = [line for line in done.stderr.splitlines() if line.startswith("strong-back:")]
    assert len(notices) == 1, done.stderr
    assert all(hint in notices[0] for hint in NO_AUDIO_HINTS)
    assert "Traceback" not in done.stderr
    assert "welcome to strong back" in done.stdout.lower()
    assert any("exercise one" in line.lower() for line in done.stdout.splitlines())


def test_a_sound_device_that_fails_is_said_once(tmp_path: Path) -> None:
    """aplay is there but no device opens (the fault of a machine without a sound card)."""
    fake = tmp_path / "fakebin"
    fake.mkdir()
    aplay = fake / "aplay"
    aplay.write_text("#!/bin/sh\necho 'aplay: main:831: audio open error: No such file or directory' >&2\nexit 1\n")
    aplay.chmod(0o755)
    done = coach(tmp_path, ["open strong back", "quit"], "--speed", "20", PATH=f"{fake}:{os.environ.get('PATH', '')}")
    assert done.returncode == 0, done.stderr
    notices = [line for line in done.stderr.splitlines() if line.startswith("strong-back:")]
    assert len(notices) == 1, done.stderr
    assert "No audio output" in notices[0]
    # The packages are installed: the note points at the sound device, not at installing them again.
    assert "sound device" in notices[0] and "--text" in notices[0]
    assert "apt-get" not in notices[0]
    assert "welcome to strong back" in done.stdout.lower()


def test_text_mode_says_nothing_about_audio(tmp_path: Path) -> None:
    done = coach(tmp_path, ["open strong back", "quit"], "--text", "--speed", "20", PATH=_python_only_path(tmp_path))
    assert done.returncode == 0
    assert done.stderr.strip() == ""


# ----- on a terminal ------------------------------------------------------------------------------
class Terminal:
    """The coach on a pseudo-terminal: keys in, screen bytes out."""

    def __init__(self, tmp: Path, *args: str, columns: int = 60) -> None:
        import fcntl
        import pty
        import struct
        import termios

        env = environment(tmp, TERM="xterm")
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become the coach
            command = strong_back()
            os.execve(command[0], [*command, *args], env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        self.screen = ""

    def read_until(self, pattern: str, within: float = 30.0) -> str:
        deadline = time.monotonic() + within
        while not re.search(pattern, self.screen):
            left = deadline - time.monotonic()
            assert left > 0, f"never saw {pattern!r} in:\n{self.screen[-3000:]}"
            ready, _, _ = select.select([self.fd], [], [], min(left, 0.2))
            if ready:
                try:
                    self.screen += os.read(self.fd, 65536).decode(errors="replace")
                except OSError:
                    break
        return self.screen

    def type(self, keys: str) -> None:
        for key in keys:
            os.write(self.fd, key.encode())
            time.sleep(0.01)

    def finish(self) -> int:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            try:
                ready, _, _ = select.select([self.fd], [], [], 0.2)
                if ready:
                    self.screen += os.read(self.fd, 65536).decode(errors="replace")
            except OSError:
                time.sleep(0.05)
        os.kill(self.pid, 9)
        raise AssertionError("the coach did not exit")


def to_the_plank(term: Terminal) -> None:
    """Past the warm-up (cat cow, bird dog) and the glute bridge, to the plank."""
    term.read_until("Exercise one of")
    for skipped in ("cat cow", "bird dog", "glute bridge"):
        term.type("skip this one\r")
        term.read_until(f"Skipping the {skipped}")


def test_on_a_terminal_the_countdown_shows_and_typing_interrupts_a_hold(tmp_path: Path) -> None:
    term = Terminal(tmp_path, "--text", "--speed", "10", columns=60)
    term.read_until("Strong Back coach")
    term.type(START + "\r")
    to_the_plank(term)
    # The footer: exercise, set, what it is, a countdown bar and the time left.
    term.read_until(r"Plank · set 1 of \d · hold +█+░* 0:3\d")
    screen = term.read_until(r"Plank · set 1 of \d · hold +█+░+ 0:2\d")
    footer = re.findall(r"Plank · set 1 of \d · hold +[█░]+ (0:\d\d)", screen)
    assert len(set(footer)) >= 2, "the time left should count down"
    assert all(len(line) < 60 for line in re.findall(r"Plank · set[^\r\n\x1b]*", screen))
    term.type("pau")
    term.read_until("you> pau")  # what is typed shows under the countdown while it runs
    term.type("se\r")
    term.read_until(r"Paused, with [a-z -]+ seconds left on\s+your plank")
    term.type("\x04")  # Ctrl-D
    term.read_until("Your progress is saved")
    assert term.finish() == 0
    assert "Traceback" not in term.screen


# ----- a laptop coach, not a speaker with Alexa's limits -------------------------------------------
def test_the_laptop_coach_flows_through_a_whole_workout_on_its_own(tmp_path: Path) -> None:
    done = coach(tmp_path, ["start a ten minute lower back workout", "@2000 stop"], "--text", "--speed", "100")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    heard = out.lower()
    # No stops to ask for "next", nothing Alexa-only, no figures of the program's own.
    assert "say next" not in heard and "ask strong back" not in heard
    assert "into the reply" not in heard and not re.search(r"\d+\.\d+ s\b", out)
    # Every exercise, in order, each introduced with a short get-ready count before its first set, to the end.
    intros = re.findall(r"Exercise (\w+) of (\w+)", out)
    count = len(intros)
    assert count >= 4 and {of for _, of in intros} == {spoken(count)}
    assert [number for number, _ in intros] == [spoken(n) for n in range(1, count + 1)]
    assert "workout done" in heard and heard.count("three.\ntwo.\none.") >= count
    # What the coach previewed in a rest is not read out again when the exercise begins.
    from skill.catalog import CATALOG

    for exercise in CATALOG.values():
        assert out.count(exercise.setup) <= 1, f"the {exercise.name} set-up was read twice"


def test_on_a_terminal_the_first_key_stops_the_countdown_at_once(tmp_path: Path) -> None:
    term = Terminal(tmp_path, "--text", "--speed", "10", columns=60)
    term.read_until("Strong Back coach")
    term.type(START + "\r")
    to_the_plank(term)
    term.read_until(r"Plank · set 1 of \d · hold +█+░+ 0:2\d")
    term.type("p")  # one key, no Enter yet
    at_key = len(term.screen)
    time.sleep(1.0)  # ten of the coach's seconds
    term.read_until(r"you> p", within=5)
    last = re.findall(r"hold +[█░]+ 0:(\d\d)", term.screen[:at_key])[-1]
    shown_after = [int(left) for left in re.findall(r"hold +[█░]+ 0:(\d\d)", term.screen[at_key:])]
    assert all(left >= int(last) - 1 for left in shown_after), "the countdown kept running after the first key"
    term.type("ause\r")
    paused = term.read_until(r"Paused, with [a-z -]+ seconds left on\s+your plank")
    said = spoken_seconds(paused[paused.rindex("Paused, with") :].replace("\n", " "))
    assert abs(said - int(last)) <= 2, "the pause counts from the first key, not from Enter"
    term.type("\x03")  # Ctrl-C: read as a key, ends the session like Ctrl-D
    term.read_until("Your progress is saved")
    assert term.finish() == 0


def test_piped_input_that_ends_lets_the_workout_play_to_its_end(tmp_path: Path) -> None:
    """`echo "start ..." | strong-back --text` is a whole workout, not its first set."""
    done = coach(tmp_path, ["start a five minute lower back workout"], "--text", "--speed", "100")
    assert done.returncode == 0, done.stderr
    heard = done.stdout.lower()
    assert "workout done" in heard and "how did that feel" in heard
    assert done.stdout.splitlines()[-1].startswith("Your progress is saved")
