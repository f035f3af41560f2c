"""The CLI reads like a product: `social360 demo` prints its steps and the summary, while Airflow's
and dbt's logs go to files under $SOCIAL360_HOME/logs/ (`--verbose` streams them); tables are not
cut at 80 columns when piped; no XDG_RUNTIME_DIR warning; `--version`; honest `--help`."""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from social360.cli import app
from social360.core.catalog import PUBLISHED_MARTS, RAW_TABLES

SOCIAL360 = str(Path(sys.executable).parent / "social360")


def test_version_prints_the_installed_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"social360 {importlib.metadata.version('social360')}"


def test_airflow_port_help_shows_its_real_default():
    result = CliRunner().invoke(app, ["airflow", "--help"], env={"COLUMNS": "200", "TERMINAL_WIDTH": "200"})
    assert result.exit_code == 0, result.output
    port_help = re.search(r"--port(.*?)--paused", result.output, re.S).group(1)
    assert "default: 0" not in port_help
    assert re.search(r"default: \(?8080, or a free port when 8080 is taken\)?", port_help), port_help


def _summary() -> dict:
    """A summary as `summary.full_summary()` returns it, for a warehouse where every mart passed."""
    mart = {"version": 3, "published_at": "2026-12-04T01:23:49.934316+00:00", "last_gate_passed": True,
            "failed_expectations": []}
    return {
        "tables": {f"raw.{t}": 10 for t in RAW_TABLES} | {f"marts.{m}": 5 for m in PUBLISHED_MARTS},
        "marts": dict.fromkeys(PUBLISHED_MARTS, mart),
        "sentiment": [{"channel": "twitter", "posts": 677, "avg_sentiment": -0.041, "negative_share": 0.402}],
        "response_times": [{"channel": "twitter", "inbound": 677, "answered": 561,
                            "p50_business_minutes": 41.2, "p90_business_minutes": 402.5,
                            "p50_calendar_minutes": 67.9, "p90_calendar_minutes": 718.0, "sla_breach_rate": 0.371}],
        "bi_url": "postgresql://bi_reader:***@127.0.0.1:42749/warehouse",
    }


def test_summary_tables_are_not_cut_at_80_columns_when_piped(capsys, monkeypatch):
    from social360.reporting.summary import render

    monkeypatch.delenv("COLUMNS", raising=False)
    render(_summary())
    out = capsys.readouterr().out
    assert "…" not in out, out
    for mart in PUBLISHED_MARTS:
        assert re.search(rf"│ {mart} +│", out), f"{mart} is cut:\n{out}"
    assert "2026-12-04T01:23:49.934316+00:00" in out
    assert "BI tools connect to: postgresql://bi_reader:***@127.0.0.1:42749/warehouse (role bi_reader, schema marts)" in out


CAPTURE = """
import logging, os, subprocess, sys
from pathlib import Path
from social360.terminal import output_to

lines = []
print("before", flush=True)
with output_to(Path(sys.argv[1]), verbose=sys.argv[2] == "verbose", on_line=lines.append):
    print("python print")
    logging.basicConfig(stream=sys.stderr)
    logging.getLogger("airflow.task").warning("a log record")
    os.write(1, b"raw fd write\\n")
    subprocess.run(["sh", "-c", "echo from a child; echo child stderr >&2"])
print("after", sorted(lines), flush=True)
"""


@pytest.mark.parametrize("mode", ["quiet", "verbose"])
def test_logs_go_to_their_file_and_reach_the_terminal_only_when_verbose(tmp_path, mode):
    log = tmp_path / "step.log"
    out = subprocess.run([sys.executable, "-c", CAPTURE, str(log), mode], capture_output=True, text=True,
                         timeout=60, check=True)
    written = ["python print", "WARNING:airflow.task:a log record", "raw fd write", "from a child", "child stderr"]
    assert sorted(log.read_text().splitlines()) == sorted(written)
    terminal = out.stdout.splitlines() + out.stderr.splitlines()
    assert terminal[0] == "before" and f"after {sorted(written)}" in terminal
    streamed = [line for line in terminal if line in written]
    assert sorted(streamed) == (sorted(written) if mode == "verbose" else [])


LINGERING_CHILD = """
import subprocess, sys, time
from pathlib import Path
from social360.terminal import output_to

with output_to(Path(sys.argv[1])):
    child = subprocess.Popen(["sleep", "60"])  # inherits the redirected stdout, like multiprocessing's tracker
    print("written before the end")
    start = time.monotonic()
print(f"{time.monotonic() - start:.1f}")
child.kill()
"""


def test_a_child_that_outlives_the_step_neither_delays_it_nor_loses_its_log(tmp_path):
    log = tmp_path / "step.log"
    out = subprocess.run([sys.executable, "-c", LINGERING_CHILD, str(log)], capture_output=True, text=True,
                         timeout=60, check=True)
    assert float(out.stdout.strip()) < 3, "the step waited for a child it does not own"
    assert log.read_text() == "written before the end\n"


def test_starting_and_stopping_the_embedded_warehouse_prints_no_xdg_runtime_dir_warning():
    # a home PostgreSQL's own user can reach (pytest's tmp_path is private to root)
    home = Path(tempfile.mkdtemp(prefix="social360-test-xdg-"))
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_RUNTIME_DIR", "WAREHOUSE_URL")}
    env["SOCIAL360_HOME"] = str(home)
    try:
        up = subprocess.run([SOCIAL360, "warehouse", "up"], capture_output=True, text=True, env=env, timeout=180)
        assert up.returncode == 0, up.stderr
        assert up.stdout.startswith("warehouse ready: postgresql://")
    finally:
        down = subprocess.run([SOCIAL360, "warehouse", "down"], capture_output=True, text=True, env=env, timeout=120)
        shutil.rmtree(home, ignore_errors=True)
    assert down.stdout.strip() == "stopped", down.stderr[-2000:]
    for result in (up, down):
        assert "XDG_RUNTIME_DIR" not in result.stdout + result.stderr


@pytest.mark.e2e
def test_demo_prints_its_steps_and_the_summary_and_keeps_the_logs_in_files(databases, airflow_ready):
    """The whole demo on a small data set, as `make demo | cat` shows it."""
    from social360.core import config

    result = subprocess.run([SOCIAL360, "demo", "--customers", "25", "--posts", "120", "--seed", "11"],
                            capture_output=True, text=True, timeout=900,
                            env={k: v for k, v in os.environ.items() if k not in ("COLUMNS", "XDG_RUNTIME_DIR")})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    lines = out.splitlines()
    assert len(lines) < 80, out
    assert result.stderr == "", result.stderr
    assert not [line for line in lines if "[DAG TEST]" in line or "Task instance state updated" in line]
    for dag_id in ("social_ingest", "crm_sync", "customer360_build"):
        assert any(re.match(rf"✓ {dag_id}\b.*success", line) for line in lines), (dag_id, out)
    for mart in PUBLISHED_MARTS:
        assert re.search(rf"│ {mart} +│", out), f"{mart} cut or missing:\n{out}"
    assert "XDG_RUNTIME_DIR" not in out
    logs = Path(next(line for line in lines if line.startswith("Airflow and dbt logs:")).split(": ", 1)[1])
    assert logs.parent == config.home() / "logs"
    build_log = (logs / "customer360_build.log").read_text()
    assert "[DAG TEST] end task task_id=dbt.mart_sentiment_model_build" in build_log  # Airflow's log
    assert "OK created sql" in build_log or "PASS" in build_log  # dbt's log
    assert "[DAG TEST]" in (logs / "social_ingest.log").read_text()


def test_each_command_logs_into_a_new_folder_and_only_the_newest_folders_are_kept(tmp_path, monkeypatch):
    from social360.terminal import KEEP_LOG_FOLDERS, log_folder

    monkeypatch.setenv("SOCIAL360_HOME", str(tmp_path))
    foreign = tmp_path / "logs" / "keep-me"
    foreign.mkdir(parents=True)
    folders = [log_folder("demo" if i % 2 else "run") for i in range(KEEP_LOG_FOLDERS + 5)]
    assert len(set(folders)) == len(folders)
    assert sorted(p for p in (tmp_path / "logs").iterdir() if p != foreign) == sorted(folders[-KEEP_LOG_FOLDERS:])
    assert foreign.exists()
