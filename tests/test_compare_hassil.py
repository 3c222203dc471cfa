"""The hassil side of scripts/compare_hassil.py: what its figures stand on.

Its matcher must understand the model's own samples (else the comparison measures a broken
set-up, not hassil), and the n-gram models it trains for hassil's fuzzy matcher must be real
probability distributions.
"""

from __future__ import annotations

import math

import pytest

from scripts.compare_hassil import BOS, EOS, NGRAM_ORDER, HassilMatcher, duration_phrases, train_kneser_ney


@pytest.fixture(scope="module")
def matcher(tmp_path_factory: pytest.TempPathFactory) -> HassilMatcher:
    return HassilMatcher("en-GB", fuzzy=False, workdir=tmp_path_factory.mktemp("ngrams"))


@pytest.mark.parametrize(
    ("text", "intent", "slots"),
    [
        ("Alexa, ask Strong Back to start a twenty minute upper back programme",
         "StartWorkoutIntent", {"area": "upper_back", "duration": "PT20M"}),
        ("how do I do a side plank", "DescribeExerciseIntent", {"exercise": "side_plank"}),
        ("give me a gentle workout for my lower back", "StartWorkoutIntent",
         {"level": "beginner", "area": "lower_back"}),
        ("skip this one", "SkipExerciseIntent", {}),
        ("open strong back", "LaunchRequest", {}),
        ("what's the weather in Paris", "AMAZON.FallbackIntent", {}),
    ],
)  # fmt: skip
def test_the_hassil_matcher_understands_what_the_model_says(
    matcher: HassilMatcher, text: str, intent: str, slots: dict[str, str]
) -> None:
    assert matcher.understand(text).to_contract() == {"intent": intent, "slots": slots}


def test_durations_resolve_as_amazon_duration() -> None:
    phrases = duration_phrases()
    assert phrases["twenty five minutes"] == phrases["25 min"] == "PT25M"
    assert phrases["half an hour"] == "PT30M" and phrases["an hour and a half"] == "PT1H30M"


Model = dict[tuple[str, ...], tuple[float, float | None]]


def _probability(model: Model, context: tuple[str, ...], word: str) -> float:
    """P(word | context) read from the backoff form, as an ARPA reader would."""
    gram = (*context, word)
    if gram in model:
        return 10 ** model[gram][0]
    backoff = model.get(context, (0.0, None))[1] if context else None
    return (10**backoff if backoff is not None else 1.0) * _probability(model, context[1:], word)


def test_kneser_ney_models_are_probability_distributions() -> None:
    sentences = [s.split() for s in ("skip this one", "skip it", "skip this exercise", "next one", "the next set")]
    model = train_kneser_ney(sentences)
    vocabulary = {w for gram in model for w in gram} - {BOS}
    contexts = {gram[:-1] for gram in model if 1 < len(gram) <= NGRAM_ORDER} | {()}
    for context in contexts:
        total = sum(_probability(model, context, word) for word in vocabulary)
        assert math.isclose(total, 1.0, rel_tol=1e-9), (context, total)
    assert _probability(model, (BOS, "skip"), "this") > _probability(model, (BOS, "next"), "this")
    assert EOS in vocabulary
