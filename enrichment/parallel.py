"""A process pool that runs scoring jobs on every core, knowing nothing of what it scores.

Each worker holds one scorer, made once by the factory the pool is given (``Scorer``); a job is a
module-level function ``fn(scorer, payload)`` and its payload, so the callers (the warehouse
runner's batches, the ``score`` command's lines) keep their own logic. Workers are forked from a
single-threaded parent and inherit its loaded scorer; a parent that runs threads (Airflow, a web
server) starts them from a forkserver instead, where each builds its own scorer once. Payloads
travel in chunks, so what crosses processes is a few large messages, not one per post.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

_scorer: Any = None


def _start_worker(make_scorer: Callable[[], Any]) -> None:
    global _scorer
    if _scorer is None:
        _scorer = make_scorer()


def _run(job: tuple[Callable[[Any, Any], Any], Any]) -> Any:
    function, payload = job
    return function(_scorer, payload)


def _context(preload: list[str]):
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(preload)
        return context
    return multiprocessing.get_context("spawn")


class ScoringPool:
    def __init__(self, workers: int, scorer: Any) -> None:
        """``workers`` processes, each with a scorer like ``scorer`` (forked workers share it)."""
        global _scorer
        self.workers = workers
        factory = type(scorer)
        context = _context([factory.__module__])
        if context.get_start_method() == "fork":
            _scorer = scorer  # inherited by the forked workers: no second lexicon load
        self._executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                                             initargs=(factory,))

    def map(self, function: Callable[[Any, Any], Any], payloads: Iterable[Any]) -> Iterator[Any]:
        """``function(scorer, payload)`` of each payload, in input order, with at most a few
        payloads in flight (memory stays bounded on an endless input)."""
        pending: deque = deque()
        limit = 2 * self.workers + 1
        for payload in payloads:
            pending.append(self._executor.submit(_run, (function, payload)))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
