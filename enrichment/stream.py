"""JSON lines in, JSON lines out: the ``social360 score`` command.

Lines are read in batches; a large input (more than one batch) is scored by a process pool
over all cores, output kept in input order. An interactive terminal is answered line by line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from itertools import islice
from typing import IO

from enrichment.scorer import Scorer

BATCH_LINES = 2_000
_dumps = json.JSONEncoder(ensure_ascii=False).encode


def score_line(scorer: Scorer, line: str, number: int) -> dict:
    """Score one input line; a line that is not a JSON object with a text gets an error record."""
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"line": number, "error": f"invalid JSON: {exc.msg} at column {exc.colno}"}
    if not isinstance(item, dict):
        return {"line": number, "error": "expected a JSON object with 'id' and 'text'"}
    text = item.get("text")
    if text is not None and not isinstance(text, str):
        return {"id": item.get("id"), "line": number, "error": "'text' must be a string"}
    if text is None:
        return {"id": item.get("id"), "line": number, "error": "missing 'text'"}
    return {"id": item.get("id"), **scorer.score(text).as_dict()}


def score_lines(scorer: Scorer, lines: list[str], first_number: int) -> tuple[str, int]:
    """Output for a batch of input lines (blank lines skipped) and how many lines it holds."""
    out = []
    for number, line in enumerate(lines, start=first_number):
        if line.strip():
            out.append(_dumps(score_line(scorer, line, number)))
    return ("\n".join(out) + "\n" if out else ""), len(out)


def _score_batch(scorer: Scorer, batch: tuple[int, list[str]]) -> tuple[str, int]:
    """A pool job: one (first line number, lines) batch."""
    return score_lines(scorer, batch[1], batch[0])


def _batches(source: IO[str], size: int) -> Iterator[tuple[int, list[str]]]:
    number = 1
    while batch := list(islice(source, size)):
        yield number, batch
        number += len(batch)


def score_stream(source: IO[str], sink: IO[str], *, scorer: Scorer | None = None, workers: int | None = None,
                 batch_lines: int = BATCH_LINES) -> int:
    """Score every non-blank line of ``source`` into ``sink``; return the number of lines written.

    ``workers``: processes for inputs longer than one batch (default: all cores; 1 = this process).
    """
    scorer = scorer or Scorer()
    if _is_terminal(source):
        return _score_interactively(scorer, source, sink)
    workers = workers if workers is not None else (os.cpu_count() or 1)
    batches = _batches(source, batch_lines)
    first = next(batches, None)
    if first is None:
        return 0
    second = next(batches, None)
    written = 0
    if second is None or workers <= 1:
        for batch in _chain(first, second, batches):
            text, count = score_lines(scorer, batch[1], batch[0])
            sink.write(text)
            written += count
    else:
        from enrichment.parallel import ScoringPool

        pool = ScoringPool(workers, scorer=scorer)
        try:
            for text, count in pool.map(_score_batch, _chain(first, second, batches)):
                sink.write(text)
                written += count
        finally:
            pool.close()
    sink.flush()
    return written


def _chain(first, second, rest):
    yield first
    if second is not None:
        yield second
        yield from rest


def _is_terminal(source: IO[str]) -> bool:
    try:
        return source.isatty()
    except (AttributeError, ValueError):
        return False


def _score_interactively(scorer: Scorer, source: IO[str], sink: IO[str]) -> int:
    written = 0
    for number, line in enumerate(source, start=1):
        if line.strip():
            sink.write(_dumps(score_line(scorer, line, number)) + "\n")
            sink.flush()
            written += 1
    return written
