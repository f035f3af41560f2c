"""Scoring throughput, side by side with plain NLTK VADER.

    python -m bench.scoring [--posts 40000] [--rounds 5] [--scale 1] [--json]

Every round runs, on the same posts and one after the other:

- baseline: a single-process loop of plain NLTK ``SentimentIntensityAnalyzer().polarity_scores``
  (sentiment only, no intent, no JSON);
- ``Scorer.score`` in one process (sentiment + intent + language, cache off);
- ``Scorer.score_many``: the batch path the warehouse runner uses (process pool over all cores);
- ``social360 score``: the command itself in a subprocess, JSON lines piped in and out; its
  start-up (mostly ``import nltk``, measured on an empty input) is reported apart.

Posts are the shipped customer-care tweets and the VADER human-rated tweets, each copy made
unique (a reference number appended) so that no cache can help.

Two figures per path: posts per second of wall-clock time (best round: the least disturbed by
other work on the machine), and CPU time per post, summed over every process involved (the
pool's workers and the command's included). CPU time does not depend on what else the machine
runs, so "cores / CPU per post" is the rate the path reaches on idle cores, an upper bound for
the pool paths (it assumes the work divides perfectly over the cores).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 10_000  # posts/s for `social360 score` on this 2-core machine (issue 4)


def corpus(posts: int) -> list[str]:
    from enrichment.evaluate import care_tweets, vader_tweets

    base = [e.text for e in care_tweets()] + [e.text for e in vader_tweets()]
    return [f"{base[i % len(base)]} ref{i}" for i in range(posts)]


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(work) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and of every child reaped meanwhile)."""
    cpu, start = _cpu(), time.perf_counter()
    work()
    return time.perf_counter() - start, _cpu() - cpu


def plain_vader(texts: list[str]) -> tuple[float, float]:
    from enrichment.lexicon import ensure_nltk_data

    ensure_nltk_data()
    from nltk.sentiment.vader import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    return measure(lambda: [analyzer.polarity_scores(text) for text in texts])


def scorer_one_process(texts: list[str]) -> tuple[float, float]:
    from enrichment.scorer import Scorer

    scorer = Scorer(cache_size=0)
    return measure(lambda: [scorer.score(text) for text in texts])


def scorer_batch(texts: list[str]) -> tuple[float, float]:
    from enrichment.scorer import Scorer

    def work():
        with Scorer(cache_size=0) as scorer:  # leaving the block reaps the pool's workers
            assert len(scorer.score_many(texts)) == len(texts)

    return measure(work)


def _run_command(path: str) -> str:
    with open(path, encoding="utf-8") as source:
        return subprocess.run([sys.executable, "-m", "social360.cli", "score"], stdin=source,
                              capture_output=True, text=True, check=True, cwd=ROOT).stdout


def score_command(path: Path, posts: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """`social360 score < posts.jsonl` and `social360 score < /dev/null` (the start-up)."""
    startup = measure(lambda: _run_command(os.devnull))
    out: list[str] = []
    full = measure(lambda: out.append(_run_command(str(path))))
    if out[0].count("\n") != posts:
        raise RuntimeError(f"social360 score wrote {out[0].count(chr(10))} lines for {posts} posts")
    return full, startup


def run(posts: int, rounds: int) -> dict:
    texts = corpus(posts)
    cores = os.cpu_count() or 1
    timings: dict[str, list[tuple[float, float]]] = {"plain_vader": [], "score": [], "score_many": [], "command": []}
    startups: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "posts.jsonl"
        path.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)),
                        encoding="utf-8")
        for _ in range(rounds):
            timings["plain_vader"].append(plain_vader(texts))
            timings["score"].append(scorer_one_process(texts))
            timings["score_many"].append(scorer_batch(texts))
            full, startup = score_command(path, posts)
            timings["command"].append((full[0] - startup[0], full[1] - startup[1]))
            startups.append(startup)
    summary: dict = {"posts": posts, "rounds": rounds, "cores": cores, "load_average": os.getloadavg(),
                     "command_startup_s": round(min(wall for wall, _ in startups), 2)}
    base_cpu = statistics.median(cpu for _, cpu in timings["plain_vader"]) / posts
    for name, rows in timings.items():
        best_wall = min(wall for wall, _ in rows)
        cpu_per_post = statistics.median(cpu for _, cpu in rows) / posts
        usable_cores = 1 if name in ("plain_vader", "score") else cores
        summary[name] = {
            "best_posts_per_s": round(posts / best_wall),
            "cpu_us_per_post": round(cpu_per_post * 1e6, 1),
            "idle_cores_posts_per_s": round(usable_cores / cpu_per_post),
            "cpu_ratio_to_plain_vader": round(base_cpu / cpu_per_post, 2),
        }
    return summary


TITLES = {
    "plain_vader": "plain NLTK VADER `polarity_scores`, 1 process (baseline; sentiment only)",
    "score": "`Scorer.score`, 1 process (sentiment + intent + language)",
    "score_many": "`Scorer.score_many`, process pool (warehouse runner's path)",
    "command": "`social360 score`: JSON lines in and out, process pool, start-up subtracted",
}


def markdown(summary: dict) -> str:
    load = ", ".join(f"{x:.1f}" for x in summary["load_average"])
    lines = [f"{summary['posts']:,} posts, best of {summary['rounds']} rounds, {summary['cores']} cores, "
             f"load average after the run {load}; `social360 score` start-up {summary['command_startup_s']} s",
             "", "| what | posts/s (wall, best round) | CPU µs per post | posts/s on idle cores (from CPU) | "
             "CPU cost ratio plain VADER / this |", "|---|---|---|---|---|"]
    for name, title in TITLES.items():
        r = summary[name]
        lines.append(f"| {title} | {r['best_posts_per_s']:,} | {r['cpu_us_per_post']} | "
                     f"{r['idle_cores_posts_per_s']:,} | {r['cpu_ratio_to_plain_vader']} |")
    return "\n".join(lines)


def figures(summary: dict) -> list:
    from bench.common import Figure

    command = summary["command"]
    return [
        Figure("`social360 score` posts/s (wall clock, start-up subtracted)", command["best_posts_per_s"],
               f">= {TARGET:,}", command["best_posts_per_s"] >= TARGET,
               "shares the machine with whatever else runs; see the load average"),
        Figure("`social360 score` posts/s on idle cores (from CPU time)", command["idle_cores_posts_per_s"],
               f">= {TARGET:,}", command["idle_cores_posts_per_s"] >= TARGET,
               f"{command['cpu_us_per_post']} CPU µs per post over {summary['cores']} cores"),
        Figure("sentiment+intent over 2 cores (`Scorer.score_many`) / plain VADER loop (posts/s)",
               summary["score_many"]["best_posts_per_s"] / summary["plain_vader"]["best_posts_per_s"], ">= 3",
               summary["score_many"]["best_posts_per_s"] >= 3 * summary["plain_vader"]["best_posts_per_s"],
               "the warehouse runner's path; plain VADER: sentiment only, one process"),
        Figure("`social360 score` (JSON lines, 2 cores) / plain VADER loop (posts/s)",
               command["best_posts_per_s"] / summary["plain_vader"]["best_posts_per_s"], ">= 3",
               command["best_posts_per_s"] >= 3 * summary["plain_vader"]["best_posts_per_s"],
               "plain VADER: sentiment only, one process, no JSON"),
        Figure("`Scorer.score` / plain VADER (CPU cost ratio)", summary["score"]["cpu_ratio_to_plain_vader"], "> 1",
               summary["score"]["cpu_ratio_to_plain_vader"] > 1, "one process each: the work per post"),
    ]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    summary = run(max(1_000, int(args.posts * args.scale)), args.rounds)
    if args.json:
        print(json.dumps(summary, indent=2))
        return summary
    from bench.common import machine, print_table

    print(f"\n### Scoring ({machine()})\n")
    print(markdown(summary))
    print_table("Scoring: figures", figures(summary))
    return summary


if __name__ == "__main__":
    main()
