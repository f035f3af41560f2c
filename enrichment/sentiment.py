"""Sentiment of a social post: NLTK's VADER, adapted to customer-care language.

Returns VADER's compound score in [-1, 1] and a label from a neutral band around zero.
"""

from __future__ import annotations

from dataclasses import dataclass

from enrichment.lexicon import ensure_nltk_data

# Customer-care words VADER does not know, in VADER's own valence units (-4..4).
DOMAIN_LEXICON: dict[str, float] = {
    "delayed": -1.6,
    "delay": -1.3,
    "cancelled": -1.5,
    "canceled": -1.5,
    "refund": -0.8,
    "waiting": -0.9,
    "crashing": -1.8,
    "crashes": -1.7,
    "broken": -1.9,
    "damaged": -1.9,
    "lost": -1.4,
    "missing": -1.3,
    "overcharged": -2.0,
    "ridiculous": -2.0,
    "escalate": -1.0,
}
NEUTRAL_BAND = 0.05


@dataclass(frozen=True)
class Sentiment:
    score: float
    label: str


class SentimentModel:
    """VADER with the domain lexicon merged in; one instance per process (loading costs ~0.1 s)."""

    def __init__(self, neutral_band: float = NEUTRAL_BAND) -> None:
        ensure_nltk_data()
        from nltk.sentiment.vader import SentimentIntensityAnalyzer

        self._vader = SentimentIntensityAnalyzer()
        self._vader.lexicon.update(DOMAIN_LEXICON)
        self.neutral_band = neutral_band

    def score(self, text: str) -> Sentiment:
        compound = float(self._vader.polarity_scores(text or "")["compound"])
        compound = max(-1.0, min(1.0, compound))
        if compound >= self.neutral_band:
            label = "positive"
        elif compound <= -self.neutral_band:
            label = "negative"
        else:
            label = "neutral"
        return Sentiment(round(compound, 4), label)
