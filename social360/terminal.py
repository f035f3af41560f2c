"""What the CLI shows: one line per step (with a spinner and the running Airflow task while it
works, on a terminal), while everything Airflow, dbt and their children print goes to one log file
per step under ``$SOCIAL360_HOME/logs/`` (``--verbose`` streams it as well)."""

from __future__ import annotations

import os
import re
import select
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from social360.core import config
from social360.reporting.console import console

KEEP_LOG_FOLDERS = 20
_TASK_STARTED = re.compile(r"\[DAG TEST\] starting task_id=(\S+)")
_TASK_ENDED = re.compile(r"\[DAG TEST\] end task task_id=")
_LOG_FOLDER = re.compile(r"^\w+-\d{8}T\d+Z$")


def log_folder(command: str) -> Path:
    """A new folder for one command's logs, ``$SOCIAL360_HOME/logs/<command>-<UTC time>``; older
    folders beyond the newest ``KEEP_LOG_FOLDERS`` are removed."""
    logs = config.subdir("logs")
    folder = logs / f"{command}-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}"
    folder.mkdir()
    ours = [p for p in logs.iterdir() if p.is_dir() and _LOG_FOLDER.match(p.name)]
    for old in sorted(ours, key=lambda p: p.name.rsplit("-", 1)[-1])[:-KEEP_LOG_FOLDERS]:
        shutil.rmtree(old, ignore_errors=True)
    return folder


@contextmanager
def output_to(log_file: Path, *, verbose: bool = False, on_line: Callable[[str], Any] | None = None) -> Iterator[None]:
    """While the block runs, send whatever this process and its children write to stdout and
    stderr (file descriptors 1 and 2: Airflow's and dbt's loggers, warnings, subprocesses) to
    ``log_file``, and with ``verbose`` to the terminal too; ``on_line`` sees every line."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    read_end, write_end = os.pipe()
    for fd in saved:
        os.dup2(write_end, fd)
    os.close(write_end)
    drained = threading.Event()
    pump = threading.Thread(target=_pump, args=(read_end, log_file, saved[1] if verbose else None, on_line, drained),
                            name="social360-log-pump", daemon=True)
    pump.start()
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, original in saved.items():
            os.dup2(original, fd)
        # Children that outlive the block (multiprocessing's resource tracker) keep the pipe open,
        # so the pump cannot wait for its end: it stops once what was written is read.
        drained.set()
        pump.join(timeout=10)
        for original in saved.values():
            os.close(original)
        if not pump.is_alive():
            os.close(read_end)


def _pump(read_end: int, log_file: Path, echo_fd: int | None, on_line: Callable[[str], Any] | None,
          drained: threading.Event) -> None:
    pending = b""
    with open(log_file, "ab") as log:
        while True:
            if not select.select([read_end], [], [], 0.1)[0]:
                if drained.is_set():
                    return
                continue
            chunk = os.read(read_end, 65536)
            if not chunk:
                return
            log.write(chunk)
            log.flush()
            if echo_fd is not None:
                try:
                    _write_all(echo_fd, chunk)
                except OSError:
                    echo_fd = None
            if on_line is not None:
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    try:
                        on_line(line.decode(errors="replace"))
                    except Exception:  # the display must never stop the logs
                        pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _terminal_stream() -> IO[str]:
    """A handle on the terminal that stays there while ``output_to`` redirects stdout."""
    try:
        if sys.stdout.fileno() == 1:
            return os.fdopen(os.dup(1), "w", encoding=sys.stdout.encoding or "utf-8", errors="replace",
                             buffering=1)
    except (AttributeError, OSError, ValueError):
        pass
    return sys.stdout  # not the process's stdout (a test runner's buffer): redirecting fd 1 leaves it alone


@dataclass
class Step:
    """One step of a command: the outcome its caller records, and where its logs are."""

    title: str
    log_file: Path
    ok: bool = True
    note: str = ""
    tasks_done: int = 0
    running: str = ""

    def done(self, note: str = "") -> None:
        self.ok, self.note = True, note

    def fail(self, note: str) -> None:
        self.ok, self.note = False, note

    @property
    def progress(self) -> str:
        if not self.running:
            return ""
        return f"{self.tasks_done} tasks done · {self.running}"

    def line(self, seconds: float) -> str:
        from rich.markup import escape

        mark = "[green]✓[/]" if self.ok else "[red]✗[/]"
        where = "" if self.ok else f"  [dim]log: {self.log_file}[/]"
        return f"{mark} {escape(self.title):<18} {escape(self.note)}  [dim]{seconds:.0f} s[/]{where}"

    def read(self, line: str) -> None:
        """Follow ``dag.test()``'s log: which task runs, how many are done."""
        if started := _TASK_STARTED.search(line):
            self.running = started.group(1)
        elif _TASK_ENDED.search(line):
            self.tasks_done += 1


class Steps:
    """The steps of one command on the terminal, each step's output in its own log file."""

    def __init__(self, command: str, *, verbose: bool = False):
        self.console = console(_terminal_stream())
        self.verbose = verbose
        self.logs = log_folder(command)
        self._progress = None

    def __enter__(self) -> Steps:
        if self.console.is_terminal and not self.verbose:
            from rich.progress import Progress, SpinnerColumn, TextColumn

            self._progress = Progress(SpinnerColumn(finished_text=" "), TextColumn("{task.description}"),
                                      TextColumn("[dim]{task.fields[detail]}"), console=self.console,
                                      redirect_stdout=False, redirect_stderr=False)  # output_to has them
            self._progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        self.console.file.flush()

    def print(self, *objects: Any, **kwargs: Any) -> None:
        """Print above the progress display (never into a step's log)."""
        self.console.print(*objects, **kwargs)

    @contextmanager
    def step(self, title: str, log_name: str | None = None) -> Iterator[Step]:
        """Run the block as one step: its output goes to ``<logs>/<log_name>.log``; a line tells its outcome."""
        step = Step(title, self.logs / f"{log_name or title}.log")
        task = self._progress.add_task(title, detail="") if self._progress is not None else None

        def follow(line: str) -> None:
            step.read(line)
            if task is not None:
                self._progress.update(task, detail=step.progress)

        start = time.monotonic()
        try:
            with output_to(step.log_file, verbose=self.verbose, on_line=follow):
                yield step
        except BaseException as exc:
            step.fail(step.note or f"{type(exc).__name__}: {exc}"[:200])
            raise
        finally:
            line = step.line(time.monotonic() - start)
            if task is not None:
                self._progress.update(task, description=line, detail="", total=1, completed=1)
            else:
                self.console.print(line, highlight=False)
