"""Reading what the person types, on a thread of its own, into the coach's ``Inbox``.

``PipeReader`` reads whole lines (a pipe, a file, or a terminal when the output is not one).
``LineEditor`` is for a terminal on both sides: it reads keys in cbreak mode and lets the screen
draw the line being typed under the countdown, so the person sees what they type while a hold
counts. The first key of a line stops the coach at once (as "Alexa" said over a reply does);
Enter sends the line, Backspace, Ctrl-U and Ctrl-W edit it, Ctrl-D on an empty line and Ctrl-C
end the session (Ctrl-C is read as a key, not sent as a signal, so a ``make`` that started the
coach is not interrupted with it). The terminal's settings are always put back.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import select
import threading
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from local_runner.coaching.clock import Inbox


class PipeReader:
    """Lines from a stream into the inbox; the end of the stream as ``None``."""

    def __init__(self, stream: IO[str], inbox: Inbox) -> None:
        self.stream = stream
        self.inbox = inbox
        self._thread = threading.Thread(target=self._run, name="stdin-reader", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        try:
            for line in self.stream:
                self.inbox.put(line.rstrip("\r\n"))
        except (OSError, ValueError, UnicodeDecodeError):
            pass
        self.inbox.put(None)

    def close(self) -> None:
        return None


class LineEditor:
    """A one-line editor on a terminal in cbreak mode; ``on_change`` redraws the typed text."""

    def __init__(self, fd: int, inbox: Inbox, on_change: Callable[[str], None]) -> None:
        self.fd = fd
        self.inbox = inbox
        self.on_change = on_change
        self.buffer = ""
        self._saved: list[Any] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="line-editor", daemon=True)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._escape = ""

    def start(self) -> None:
        import termios
        import tty

        self._saved = termios.tcgetattr(self.fd)
        tty.setcbreak(self.fd, termios.TCSANOW)  # keys one at a time, no echo; keys typed already are kept
        mode = termios.tcgetattr(self.fd)
        mode[3] &= ~termios.ISIG  # Ctrl-C arrives as a key (ends the session like Ctrl-D), not as SIGINT
        termios.tcsetattr(self.fd, termios.TCSADRAIN, mode)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._saved is not None:
            import termios

            with contextlib.suppress(OSError):
                termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)
            self._saved = None
        self._thread.join(timeout=0.5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self.fd], [], [], 0.1)
                if not ready:
                    continue
                data = os.read(self.fd, 256)
            except (OSError, ValueError):
                data = b""
            if not data:
                self.inbox.put(None)
                return
            for char in self._decoder.decode(data):
                if self.key(char):
                    return

    def key(self, char: str) -> bool:
        """Handle one key; True when the input has ended."""
        if self._escape or char == "\x1b":  # arrow keys and the like: ignored
            self._escape += char
            finished = len(self._escape) > 1 and (self._escape[-1].isalpha() or self._escape[-1] == "~")
            if finished or len(self._escape) > 8:
                self._escape = ""
            return False
        if char in "\r\n":
            line, self.buffer = self.buffer, ""
            self.on_change("")
            self.inbox.put(line)
            return False
        if char == "\x03" or (char == "\x04" and not self.buffer):  # Ctrl-C, or Ctrl-D on an empty line
            self.buffer = ""
            self.on_change("")
            self.inbox.put(None)
            return True
        if char == "\x04":
            return False
        if char in ("\x7f", "\b"):
            self.buffer = self.buffer[:-1]
        elif char == "\x15":  # Ctrl-U
            self.buffer = ""
        elif char == "\x17":  # Ctrl-W
            head, _, _ = self.buffer.rstrip().rpartition(" ")
            self.buffer = f"{head} " if head else ""
        elif char.isprintable():
            if not self.buffer:
                self.inbox.began_typing()
            self.buffer += char
        else:
            return False
        self.on_change(self.buffer)
        return False
