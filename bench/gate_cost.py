"""What the quality gate costs per mart, side by side with a baseline.

    python -m bench.gate_cost [--rounds 3] [--marts mart_sentiment,mart_response_times] [--scale 1]

Runs against the benchmarks' own warehouse (``$SOCIAL360_HOME/bench``, or ``WAREHOUSE_URL``) and
validates the marts the pipeline benchmark published there (run ``python -m bench.pipeline_scale``
first; nothing is written to ``audit``). Every round, one after
the other, in one process (GX already imported):

- baseline: the mart's own suite only, no Data Docs;
- + upstream: the mart's suite and those of the staging and raw relations it is built from;
- full gate: + Data Docs rendered (what ``customer360_build`` runs).

The best round of each is reported in seconds and as a ratio to the baseline of the same mart.
``--scale`` is accepted for ``python -m bench`` and ignored (the data is what the warehouse holds).
"""

from __future__ import annotations

import argparse
import logging
import time


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--marts", default="mart_sentiment,mart_response_times")
    parser.add_argument("--scale", type=float, default=1.0, help="ignored")
    args = parser.parse_args(argv)
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    started = time.perf_counter()
    import great_expectations  # noqa: F401  (the one-off import, reported apart)

    imported = time.perf_counter() - started
    print(f"GX import: {imported:.2f} s (once per process)")
    from bench.common import bench_warehouse
    from expectations import gate
    from social360.core import db

    with bench_warehouse():
        with db.connect() as conn:
            published = {name for (name,) in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (db.PUBLISHED_SCHEMA,))}
        missing = [m for m in args.marts.split(",") if m not in published]
        if missing:
            print(f"gate benchmark skipped: {', '.join(missing)} not published in the benchmark warehouse "
                  "(run python -m bench.pipeline_scale first)")
            return
        _measure(args, gate, db)


def _measure(args, gate, db) -> None:
    variants = {
        "baseline (mart suite)": dict(upstream=False, data_docs=False),
        "+ upstream suites": dict(upstream=True, data_docs=False),
        "full gate (+ data docs)": dict(upstream=True, data_docs=True),
    }
    for mart in args.marts.split(","):
        best: dict[str, float] = {}
        checks: dict[str, int] = {}
        for _ in range(args.rounds):
            for name, options in variants.items():
                result: list = []
                seconds = _timed(lambda result=result, mart=mart, options=options: result.append(
                    gate.validate(mart, schema=db.PUBLISHED_SCHEMA, run_id=f"bench-{time.time_ns()}", **options)))
                best[name] = min(best.get(name, seconds), seconds)
                checks[name] = result[0].evaluated
        base = best["baseline (mart suite)"]
        print(f"\n{mart}")
        for name, seconds in best.items():
            print(f"  {name:<26} {seconds:6.2f} s  {checks[name]:4d} checks  x{seconds / base:.2f}")


if __name__ == "__main__":
    main()
