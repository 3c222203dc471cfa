"""``strong-back parse``: show how an utterance is understood, as the contract's JSON.

strong-back parse start a ten minute upper back workout
{"intent": "StartWorkoutIntent", "slots": {"duration": "PT10M", "area": "upper_back"}}
strong-back parse -     # one utterance a line from standard input, one JSON object a line
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from interaction_models import ModelError

if TYPE_CHECKING:
    import argparse

    from local_runner.understanding.parser import Understander


def _fail(message: str) -> int:
    print(f"strong-back parse: {message}", file=sys.stderr)
    return 2


def _line(understander: Understander, text: str) -> str:
    return json.dumps(understander.understand(text).to_contract())


def run(args: argparse.Namespace) -> int:
    """Print the understood request for ``args.text`` (a list of words; ``["-"]`` reads stdin)."""
    from local_runner.understanding.parser import understander

    words = [str(word) for word in (getattr(args, "text", None) or [])]
    from_stdin = words == ["-"]
    text = " ".join(words).strip()
    if not from_stdin and not text:
        return _fail('nothing to parse; give the words, e.g. strong-back parse "start a workout", or - for stdin')
    try:
        parser = understander(getattr(args, "locale", None) or "en-US")
    except ModelError as error:
        return _fail(str(error))
    if not from_stdin:
        print(_line(parser, text), flush=True)
        return 0
    for line in sys.stdin:
        if line.strip():
            print(_line(parser, line.strip()), flush=True)
    return 0
