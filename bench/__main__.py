"""Run the benchmarks: ``python -m bench [--scale N]`` (``make bench SCALE=N``).

The default sizes finish in about seven minutes on 2 cores; ``SCALE=10`` runs the pipeline at
1,000,000 posts (100,000 customers, 500,000 orders), the size docs/BENCHMARKS.md reports. The
gate benchmark runs last, on the marts the pipeline benchmark published."""

from __future__ import annotations

import argparse
import importlib

BENCHMARKS = ("scoring", "landing_throughput", "parsing", "pipeline_scale", "gate_cost")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every benchmark's input size")
    parser.add_argument("names", nargs="*", default=list(BENCHMARKS), help=f"which to run: {', '.join(BENCHMARKS)}")
    args = parser.parse_args()
    for name in args.names:
        importlib.import_module(f"bench.{name}").main(["--scale", str(args.scale)])


if __name__ == "__main__":
    main()
