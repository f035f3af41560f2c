"""Score posts: sentiment, intent and language together, tagged with the scorer's version.

``Scorer.score`` scores one post; ``Scorer.score_many`` is the batch path (a process pool over
the machine's cores for large batches); ``Scorer.explain`` says which lexicon entries and rules
moved a post's score and which rule chose its intent.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from enrichment import intent, language
from enrichment.sentiment import SentimentModel

log = logging.getLogger(__name__)

CHUNK = 2_000  # texts per pool job: a few large messages cross processes, not one per post

# Bump whenever the lexicons, the rules or the band change: posts are re-scored per version.
SCORER_VERSION = "vader-care-1.0"
# Batches at least this large are scored by a process pool when the machine has several cores.
PARALLEL_FROM = 20_000


@dataclass(frozen=True)
class Score:
    sentiment_score: float
    sentiment_label: str
    intent: str
    scorer_version: str = SCORER_VERSION
    language: str | None = None

    def as_dict(self) -> dict:
        return {"sentiment_score": self.sentiment_score, "sentiment_label": self.sentiment_label,
                "intent": self.intent, "scorer_version": self.scorer_version, "language": self.language}


class Scorer:
    """Sentiment + intent + language of posts. Build one per process (loading takes ~0.2 s).

    Results are cached per text (``cache_size`` entries, 0 turns the cache off): retweets,
    copied complaints and canned replies are common in social data. Use as a context manager
    (or call :meth:`close`) when ``score_many`` may have started a process pool.
    """

    version = SCORER_VERSION

    def __init__(self, *, cache_size: int = 50_000) -> None:
        self._sentiment = SentimentModel()
        self._cache: dict[str, Score] = {}
        self._cache_size = cache_size
        self._pool = None

    def score(self, text: str) -> Score:
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        analysis = self._sentiment.analyse(text)
        score = Score(analysis.score, analysis.label, intent.classify(analysis), SCORER_VERSION,
                      language.detect(analysis.words, text))
        if self._cache_size:
            if len(self._cache) >= self._cache_size:
                self._cache.clear()
            self._cache[text] = score
        return score

    def score_many(self, texts: Iterable[str], *, workers: int | None = None) -> list[Score]:
        """Score a batch; batches of ``PARALLEL_FROM`` or more use a pool of ``workers`` processes
        (default: all cores). Order is kept."""
        texts = texts if isinstance(texts, Sequence) else list(texts)
        workers = workers if workers is not None else (os.cpu_count() or 1)
        if workers > 1 and len(texts) >= PARALLEL_FROM:
            try:
                chunks = (list(texts[i:i + CHUNK]) for i in range(0, len(texts), CHUNK))
                # a worker sends its figures; the version is this scorer's (a worker process may
                # have been started from another import of the code)
                return [Score(score, label, intent, self.version, lang)
                        for chunk in self._pool_of(workers).map(_score_chunk, chunks)
                        for score, label, intent, lang in chunk]
            except (BrokenProcessPool, OSError) as exc:  # no processes to be had: score here instead
                log.warning("process pool unavailable (%s); scoring %d posts in this process", exc, len(texts))
                self.close()
        score = self.score
        return [score(text) for text in texts]

    def explain(self, text: str) -> dict:
        """Why a post got its scores: every lexicon hit and rule, the band, and the intent rule."""
        analysis = self._sentiment.analyse(text, trace=True)
        chosen, reason = intent.explain(analysis)
        return {
            "text": text,
            "sentiment_score": analysis.score,
            "sentiment_label": analysis.label,
            "neutral_band": [self._sentiment.negative_from, self._sentiment.positive_from],
            "hits": analysis.hits,
            "intent": chosen,
            "intent_rule": reason,
            "evidence": {
                "failures": analysis.failures, "demands": analysis.demands,
                "resolutions": analysis.resolutions, "gratitude": analysis.gratitude,
                "compliments": analysis.compliments, "questions": analysis.question_sentences,
                "addressed_to_brand": analysis.second_person,
            },
            "language": language.detect(analysis.words, text),
            "scorer_version": SCORER_VERSION,
        }

    def _pool_of(self, workers: int):
        from enrichment.parallel import ScoringPool

        if self._pool is None or self._pool.workers != workers:
            self.close()
            self._pool = ScoringPool(workers, scorer=self)
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def __enter__(self) -> Scorer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _score_chunk(scorer: Scorer, texts: list[str]) -> list[tuple]:
    """A pool job: one chunk of texts scored by a worker's scorer, as (score, label, intent, language)."""
    return [(s.sentiment_score, s.sentiment_label, s.intent, s.language) for s in map(scorer.score, texts)]
