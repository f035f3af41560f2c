"""What the benchmarks share: a warehouse of their own, timing, and the result table."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class Figure:
    """One measured ratio and its target."""

    name: str
    value: float
    target: str
    met: bool
    detail: str = ""

    def row(self) -> str:
        return f"| {self.name} | {self.value:,.2f} | {self.target} | {'yes' if self.met else 'NO'} | {self.detail} |"


def print_table(title: str, figures: list[Figure]) -> None:
    print(f"\n### {title}\n")
    print("| figure | value | target | met | detail |")
    print("|---|---|---|---|---|")
    for figure in figures:
        print(figure.row())
    print(flush=True)


def machine() -> str:
    cpus = os.cpu_count()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.machine()}, {cpus} cores, {mem:.0f} GiB, Python {platform.python_version()}"


def best_of(rounds: int, fn: Callable[[], float]) -> tuple[float, list[float]]:
    """Run ``fn`` (returning seconds) ``rounds`` times; the minimum is the least disturbed."""
    times = [fn() for _ in range(rounds)]
    return min(times), times


def median(values: list[float]) -> float:
    return statistics.median(values)


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    elapsed: list[float] = []
    start = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed.append(time.perf_counter() - start)


@contextmanager
def bench_warehouse() -> Iterator[str]:
    """A warehouse of the benchmark's own: ``WAREHOUSE_URL`` if set, else an embedded server under
    ``$SOCIAL360_HOME/bench`` (so benchmarks never touch the demo's data)."""
    if os.environ.get("WAREHOUSE_URL"):
        yield os.environ["WAREHOUSE_URL"]
        return
    from social360.core import config

    previous = os.environ.get("SOCIAL360_HOME")
    os.environ["SOCIAL360_HOME"] = str(config.subdir("bench"))
    try:
        from social360.core import warehouse

        yield warehouse.up()
    finally:
        if previous is None:
            os.environ.pop("SOCIAL360_HOME", None)
        else:
            os.environ["SOCIAL360_HOME"] = previous
