"""What the local program itself tells the person (not the coach's words, which come from the skill)."""

from __future__ import annotations

from typing import Any

INSTALL_SPEECH = "sudo apt-get install espeak-ng alsa-utils"

WELCOME = (
    "Strong Back coach. Type what you would say to Alexa, one line at a time, "
    'for example "start a ten minute upper back workout". Type quit to leave.'
)
WELCOME_TEXT_ONLY = "(printing only, no speech)"
SESSION_OVER = "(The coach has closed this conversation. Type to start a new one, or quit to leave.)"
GOODBYE_SAVED = "Your progress is saved. See you next time."
GOODBYE_UNSAVED = "Your progress could NOT be saved (see the note above), so this session may be forgotten."
GOODBYE = "See you next time."
PROMPT = "you> "


def speed(value: float) -> str:
    return f"--speed must be a number above zero (2 runs the clock twice as fast), not {value:g}"


def no_audio_output(reason: str) -> str:
    if "not installed" in reason:
        remedy = f"To hear it, install espeak-ng and alsa-utils ({INSTALL_SPEECH})"
    else:
        remedy = "To hear it, run it on a machine with a sound device (or set STRONG_BACK_AUDIO_DEVICE)"
    return f"No audio output: {reason}. The coach will print what it says instead. {remedy}; use --text to print only."


def speech_engine_failed(detail: str) -> str:
    return f"text-to-speech is not available ({detail}). Install espeak-ng: {INSTALL_SPEECH}"


def printing_instead(problem: str) -> str:
    return f"{problem}. The coach will print what it says instead; use --text to print only without this note."


def speech_phrase_failed(detail: str) -> str:
    return f"the speech engine could not say a phrase ({detail})"


def speech_stopped(reason: str) -> str:
    return f"Speech stopped working ({reason}); carrying on in text."


def unknown_voice(voice: str, voices: list[Any]) -> str:
    english = [row for row in voices if any(str(lang).startswith("en") for lang in row[2])]
    shown = ", ".join(f"{row[0]} ({row[1]})" for row in english[:6])
    hint = f" English voices include {shown}." if shown else ""
    return f"there is no voice {voice!r}.{hint} See them all with: strong-back --list-voices"


def nlu_missing(detail: str) -> str:
    return f"the offline language understanding could not start ({detail})"


def storage_failed(detail: str) -> str:
    return f"could not open the progress file ({detail}). Set STRONG_BACK_DB to a file in a folder you can write to."


LISTENING = (
    'Listening: say what you would say to Alexa, for example "start a ten minute upper back workout", '
    '"pause" or "next". Commands said during holds and rests are heard; while the coach itself is '
    "talking it doesn't listen (it would hear itself). Press Ctrl-C to leave."
)
LOADING_RECOGNIZER = "Loading speech recognition ..."


def not_a_command(words: str) -> str:
    heard = f' (it sounded like "{words}")' if words else ""
    return f"(Heard something that isn't a command{heard}; say it again, or type it.)"


def coach_answered(text: str) -> str:
    return f"(The coach answered: {text})"


def learning_off(reason: str) -> str:
    return f"The coach will not learn your voice: {reason}. It hears you as well as before all the same."


def learning_from(folder: str, kept: int) -> str:
    if not kept:
        return f"The coach learns your voice from the commands it acts on (kept in {folder})."
    learnt = f"Hearing with what the coach learnt of your voice from {kept} commands"
    return f"{learnt} (kept in {folder}; delete it to start afresh)."


def listening_off(reason: str, typing: bool) -> str:
    then = "Type your commands instead." if typing else "Pipe or type your commands instead."
    return f"Voice input is off: {reason}. {then}"


def listen_file_failed(reason: str) -> str:
    return f"cannot listen to that file: {reason}"


def heard_in_file(count: int, path: str) -> str:
    return f"Heard {count} command{'s' if count != 1 else ''} in {path}."
