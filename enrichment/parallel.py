"""A process pool that scores large batches on every core.

Workers are forked from a single-threaded parent and inherit its loaded ``Scorer``; a parent
that runs threads (Airflow, a web server) starts them from a forkserver instead, where each
builds its own ``Scorer`` once. Texts or raw JSON lines travel in chunks, so what crosses
processes is a few large messages, not one per post.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import Iterable, Iterator, Sequence

CHUNK = 2_000

_scorer = None


def _start_worker() -> None:
    global _scorer
    if _scorer is None:
        from enrichment.scorer import Scorer

        _scorer = Scorer()


def _score_texts(texts: list[str]) -> list[tuple]:
    score = _scorer.score
    return [(s.sentiment_score, s.sentiment_label, s.intent, s.language) for s in map(score, texts)]


def _score_lines(job: tuple[int, list[str]]) -> tuple[str, int]:
    from enrichment.stream import score_lines

    return score_lines(_scorer, job[1], job[0])


def _context():
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["enrichment.scorer", "enrichment.stream"])
        return context
    return multiprocessing.get_context("spawn")


class ScoringPool:
    def __init__(self, workers: int, scorer=None) -> None:
        global _scorer
        self.workers = workers
        context = _context()
        if context.get_start_method() == "fork" and scorer is not None:
            _scorer = scorer  # inherited by the forked workers: no second lexicon load
        self._executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker)

    def score_texts(self, texts: Sequence[str], chunk: int = CHUNK):
        from enrichment.scorer import SCORER_VERSION, Score

        chunks = [list(texts[i:i + chunk]) for i in range(0, len(texts), chunk)]
        scores = []
        for rows in self._executor.map(_score_texts, chunks):
            scores.extend(Score(s, label, intent, SCORER_VERSION, language) for s, label, intent, language in rows)
        return scores

    def score_line_batches(self, batches: Iterable[tuple[int, list[str]]]) -> Iterator[tuple[str, int]]:
        """Scored output of each (first line number, lines) batch, in input order, with at most
        a few batches in flight (memory stays bounded on an endless input)."""
        pending: deque = deque()
        limit = 2 * self.workers + 1
        for batch in batches:
            pending.append(self._executor.submit(_score_lines, batch))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
