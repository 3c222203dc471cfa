"""The hand-written offline parser against hassil's matcher, on the same intents and slot lists.

    python scripts/compare_hassil.py [--rounds N] [--locale en-US] [--dev-misses]

Issue 14 asks whether hassil (the Home Assistant template matcher, whose syntax source.toml
uses) should replace ``local_runner.understanding``. Both sides get the same things:

- the intents and templates of ``interaction_models/source.toml`` (with the locale's rules),
  which expand to exactly the samples of the generated model (hassil does that expansion);
- the slot types of the generated model as hassil lists (``in``: value or synonym, ``out``: id),
  and AMAZON.DURATION as a list of spoken and typed durations whose ``out`` is ISO-8601;
- the same front end for the wake word and invocation ("alexa, ask strong back to ..."), and
  the same general English: filler words are hassil's skip words, grammatical words its fuzzy
  matcher's stop words;
- the same result, ``Understood``: intent and slot ids, AMAZON.FallbackIntent when nothing fits.

hassil is run as Home Assistant runs it: strict template matching (``recognize_best``) and,
when the installed hassil has it (3.1 to 3.8), its fuzzy n-gram matcher for what strict
matching misses. Its n-gram models (order 4, Kneser-Ney) are trained here on the model's
samples, as home-assistant/intents trains them on its sentences.

Accuracy: intent and every resolved slot id right, on the fresh DEV and TEST halves (TEST only
as figures, never its misses: it is held out). Time: per utterance, on the parse benchmark's
utterances, every matcher timed on the same utterance one after another, in the same run.
"""

from __future__ import annotations

import argparse
import math
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks"), str(ROOT / "scripts")]

from bench_parse import percentile, utterances  # noqa: E402
from evaluate_parser import load_cases  # noqa: E402
from hassil import Intents, recognize_best  # noqa: E402

from interaction_models import load_model  # noqa: E402
from interaction_models.generate import read_source  # noqa: E402
from local_runner.understanding.invocation import strip_invocation  # noqa: E402
from local_runner.understanding.numbers import NUMBERS, find_durations  # noqa: E402
from local_runner.understanding.parser import SlotMatch, Understander, Understood  # noqa: E402
from local_runner.understanding.text import COURTESY, FILLER_PHRASES, FILLERS, FUNCTION_WORDS, tokenize, words  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

FALLBACK = "AMAZON.FallbackIntent"
LAUNCH = "LaunchRequest"
DURATION = "AMAZON.DURATION"
HALVES = (("DEV", "utterances_fresh_dev.toml"), ("TEST", "utterances_fresh_test.toml"))
NGRAM_ORDER = 4
DISCOUNT = 0.75  # Kneser-Ney's usual absolute discount
SKIP = "<skip>"
BOS, EOS = "<s>", "</s>"
FUZZY_MIN_SCORE = -5.0  # mean log10 probability per word; chosen on DEV (-13 to -3 tried), hassil's default is -13


class Matcher(Protocol):
    def understand(self, text: str) -> Understood: ...


# ---- what both sides are given -------------------------------------------------------------
def _number_words(value: int) -> str:
    by_value = {v: w for w, v in NUMBERS.items() if w != "fourty"}
    if value in by_value:
        return by_value[value]
    if value >= 100:
        hundreds, rest = divmod(value, 100)
        return f"{by_value[hundreds]} hundred" + (f" and {_number_words(rest)}" if rest else "")
    tens, ones = divmod(value, 10)
    return f"{by_value[tens * 10]} {by_value[ones]}"


def duration_phrases() -> dict[str, str]:
    """Spoken and typed durations -> ISO-8601, as AMAZON.DURATION resolves them."""
    phrases = ["half an hour", "a half hour", "an hour", "a quarter of an hour", "quarter of an hour",
               "three quarters of an hour", "an hour and a half", "a minute", "a couple of minutes"]  # fmt: skip
    for value in range(1, 121):
        for number in (str(value), _number_words(value)):
            phrases += [f"{number} {unit}" for unit in ("minute", "minutes", "min", "mins")]
            if value <= 3:
                phrases += [f"{number} hour", f"{number} hours"]
    resolved = {}
    for phrase in phrases:
        found = find_durations(phrase.split())
        if len(found) == 1 and found[0].end == len(phrase.split()):
            resolved[phrase] = found[0].iso
    return resolved


@dataclass(frozen=True)
class Domain:
    """The intents (templates, rules), slot names and types, and lists for one locale."""

    templates: dict[str, list[str]]
    rules: dict[str, str]
    slot_types: dict[str, dict[str, str]]  # intent -> slot name -> slot type
    lists: dict[str, list[tuple[str, str]]]  # slot name -> (said, id)
    samples: dict[str, list[str]]  # intent -> the generated model's samples


def domain(locale: str) -> Domain:
    source = read_source()
    model = load_model(locale)
    rules = {**source.get("rules", {}), **source.get("locale", {}).get(locale, {}).get("rules", {})}
    values = {
        kind["name"]: [(word, value["id"]) for value in kind["values"]
                       for word in (value["name"]["value"], *value["name"]["synonyms"])]
        for kind in model["types"]
    }  # fmt: skip
    values[DURATION] = list(duration_phrases().items())
    templates, slot_types, lists, samples = {}, {}, {}, {}
    for intent in model["intents"]:
        if not intent["samples"]:
            continue
        name = intent["name"]
        templates[name] = list(source["intents"][name]["samples"])
        slot_types[name] = {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
        for slot, kind in slot_types[name].items():
            lists[slot] = values[kind]
        samples[name] = intent["samples"]
    return Domain(templates, rules, slot_types, lists, samples)


CONTRACTED = (("i would", "i'd"), ("let us", "let's"), ("want to", "wanna"), ("i am", "i'm"))


def skip_words() -> list[str]:
    """General English filler, as the hand-written parser drops it (also as typed: "i'd like to")."""
    phrases = {" ".join(phrase) for phrase in (*FILLER_PHRASES, *COURTESY)}
    for full, short in CONTRACTED:
        phrases |= {phrase.replace(full, short) for phrase in phrases}
    return sorted({*FILLERS, *phrases}, key=lambda w: (-len(w), w))


def _rest(text: str, invocation: tuple[str, ...]) -> tuple[bool, str]:
    """The shared front end: (whether this only opens the skill, the request's own text)."""
    lowered = text.lower()
    launch, tokens = strip_invocation(tokenize(lowered), invocation)
    return launch, (lowered[tokens[0].start : tokens[-1].end] if tokens else "")


# ---- hassil ---------------------------------------------------------------------------------
class HassilMatcher:
    """hassil's strict matching, then (when available and asked for) its fuzzy n-gram matching."""

    def __init__(self, locale: str, fuzzy: bool, workdir: Path) -> None:
        self.domain = domain(locale)
        self.invocation = words(str(load_model(locale)["invocationName"]))
        self.intents = Intents.from_dict({
            "language": "en",
            "intents": {name: {"data": [{"sentences": t}]} for name, t in self.domain.templates.items()},
            "expansion_rules": self.domain.rules,
            "lists": {slot: {"values": [{"in": said, "out": value} for said, value in pairs]}
                      for slot, pairs in self.domain.lists.items()},
            "skip_words": skip_words(),
        })  # fmt: skip
        self.fuzzy = _fuzzy_matcher(self.intents, self.domain, workdir) if fuzzy else None
        self.min_score = FUZZY_MIN_SCORE

    def understand(self, text: str) -> Understood:
        launch, rest = _rest(text, self.invocation)
        if launch:
            return Understood(LAUNCH)
        if not rest:
            return Understood(FALLBACK)
        result = recognize_best(rest, self.intents, language="en")
        if result is not None:
            name = result.intent.name
            found = {slot: (entity.value, entity.text) for slot, entity in result.entities.items()}
        elif self.fuzzy is not None and (fuzzy := self.fuzzy.match(rest, min_score=self.min_score)) is not None:
            name = fuzzy.intent_name
            found = {slot: (value.value, value.text) for slot, value in fuzzy.slots.items()}
        else:
            return Understood(FALLBACK)
        types = self.domain.slot_types[name]
        slots = {
            slot: SlotMatch(slot, types[slot], str(heard).strip(), str(value))
            for slot, (value, heard) in found.items()
            if slot in types
        }
        return Understood(name, slots)


def fuzzy_available() -> bool:
    try:
        import hassil.fuzzy  # noqa: F401
    except ImportError:
        return False
    return True


def _fuzzy_matcher(intents: Intents, known: Domain, workdir: Path) -> Any:
    from hassil.fuzzy import FuzzyNgramMatcher, SlotCombinationInfo
    from hassil.ngram import Sqlite3NgramModel

    models = {}
    combos: dict[str, dict[tuple[str, ...], Any]] = {}
    for intent, samples in known.samples.items():
        sentences = [sample.lower().split() for sample in samples]
        path = workdir / f"{intent}.db"
        vocabulary = write_ngram_db(train_kneser_ney(sentences), path)
        models[f"strongback_{intent}"] = Sqlite3NgramModel(order=NGRAM_ORDER, words=vocabulary, database_path=path)
        used = {tuple(sorted(w[1:-1] for w in s if w.startswith("{"))) for s in sentences}
        combos[intent] = {combo: SlotCombinationInfo(context_area=False) for combo in used}
    return FuzzyNgramMatcher(
        intents=intents,
        intent_models=models,
        intent_slot_list_names={slot: {slot} for slot in known.lists},
        slot_combinations=combos,
        domain_keywords={},
        stop_words=FUNCTION_WORDS,
    )


def train_kneser_ney(sentences: Iterable[list[str]]) -> dict[tuple[str, ...], tuple[float, float | None]]:
    """An interpolated Kneser-Ney n-gram model in backoff form: n-gram -> (log10 p, log10 backoff).

    Each sentence is trained as said and with ``<skip>`` around it (where hassil's fuzzy matcher
    puts skip words such as "please")."""
    raw: list[Counter[tuple[str, ...]]] = [Counter() for _ in range(NGRAM_ORDER + 1)]
    for sentence in sentences:
        for padded in ([BOS, *sentence, EOS], [BOS, SKIP, *sentence, SKIP, EOS]):
            for n in range(1, NGRAM_ORDER + 1):
                for i in range(len(padded) - n + 1):
                    raw[n][tuple(padded[i : i + n])] += 1
    counts: list[Mapping[tuple[str, ...], float]] = [{} for _ in range(NGRAM_ORDER + 1)]
    counts[NGRAM_ORDER] = raw[NGRAM_ORDER]
    for n in range(1, NGRAM_ORDER):  # lower orders count the contexts a word follows, not its uses
        left: defaultdict[tuple[str, ...], int] = defaultdict(int)
        for gram in raw[n + 1]:
            left[gram[1:]] += 1
        counts[n] = {gram: (c if gram[0] == BOS else left.get(gram, c)) for gram, c in raw[n].items() if gram != (BOS,)}
    vocabulary = [gram[0] for gram in raw[1] if gram[0] != BOS]
    probs: list[dict[tuple[str, ...], float]] = [{} for _ in range(NGRAM_ORDER + 1)]
    gammas: dict[tuple[str, ...], float] = {}
    for n in range(1, NGRAM_ORDER + 1):
        totals: defaultdict[tuple[str, ...], float] = defaultdict(float)
        types: Counter[tuple[str, ...]] = Counter()
        for gram, c in counts[n].items():
            totals[gram[:-1]] += c
            types[gram[:-1]] += 1
        for context, total in totals.items():
            gammas[context] = DISCOUNT * types[context] / total
        for gram, c in counts[n].items():
            context = gram[:-1]
            lower = probs[n - 1][gram[1:]] if n > 1 else 1 / len(vocabulary)
            probs[n][gram] = max(c - DISCOUNT, 0) / totals[context] + gammas[context] * lower
    model: dict[tuple[str, ...], tuple[float, float | None]] = {}
    for n in range(1, NGRAM_ORDER + 1):
        for gram, p in probs[n].items():
            backoff = gammas.get(gram) if n < NGRAM_ORDER else None
            model[gram] = (math.log10(p), math.log10(backoff) if backoff else None)
    model[(BOS,)] = (-99.0, math.log10(gammas[(BOS,)]))  # never predicted, only a context (as in ARPA files)
    return model


def write_ngram_db(model: Mapping[tuple[str, ...], tuple[float, float | None]], path: Path) -> dict[str, str]:
    """The model as hassil's Sqlite3NgramModel reads it; returns word -> word id."""
    ids = {word: str(i) for i, word in enumerate(sorted({w for gram in model for w in gram}))}
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE ngrams (word_ids TEXT PRIMARY KEY, log_prob REAL, backoff REAL)")
        db.executemany(
            "INSERT INTO ngrams VALUES (?, ?, ?)",
            ((" ".join(ids[w] for w in gram), p, b) for gram, (p, b) in model.items()),
        )
    return ids


# ---- the comparison -------------------------------------------------------------------------
def accuracy(matcher: Matcher, cases: list[dict[str, Any]]) -> tuple[int, list[str]]:
    misses = []
    for case in cases:
        want = {"intent": case["intent"], "slots": case.get("slots", {})}
        got = matcher.understand(case["text"]).to_contract()
        if got != want:
            misses.append(f"{case['text']!r}: want {want}, got {got}")
    return len(cases) - len(misses), misses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="times through the benchmark's utterances")
    parser.add_argument("--locale", default="en-US")
    parser.add_argument("--dev-misses", action="store_true", help="print each matcher's misses on DEV (never TEST)")
    args = parser.parse_args()

    version = metadata.version("hassil")
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        matchers: dict[str, Matcher] = {"hand-written": Understander(args.locale)}
        loads = {"hand-written": time.perf_counter() - started}
        variants = [("hassil strict", False)] + ([("hassil strict+fuzzy", True)] if fuzzy_available() else [])
        for label, fuzzy in variants:
            started = time.perf_counter()
            matchers[label] = HassilMatcher(args.locale, fuzzy, Path(scratch))
            loads[label] = time.perf_counter() - started
        texts = utterances(args.locale)
        for matcher in matchers.values():  # warm up, as in a session
            for text in texts:
                matcher.understand(text)
        timings: dict[str, list[float]] = {label: [] for label in matchers}
        clock = time.perf_counter
        for _ in range(args.rounds):
            for text in texts:
                for label, matcher in matchers.items():
                    t0 = clock()
                    matcher.understand(text).to_contract()
                    timings[label].append((clock() - t0) * 1000)
        scores = {}
        for half, file in HALVES:
            cases = load_cases([ROOT / "tests" / "data" / file])
            scores[half] = {label: (*accuracy(m, cases), len(cases)) for label, m in matchers.items()}

    print(f"hand-written parser vs hassil {version} ({args.locale}); {time.strftime('%Y-%m-%d')}")
    print(f"time per utterance: {len(texts)} utterances x {args.rounds} rounds, matchers interleaved")
    print(f"{'':<22}{'DEV':>16}{'TEST':>16}{'median ms':>11}{'p99 ms':>9}{'max ms':>9}{'load ms':>9}")
    for label in matchers:
        row = f"{label:<22}"
        for half, _ in HALVES:
            right, _, total = scores[half][label]
            row += f"{f'{right}/{total} {right / total:.1%}':>16}"
        ms = timings[label]
        row += f"{statistics.median(ms):>11.3f}{percentile(ms, 0.99):>9.3f}{max(ms):>9.1f}{loads[label] * 1000:>9.0f}"
        print(row)
    if args.dev_misses:
        for label in matchers:
            misses = scores["DEV"][label][1]
            print(f"\n{label}: {len(misses)} DEV misses")
            for miss in misses:
                print(f"  {miss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
