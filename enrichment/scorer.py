"""Score posts: sentiment and intent together, tagged with the scorer's version."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable, Iterator

from enrichment import intent
from enrichment.sentiment import SentimentModel

SCORER_VERSION = "vader-care-0.1"


@dataclass(frozen=True)
class Score:
    sentiment_score: float
    sentiment_label: str
    intent: str
    scorer_version: str = SCORER_VERSION

    def as_dict(self) -> dict:
        return asdict(self)


class Scorer:
    version = SCORER_VERSION

    def __init__(self) -> None:
        self._sentiment = SentimentModel()

    def score(self, text: str) -> Score:
        text = text if isinstance(text, str) else ("" if text is None else str(text))
        sentiment = self._sentiment.score(text)
        return Score(sentiment.score, sentiment.label, intent.classify(text, sentiment.score))

    def score_many(self, texts: Iterable[str]) -> Iterator[Score]:
        for text in texts:
            yield self.score(text)
