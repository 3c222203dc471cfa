"""Numbers as a person says them, so that the speech estimate counts real words."""

from __future__ import annotations

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORDINALS = {1: "first", 2: "second", 3: "third", 5: "fifth", 8: "eighth", 9: "ninth", 12: "twelfth"}


def spoken(n: int) -> str:
    """Say a whole number from 0 to 9999 in words: 45 -> "forty five"."""
    if n < 0 or n > 9999:
        raise ValueError(f"cannot say {n}")
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f" {_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_ONES[hundreds]} hundred" + (f" and {spoken(rest)}" if rest else "")
    thousands, rest = divmod(n, 1000)
    return f"{spoken(thousands)} thousand" + (f" {spoken(rest)}" if rest else "")


def ordinal(n: int) -> str:
    """Say an ordinal: 1 -> "first", 21 -> "twenty first"."""
    if n in _ORDINALS:
        return _ORDINALS[n]
    if n > 20 and n % 10:
        return f"{_TENS[n // 10]} {ordinal(n % 10)}"
    word = spoken(n)
    return (word[:-1] + "ieth") if word.endswith("y") else word + "th"


def seconds_phrase(seconds: float) -> str:
    """A duration as spoken: 45 -> "forty five seconds", 90 -> "a minute and a half"."""
    total = round(seconds)
    if total < 60:
        return f"{spoken(total)} second" + ("" if total == 1 else "s")
    minutes, secs = divmod(total, 60)
    if secs == 30 and minutes < 10:
        return "a minute and a half" if minutes == 1 else f"{spoken(minutes)} and a half minutes"
    head = "a minute" if minutes == 1 else f"{spoken(minutes)} minutes"
    if not secs:
        return head
    return f"{head} and {spoken(secs)} second" + ("" if secs == 1 else "s")


def minutes_phrase(seconds: float) -> str:
    """A rough duration in minutes: 610 -> "about ten minutes"; under a minute -> "under a minute"."""
    minutes = round(seconds / 60)
    if minutes < 1:
        return "under a minute"
    return "about a minute" if minutes == 1 else f"about {spoken(minutes)} minutes"
