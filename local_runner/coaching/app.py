"""``strong-back``: the interactive coach on a laptop, with no cloud and no account.

What the person types is understood offline (``local_runner.understanding.parser``), sent as an Alexa request
envelope to the very skill object the Lambda runs, and the reply is performed: every phrase
spoken and printed at its moment, every pause a real pause on the coach's clock. A line typed
while a reply plays cuts it short, as speaking over Alexa does. Piped input is a script: each
line waits for the reply before it, and ``@12 pause`` speaks up 12 seconds into the reply.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from local_runner.coaching import messages
from local_runner.coaching.clock import Inbox, ScriptedWaiter, Typed, TypedWaiter, VirtualClock, scripted_cut
from local_runner.coaching.player import Outcome, Player, Silent, SpeechOut
from local_runner.listening.listener import script_stream
from local_runner.speaking.voices import UnknownVoiceError, VoiceError, VoiceSettings, check_locale, check_rate
from local_runner.terminal.display import LiveScreen, PlainScreen, step_labels
from local_runner.terminal.keyboard import LineEditor, PipeReader
from skill.config import Settings
from skill.errors import ConfigurationError
from skill.playback import Playback

if TYPE_CHECKING:
    import argparse

    from local_runner.coaching.conversation import Conversation, Reply
    from local_runner.listening.adaptation import Learner
    from local_runner.listening.listener import MicrophoneListener
    from local_runner.listening.recognizer import Recognizer
    from local_runner.understanding.parser import Understander

QUIT_WORDS = frozenset({"quit", "exit", "quit strong back", "exit strong back"})
LIVE_TICK_SECONDS = 0.1  # real seconds between countdown updates on a terminal
Display = LiveScreen | PlainScreen  # the terminal, live or plain


class Closable(Protocol):
    def close(self) -> None: ...


class Reader(Closable, Protocol):
    """Something that puts what the person types or says into the inbox, on a thread of its own."""

    def start(self) -> None: ...


@dataclass(frozen=True)
class CoachOptions:
    """The coach's options, checked."""

    text_only: bool
    speed: float
    voice: VoiceSettings
    user: str
    listen: bool = False
    listen_from: str | None = None
    mic: str | None = None


def coach_options(args: argparse.Namespace) -> CoachOptions:
    """Checked options from the command line; ``ValueError`` with a message for the person."""
    speed = float(args.speed)
    if not speed > 0 or speed == float("inf"):
        raise ValueError(messages.speed(speed))
    locale = check_locale(args.locale)
    rate = check_rate(args.rate)
    user = str(args.user or "").strip()
    if not user:
        raise ValueError("--user needs a name")
    listen_from = getattr(args, "listen_from", None)
    if listen_from is not None and not str(listen_from).strip():
        raise ValueError("--listen-from needs a WAV file")
    return CoachOptions(
        bool(args.text),
        speed,
        VoiceSettings(locale, args.voice, rate),
        user,
        listen=bool(getattr(args, "listen", False)),
        listen_from=listen_from,
        mic=getattr(args, "mic", None),
    )


def is_quit(text: str) -> bool:
    return text.strip().strip(".!").lower() in QUIT_WORDS


class ScreenLogHandler(logging.Handler):
    """The skill's warnings (e.g. progress that could not be saved) shown as notices."""

    def __init__(self, screen: Display) -> None:
        super().__init__(logging.WARNING)
        self.screen = screen

    def emit(self, record: logging.LogRecord) -> None:
        self.screen.notice(record.getMessage())


class CoachSession:
    """The conversation loop: read a line, send it, perform the reply, until the person leaves."""

    def __init__(
        self,
        conversation: Conversation,
        understander: Understander,
        player: Player,
        screen: Display,
        inbox: Inbox,
        *,
        interactive: bool,
    ) -> None:
        self.conversation = conversation
        self.understander = understander
        self.player = player
        self.screen = screen
        self.inbox = inbox
        self.clock = conversation.clock
        self.interactive = interactive

    def run(self) -> int:
        """Talk until quit, end of input or Ctrl-C; the session is closed and progress saved."""
        status = 0
        try:
            typed = self._next_line(None)
            while True:
                said_at = self.clock.seconds() if typed.typing else None  # the moment the person cut in
                if typed.typing:
                    typed = self._whole_line()
                text = typed.text
                if text is None or is_quit(text):
                    break
                reply = self._respond(text, said_at)
                typed = self._play(reply) if reply is not None else self._next_line(None)
        except KeyboardInterrupt:
            status = 130
        self._leave()
        return status

    def _play(self, reply: Reply) -> Typed:
        """Perform a reply, and the workout's next blocks after it (the laptop chains them on its own),
        until the person says something, the workout waits, or the session ends.

        A scripted ``@N`` line is said N coach seconds after this reply began, however many blocks
        have played by then; a plain scripted line waits for the block that is playing to finish;
        the end of piped input waits for the workout's next question (or its end)."""
        anchor = reply.started
        while True:
            outcome = self._perform(reply, anchor)
            if outcome.typed is not None:
                return outcome.typed
            if reply.ends_session:
                self.screen.info(messages.SESSION_OVER)
                return self._next_line(anchor)
            head = self.inbox.peek()
            # The end of piped input lets the workout play on to its next question, as a person who
            # has said all they meant to say would; on a terminal, Ctrl-D ends the session at once.
            ended = head is not None and head.text is None and self.interactive
            plain_line_waiting = head is not None and head.text is not None and scripted_cut(head.text) is None
            if not reply.continues or plain_line_waiting or ended:
                return self._next_line(anchor)
            reply = self.conversation.carry_on()

    # ----- one turn ---------------------------------------------------------------------------
    def _whole_line(self) -> Typed:
        """After the first key of a line stopped the coach: the line, once Enter is pressed."""
        while True:
            typed = self.inbox.take()
            if typed is None or not typed.typing:
                return typed or Typed(None)

    def _next_line(self, anchor: float | None) -> Typed:
        """The person's next line; an ``@N`` line waits until N coach seconds after ``anchor``."""
        self.screen.waiting()
        typed = self.inbox.take()
        if typed is None or typed.text is None:
            return Typed(None)
        cut = scripted_cut(typed.text)
        if cut is None:
            return typed
        if anchor is not None:
            moment = anchor + cut[0]
            while self.clock.seconds() < moment:
                left = self.clock.real_seconds(moment - self.clock.seconds())
                if self.inbox.wait_for_line(left) and self.interactive:
                    break
        return Typed(cut[1])

    def _respond(self, text: str, said_at: float | None = None) -> Reply | None:
        """Send what was typed to the skill, as said at coach second ``said_at`` (default now); None
        when there was nothing to send. A line begun over a reply and then emptied lets it carry on."""
        cut = scripted_cut(text)
        text = (cut[1] if cut else text).strip()
        if not text:
            return self.conversation.intent("AMAZON.ResumeIntent", at=said_at) if said_at is not None else None
        self.screen.heard(text)
        understood = self.understander.understand(text)
        if understood.intent == "LaunchRequest":
            return self.conversation.launch(at=said_at)
        return self.conversation.intent(understood.intent, understood.request_slots(), at=said_at)

    def _perform(self, reply: Reply, anchor: float) -> Outcome:
        self.screen.use_steps(step_labels(reply.attributes))
        waiter = (
            TypedWaiter(self.clock, self.inbox) if self.interactive else ScriptedWaiter(self.clock, self.inbox, anchor)
        )
        return self.player.perform(reply.timeline, reply.windows, reply.started, waiter)

    def _leave(self) -> None:
        self.player.speech.stop()
        with contextlib.suppress(KeyboardInterrupt):
            self.conversation.end()
        saved = self.conversation.saved
        goodbye = messages.GOODBYE if saved is None else messages.GOODBYE_SAVED if saved else messages.GOODBYE_UNSAVED
        self.screen.info(goodbye)


# ----- setting up -------------------------------------------------------------------------------
def open_speech(options: CoachOptions, screen: Display) -> tuple[SpeechOut, tuple[Closable, ...]]:
    """The speech output and what to close after; text only (with a notice) when it can't play."""
    if options.text_only:
        return Silent(), ()
    # Imported here: --text never starts the speech worker or touches audio.
    from local_runner.speaking.speaker import Speaker, audio_problem
    from local_runner.speaking.synthesis import Synthesizer

    synthesizer = Synthesizer(options.voice)
    try:
        synthesizer.start()
    except UnknownVoiceError:
        synthesizer.close()
        raise
    except VoiceError as error:
        synthesizer.close()
        screen.notice(messages.printing_instead(str(error)))
        return Silent(), ()
    problem = audio_problem()
    if problem is not None:
        synthesizer.close()
        screen.notice(messages.no_audio_output(problem))
        return Silent(), ()
    speaker = Speaker(synthesizer, on_failure=lambda reason: screen.notice(messages.speech_stopped(reason)))
    return speaker, (speaker, synthesizer)


def list_voices(options: CoachOptions) -> int:
    from local_runner.speaking.synthesis import Synthesizer

    synthesizer = Synthesizer(VoiceSettings(options.voice.locale, None, options.voice.rate_wpm))
    try:
        synthesizer.start()
    except VoiceError as error:
        print(f"strong-back: {error}", file=sys.stderr)
        return 1
    finally:
        synthesizer.close()
    default = synthesizer.voice_id
    print(f"{'voice id':<28} {'name':<36} languages")
    english_first = sorted(synthesizer.voices, key=lambda row: (not str(row[0]).startswith("gmw/en"), row[0]))
    for voice_id, name, languages in english_first:
        mark = f"  (default for {options.voice.locale})" if voice_id == default else ""
        print(f"{voice_id:<28} {name:<36} {', '.join(languages)}{mark}")
    return 0


def _storage_problem() -> str | None:
    """Why progress can't be kept in the SQLite file, or None (DynamoDB is not checked here)."""
    settings = Settings.from_env()
    if settings.workout_table:
        return None
    path = settings.db_path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return f"{path.parent}: {error.strerror or error}"
    try:  # the real test: open it for writing (creating it if new), as SQLite will
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o644))
    except OSError as error:
        return f"{path}: {error.strerror or error}"
    return None


def _fail(message: str, status: int = 2) -> int:
    print(f"strong-back: {message}", file=sys.stderr)
    return status


def run_coach(args: argparse.Namespace) -> int:
    """The interactive coach (``strong-back`` with no command)."""
    try:
        options = coach_options(args)
    except ValueError as error:
        return _fail(str(error))
    if args.list_voices:
        return list_voices(options)
    problem = _storage_problem()
    if problem is not None:
        return _fail(messages.storage_failed(problem), 1)
    try:
        from local_runner.understanding.parser import understander

        understanding = understander(options.voice.locale)
    except (ImportError, OSError, ValueError) as error:
        return _fail(messages.nlu_missing(f"{type(error).__name__}: {error}"), 1)

    script: list[str] | None = None
    if options.listen_from is not None:
        try:
            script = spoken_script(options, understanding)
        except ValueError as error:
            return _fail(messages.listen_file_failed(str(error)), 1)
    live = sys.stdout.isatty() and Settings.from_env().term != "dumb"
    interactive = sys.stdin.isatty() and script is None
    screen: Display = LiveScreen() if live else PlainScreen(prompts=interactive)
    if script is not None:
        screen.info(messages.heard_in_file(len(script), str(options.listen_from)))
    try:
        speech, closing = open_speech(options, screen)
    except UnknownVoiceError as error:
        return _fail(str(error))
    return _run_session(
        options, understanding, screen, speech, closing, live=live, interactive=interactive, script=script
    )


# ----- spoken commands ----------------------------------------------------------------------------
def spoken_script(options: CoachOptions, understanding: Understander) -> list[str]:
    """The commands spoken in ``--listen-from``'s WAV file; ``ValueError`` says what went wrong."""
    # Imported here: pocketsphinx and its model load only for --listen-from.
    from local_runner.listening.audio_in import AudioInputError
    from local_runner.listening.listener import SpokenCommands, commands_in_file
    from local_runner.listening.recognizer import Recognizer, RecognizerError

    def unclear(words: str) -> None:
        print(messages.not_a_command(words), file=sys.stderr)

    def answer(text: str) -> None:
        print(messages.coach_answered(text), file=sys.stderr)

    try:
        recognizer = Recognizer(options.voice.locale)
        commands = SpokenCommands(recognizer, understanding, unclear, answer, options.voice.locale)
        return commands_in_file(Path(str(options.listen_from)), recognizer, commands)
    except (RecognizerError, AudioInputError) as error:
        raise ValueError(str(error)) from None


def start_listening(
    options: CoachOptions,
    understanding: Understander,
    screen: Display,
    speech: SpeechOut,
    inbox: Inbox,
    *,
    typing: bool,
) -> MicrophoneListener | None:
    """A microphone listener (started with the other readers), or None after saying why there is none."""
    # Imported here: pocketsphinx and its model load only for --listen.
    from local_runner.listening.audio_in import AudioInputError, Microphone
    from local_runner.listening.listener import MicrophoneListener, SpokenCommands
    from local_runner.listening.recognizer import Recognizer, RecognizerError

    screen.info(messages.LOADING_RECOGNIZER)
    microphone = Microphone(options.mic)
    try:
        recognizer = Recognizer(options.voice.locale)
        microphone.open()
    except (RecognizerError, AudioInputError) as error:
        microphone.close()
        screen.notice(messages.listening_off(str(error), typing))
        return None
    learner = _learner(recognizer, screen, options.user)

    def answer(text: str) -> None:
        screen.info(text)
        speech.say(text)

    def unclear(words: str) -> None:
        screen.info(messages.not_a_command(words))

    learn = learner.learn if learner is not None else None
    commands = SpokenCommands(recognizer, understanding, unclear, answer, options.voice.locale, learn)
    talking = getattr(speech, "talking", None)
    screen.info(messages.LISTENING)
    return MicrophoneListener(microphone, recognizer, commands, inbox, talking or (lambda: False), learner)


def _learner(recognizer: Recognizer, screen: Display, user: str) -> Learner | None:
    """What learns ``user``'s voice, kept beside the progress file (started, with the model it
    learnt before in use), or None after saying why there is none."""
    from local_runner.listening.adaptation import AdaptationError, Learner, VoiceModel, voice_folder
    from local_runner.listening.recognizer import RecognizerError

    folder = voice_folder(Settings.from_env().db_path, user)
    try:
        voice = VoiceModel(folder, recognizer.dictionary, recognizer.bundled_model)
    except AdaptationError as error:
        screen.notice(messages.learning_off(str(error)))
        return None
    learnt = voice.model
    if learnt is not None:
        try:
            recognizer.use_model(learnt)
        except RecognizerError:  # a model left broken: learnt afresh from what is kept, at the start
            voice.set_aside()
            learnt = None
    screen.info(messages.learning_from(str(folder), len(voice.heard()) if learnt is not None else 0))
    learner = Learner(voice, recognizer.use_model, lambda why: screen.notice(messages.learning_off(why)))
    learner.start()
    return learner


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _stop_on_hangup() -> None:
    """A closed terminal or a kill ends the session like Ctrl-C: progress saved, terminal restored."""
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            signal.signal(number, _interrupt)


def _run_session(
    options: CoachOptions,
    understanding: Understander,
    screen: Display,
    speech: SpeechOut,
    closing: tuple[Closable, ...],
    *,
    live: bool,
    interactive: bool,
    script: list[str] | None = None,
) -> int:
    # Imported here: the skill (with ask-sdk) only once the options and the set-up are known to be good.
    from local_runner.coaching.conversation import Conversation
    from skill.alexa.builder import get_skill

    try:
        skill = get_skill(Playback.LAPTOP)
    except ConfigurationError as error:
        screen.close()
        print(f"strong-back: {error}", file=sys.stderr)
        return 2

    log_handler = ScreenLogHandler(screen)
    skill_log = logging.getLogger("skill")
    skill_log.addHandler(log_handler)
    skill_log.propagate = False
    inbox = Inbox()
    readers: list[Reader] = []
    listener = None
    if options.listen:
        listener = start_listening(options, understanding, screen, speech, inbox, typing=interactive)
        if listener is not None:
            readers.append(listener)
            interactive = True  # spoken commands come at any moment and cut the reply short
    if script is not None:
        readers.append(PipeReader(script_stream(script), inbox))
    elif live and sys.stdin.isatty():
        assert isinstance(screen, LiveScreen)
        screen.echo_typing = True
        readers.append(LineEditor(sys.stdin.fileno(), inbox, screen.typing))
    elif listener is None or sys.stdin.isatty():
        readers.append(PipeReader(sys.stdin, inbox))
    # (Listening with standard input not a terminal: the microphone is the only input.)
    clock = VirtualClock(options.speed)
    conversation = Conversation(skill, locale=options.voice.locale, user_id=options.user, clock=clock)
    tick = LIVE_TICK_SECONDS * options.speed if live else None
    player = Player(speech, screen, tick_seconds=tick)
    session = CoachSession(conversation, understanding, player, screen, inbox, interactive=interactive)
    _stop_on_hangup()
    try:
        for reader in readers:
            reader.start()  # before the welcome, so that nothing typed at once is lost
        screen.info(messages.WELCOME + ("" if not options.text_only else " " + messages.WELCOME_TEXT_ONLY))
        return session.run()
    finally:
        for reader in readers:
            reader.close()
        screen.close()
        for part in closing:
            part.close()
        skill_log.removeHandler(log_handler)
