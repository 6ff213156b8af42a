"""Sentence offsets and the English check."""

from __future__ import annotations

from bot.language import looks_english
from bot.sentences import split_sentences


def test_sentences_keep_offsets_and_skip_abbreviations() -> None:
    text = "Mr. Smith met U.S. officials at 9 a.m. Friday. They left.\n\nGen. Lee said no."
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "Mr. Smith met U.S. officials at 9 a.m. Friday.",
        "They left.",
        "Gen. Lee said no.",
    ]


def test_english_check() -> None:
    assert looks_english("The committee will vote on the bill next week, officials said.")
    assert not looks_english(
        "Der Ausschuss wird nächste Woche über den Gesetzentwurf abstimmen, sagten Beamte "
        "am Freitag in Berlin, nachdem die Verhandlungen wochenlang gedauert hatten."
    )
    assert looks_english("Short text.")
