"""The offline sentiment model: clear cases, negation and intensity, languages, and its
quality on the held-out corpus shipped with it."""

from __future__ import annotations

from collections import Counter
from importlib.resources import files

import pytest

from croupier.models import is_distressed, score


@pytest.mark.parametrize("text, language", [
    ("I can't stop gambling and I've lost my whole salary, please help me.", "en"),
    ("Please close my account, I keep chasing my losses.", "en"),
    ("Jag kan inte sluta spela och har förlorat allt.", "sv"),
    ("Ich bin verzweifelt, ich habe alles verloren.", "de"),
    ("No puedo dejar de jugar, estoy desesperado.", "es"),
])
def test_clear_distress_is_flagged(text: str, language: str):
    result = score(text, language)
    assert result.label == "distressed" and result.distress >= 0.5 and result.cues


@pytest.mark.parametrize("text, label", [
    ("How long does a withdrawal to my bank take?", "neutral"),
    ("My withdrawal has been pending for days, where is my money? Unacceptable.", "annoyed"),
    ("Thanks for the quick payout, great service!", "positive"),
])
def test_other_moods_are_not_distress(text: str, label: str):
    assert score(text, "en").label == label
    assert not is_distressed(text, "en")


def test_negation_and_intensity():
    assert score("I am desperate", "en").distress > score("I am not desperate", "en").distress
    assert score("I am not desperate", "en").label != "distressed"
    assert score("I am really desperate", "en").distress > score("I am desperate", "en").distress
    # a negation does not reach across a sentence
    assert score("I could not log in. I'm desperate.", "en").label == "distressed"


def test_unknown_language_uses_every_lexicon():
    assert score("Jag är förtvivlad och kan inte sluta.", None).label == "distressed"


def test_held_out_corpus_quality():
    rows = [line.split("\t") for line in files("croupier.models").joinpath("sentiment_corpus.tsv")
            .read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    assert len(rows) >= 60 and {r[1] for r in rows} >= {"en", "sv", "de", "nl", "da", "es", "fr"}
    flagged = Counter((mood, score(text, lang).label == "distressed") for mood, lang, text in rows)
    tp = flagged[("distressed", True)]
    fp = sum(n for (mood, hit), n in flagged.items() if hit and mood != "distressed")
    fn = flagged[("distressed", False)]
    assert tp / (tp + fp) >= 0.95          # measured: 1.00 (23 / 23)
    assert tp / (tp + fn) >= 0.85          # measured: 0.88 (23 / 26)
