"""Numbers and durations as people say or type them, resolved the way AMAZON.DURATION is.

"a ten minute workout" -> PT10M, "15 min" -> PT15M, "half an hour" -> PT30M, "an hour and a
half" -> PT1H30M, "ninety minutes" -> PT90M (the unit said is kept, as Alexa does).
"""

from __future__ import annotations

from dataclasses import dataclass

_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}  # fmt: skip
NUMBERS: dict[str, int] = {word: value for value, word in enumerate(_ONES)} | _TENS
UNITS: dict[str, int] = {
    "second": 1, "seconds": 1, "sec": 1, "secs": 1,
    "minute": 60, "minutes": 60, "min": 60, "mins": 60,
    "hour": 3600, "hours": 3600, "hr": 3600, "hrs": 3600,
}  # fmt: skip
_AFTER_DIGITS = {"m": 60, "h": 3600, "s": 1}
WORDS = frozenset({*NUMBERS, *UNITS, "hundred", "half", "quarter", "quarters", "and", "of", "a", "an", "couple"})


@dataclass(frozen=True)
class Duration:
    """A duration found in a word list: words ``start`` to ``end`` (exclusive), as ISO-8601."""

    start: int
    end: int
    iso: str


def number_at(words: list[str], i: int) -> tuple[float, int] | None:
    """A number starting at word ``i`` ("twenty five", "25", "one hundred") and the index after it."""
    if i >= len(words):
        return None
    word = words[i]
    if word[0].isdigit():
        try:
            return float(word), i + 1
        except ValueError:
            return None
    if word in _TENS:
        if i + 1 < len(words) and words[i + 1] in NUMBERS and 0 < NUMBERS[words[i + 1]] < 10:
            return _TENS[word] + NUMBERS[words[i + 1]], i + 2
        return _TENS[word], i + 1
    if word in NUMBERS:
        value = NUMBERS[word]
        if i + 1 < len(words) and words[i + 1] == "hundred":
            rest = number_at(words, i + 3) if i + 2 < len(words) and words[i + 2] == "and" else None
            return value * 100 + (rest[0] if rest else 0), rest[1] if rest else i + 2
        return value, i + 1
    if word == "couple" and i + 1 < len(words) and words[i + 1] == "of":
        return 2, i + 2
    return None


def _quantity(words: list[str], i: int) -> tuple[float, int] | None:
    """A number, or "a"/"an" standing for one, optionally followed by "and a half"."""
    found = number_at(words, i)
    if found is None and i < len(words) and words[i] in ("a", "an"):
        found = (1, i + 1)
    if found is None:
        return None
    value, j = found
    if words[j : j + 3] in (["and", "a", "half"], ["and", "one", "half"]):
        return value + 0.5, j + 3
    return value, j


def _unit(words: list[str], j: int, after_digits: bool) -> int | None:
    if j >= len(words):
        return None
    if words[j] in UNITS:
        return UNITS[words[j]]
    return _AFTER_DIGITS.get(words[j]) if after_digits else None


def _fraction_of_hour(words: list[str], i: int) -> tuple[float, int] | None:
    """ "half an hour", "a half hour", "a quarter of an hour", "three quarters of an hour"."""
    j = i + 1 if words[i : i + 1] in (["a"], ["one"]) else i
    share = {"half": 0.5, "quarter": 0.25}.get(words[j] if j < len(words) else "")
    if share is None and words[i : i + 2] == ["three", "quarters"]:
        share, j = 0.75, i + 1
    if share is None:
        return None
    k = j + 1
    if k < len(words) and words[k] == "of":
        k += 1
    if k < len(words) and words[k] in ("a", "an"):
        k += 1
    if k < len(words) and words[k] == "hour":
        return share * 3600, k + 1
    return None


def _piece(words: list[str], i: int) -> tuple[float, int, int] | None:
    """One "quantity unit" piece: (seconds, unit seconds, index after)."""
    fraction = _fraction_of_hour(words, i)
    if fraction is not None:
        return fraction[0], 60, fraction[1]
    quantity = _quantity(words, i)
    if quantity is None:
        return None
    value, j = quantity
    unit = _unit(words, j, words[i][0].isdigit())
    if unit is None:
        return None
    j += 1
    if words[j : j + 3] in (["and", "a", "half"], ["and", "one", "half"]) and value == int(value):
        value, j = value + 0.5, j + 3
    return value * unit, unit, j


def find_durations(words: list[str]) -> list[Duration]:
    """Every duration in the word list, left to right, not overlapping."""
    found: list[Duration] = []
    i = 0
    while i < len(words):
        piece = _piece(words, i)
        if piece is None or piece[0] <= 0:
            i += 1
            continue
        seconds, largest, j = piece
        while True:  # "an hour and fifteen minutes", "1 hour 30 min"
            k = j + 1 if j < len(words) and words[j] == "and" else j
            more = _piece(words, k) if k < len(words) else None
            if more is None or more[1] >= largest:
                break
            seconds, j = seconds + more[0], more[2]
        if j < len(words) and words[j] == "long":  # "an hour long workout"
            j += 1
        found.append(Duration(i, j, iso(seconds, largest)))
        i = j
    return found


def iso(seconds: float, largest_unit: int) -> str:
    """ISO-8601 duration, in the largest unit the person used (``PT90M`` for ninety minutes)."""
    total = round(seconds)
    hours, rest = divmod(total, 3600) if largest_unit >= 3600 else (0, total)
    minutes, secs = divmod(rest, 60) if largest_unit >= 60 else (0, rest)
    text = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{secs}S" if secs else "")
    return text if text != "PT" else "PT0S"
