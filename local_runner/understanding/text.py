"""Words as the offline parser compares them: tokens with their place in the original text.

Samples, slot values and what the person typed all go through ``normalize``, so that
contractions, filler words and articles never decide a match. This is general English,
not phrasing: the phrases themselves live only in the interaction models.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Collection

_WORD = re.compile(r"\d+(?:\.\d+)?|[a-z0-9]+(?:'[a-z]+)*")
_SLOT = re.compile(r"\{([A-Za-z_]+)\}")

# Contractions written without their apostrophe, and spoken short forms.
_WHOLE = {
    "cannot": ("can", "not"), "cant": ("can", "not"), "wont": ("will", "not"), "dont": ("do", "not"),
    "doesnt": ("does", "not"), "didnt": ("did", "not"), "isnt": ("is", "not"), "arent": ("are", "not"),
    "lets": ("let", "us"), "im": ("i", "am"), "ive": ("i", "have"), "youre": ("you", "are"),
    "whats": ("what", "is"), "thats": ("that", "is"), "hows": ("how", "is"), "wheres": ("where", "is"),
    "whos": ("who", "is"), "theres": ("there", "is"), "wanna": ("want", "to"), "gonna": ("going", "to"),
    "gotta": ("got", "to"), "gimme": ("give", "me"), "lemme": ("let", "me"), "ok": ("okay",),
    "won't": ("will", "not"), "can't": ("can", "not"), "shan't": ("shall", "not"), "let's": ("let", "us"),
    "strongback": ("strong", "back"), "alright": ("all", "right"), "sec": ("second",), "secs": ("seconds",),
    "min": ("minute",), "mins": ("minutes",), "hr": ("hour",), "hrs": ("hours",), "thx": ("thanks",),
    "nevermind": ("never", "mind"), "dunno": ("do", "not", "know"), "kinda": ("kind", "of"),
    "sorta": ("sort", "of"), "outta": ("out", "of"), "hafta": ("have", "to"), "cuz": ("because",),
    "coz": ("because",), "u": ("you",), "ur": ("your",), "okey": ("okay",), "k": ("okay",), "mhm": ("uhhuh",),
    "mmhmm": ("uhhuh",), "thanx": ("thanks",),
}  # fmt: skip
# Spoken interjections written as two words: one word each, so that "uh" is not taken for a filler.
_INTERJECTIONS = {("uh", "huh"): "uhhuh", ("mm", "hmm"): "uhhuh", ("uh", "uh"): "uhuh", ("nuh", "uh"): "uhuh"}
_SUFFIXES = (("n't", "not"), ("'m", "am"), ("'re", "are"), ("'ll", "will"), ("'ve", "have"), ("'d", "would"))
_IS_BEFORE = frozenset({"what", "that", "it", "how", "where", "who", "there", "here", "he", "she", "when"})

# Words that carry no meaning for a command: dropped from samples and from what was typed. ("Ow" and
# "ouch" are not among them: they report pain.)
FILLERS = frozenset(
    {"please", "pls", "plz", "um", "umm", "uh", "uhh", "er", "erm", "hmm", "hm", "ah", "oh", "hey", "well",
     "so", "just", "actually", "kindly", "alexa", "maybe", "really", "quickly", "quick", "now", "today", "yo",
     "ugh", "ooh", "oof", "phew", "whew", "wow", "argh", "meh", "basically", "honestly", "exactly",
     "already", "pretty", "quite", "fairly", "totally", "literally", "seriously", "anyway", "anyways", "though",
     "tho", "perhaps", "probably", "simply"}
)  # fmt: skip
FILLER_PHRASES: tuple[tuple[str, ...], ...] = (
    ("i", "would", "like", "to"), ("i", "want", "to"), ("i", "need", "to"), ("can", "you"), ("could", "you"),
    ("would", "you"), ("will", "you"), ("let", "us"), ("go", "ahead", "and"), ("i", "would", "like"),
    ("i", "would", "love", "to"), ("i", "would", "love"), ("kind", "of"), ("sort", "of"),
)  # fmt: skip
# Courtesy around a request, dropped wherever it is ("no thank you", "next, thanks"); alone it asks nothing.
COURTESY: tuple[tuple[str, ...], ...] = (
    ("thank", "you"), ("thanks",), ("if", "you", "can"), ("if", "you", "could"), ("if", "possible"),
)  # fmt: skip
# Acknowledgements that only lead into a request ("okay, next one"); alone they mean yes.
LEADING = (("okay",), ("all", "right"), ("right",), ("yeah", "okay"))
ARTICLES = frozenset({"a", "an", "the"})
# A request with one of these asks for the opposite of the same request without it ("don't skip").
NEGATIONS = frozenset({"not", "never"})
# Words a finished request doesn't end on ("I want to", "what about the"): the rest is missing.
DANGLING = frozenset(
    {"a", "an", "the", "my", "your", "our", "their", "to", "of", "with", "about", "from", "into", "and", "or",
     "but", "if", "because", "than"}
)  # fmt: skip
# Grammatical words: alone they never say what a request is about, so they weigh little in a
# match whether or not the model uses them (general English, not phrasing).
FUNCTION_WORDS = frozenset(
    {"i", "me", "my", "mine", "myself", "you", "your", "yours", "we", "us", "our", "it", "its", "this",
     "that", "these", "those", "he", "she", "him", "her", "his", "they", "them", "their", "is", "am", "are",
     "was", "were", "be", "been", "being", "do", "does", "did", "have", "has", "had", "will", "would", "can",
     "could", "should", "shall", "may", "might", "must", "to", "of", "in", "on", "at", "for", "with", "from",
     "by", "about", "into", "onto", "and", "or", "but", "if", "then", "so", "as", "than", "some", "any",
     "there", "here", "a", "an", "the", "very", "also"}
)  # fmt: skip


@dataclass(frozen=True)
class Token:
    """One normalised word and the span of the original text it came from."""

    word: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """Lowercase words with contractions spelt out; digits kept (``15``, ``1.5``)."""
    lowered = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    tokens: list[Token] = []
    for match in _WORD.finditer(lowered):
        for word in _expand(match.group()):
            pair = (tokens[-1].word, word) if tokens else None
            if pair in _INTERJECTIONS:
                tokens[-1] = Token(_INTERJECTIONS[pair], tokens[-1].start, match.end())
            else:
                tokens.append(Token(word, match.start(), match.end()))
    return tokens


def _expand(word: str) -> tuple[str, ...]:
    if word in _WHOLE:
        return _WHOLE[word]
    for suffix, full in _SUFFIXES:
        if word.endswith(suffix) and len(word) > len(suffix):
            return (word[: -len(suffix)], full)
    if word.endswith("'s"):
        base = word[:-2]
        return (base, "is") if base in _IS_BEFORE else (base,)
    return (word.replace("'", ""),)


def drop_fillers(tokens: list[Token], keep: Collection[int] = ()) -> list[Token]:
    """Without filler words and phrases ("please", "um", "can you", "I want to") and courtesy;
    the tokens at ``keep`` stay (a filler that is part of a slot value: "really hard")."""
    kept: list[Token] = []
    i = 0
    while i < len(tokens):
        skip = _phrase_at(tokens, i)
        if skip and not any(j in keep for j in range(i, i + skip)):
            i += skip
            continue
        if tokens[i].word not in FILLERS or i in keep:
            kept.append(tokens[i])
        i += 1
    for lead in LEADING:
        if tuple(t.word for t in kept[: len(lead)]) == lead and len(kept) > len(lead):
            return kept[len(lead) :]
    return kept


def dropped(tokens: list[Token], kept: list[Token]) -> tuple[str, ...]:
    """The words of ``tokens`` that ``kept`` (``drop_fillers`` of them) left out, in order."""
    still = {id(token) for token in kept}
    return tuple(token.word for token in tokens if id(token) not in still)


def filler_words(sample: str) -> tuple[str, ...]:
    """The filler words of a sample utterance, in order ("honestly" of "honestly {rating}")."""
    tokens = tokenize(_SLOT.sub(" value ", sample))
    return dropped(tokens, drop_fillers(tokens))


def _phrase_at(tokens: list[Token], i: int) -> int:
    """The length of a courtesy phrase at ``i``, or of a filler phrase that something follows; else 0."""
    said = tuple(t.word for t in tokens[i : i + 4])
    for phrase in COURTESY:
        if said[: len(phrase)] == phrase:
            return len(phrase)
    for phrase in FILLER_PHRASES:
        if said[: len(phrase)] == phrase and i + len(phrase) < len(tokens):
            return len(phrase)
    return 0


def words(text: str, fillers: bool = False) -> tuple[str, ...]:
    """A sample or slot value as compared: no fillers (unless ``fillers``), no articles (slot braces
    kept as ``{name}``)."""
    slots = _SLOT.findall(text)
    marked = _SLOT.sub(lambda m: f" qqslot{slots.index(m.group(1))}qq ", text)
    out = []
    tokens = tokenize(marked)
    for token in tokens if fillers else drop_fillers(tokens):
        if token.word.startswith("qqslot"):
            out.append("{" + slots[int(token.word[6:-2])] + "}")
        elif token.word not in ARTICLES:
            out.append(token.word)
    return tuple(out)
