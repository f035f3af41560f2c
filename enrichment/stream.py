"""JSON lines in, JSON lines out: the ``social360 score`` command."""

from __future__ import annotations

import json
from typing import IO

from enrichment.scorer import Scorer


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


def score_stream(source: IO[str], sink: IO[str], *, scorer: Scorer | None = None) -> int:
    """Score every non-blank line of ``source`` into ``sink``; return the number of lines written."""
    scorer = scorer or Scorer()
    written = 0
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        sink.write(json.dumps(score_line(scorer, line, number), ensure_ascii=False) + "\n")
        written += 1
    sink.flush()
    return written
