"""The code keeps its shape: ruff is clean, the layers hold (no upward import, no cycle), no two
modules share a name, and no dbt model is longer than a reader can hold in mind."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

from social360.dev import layers
from social360.dev.layers import Import

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_is_clean():
    ruff = Path(sys.executable).with_name("ruff")
    done = subprocess.run([str(ruff), "check", "--output-format", "concise", "."], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_layers_hold():
    assert layers.problems() == []


def test_the_layer_check_finds_an_upward_import_a_cycle_and_a_product_import_of_demo_code():
    upward = Import("social360.core.db", "social360.orchestration.stages", 3)
    assert layers.upward_imports([upward]) == [f"{upward} (core -> orchestration)"]
    assert layers.upward_imports([Import("social360.orchestration.stages", "social360.core.db", 3)]) == []
    cycle = [Import("extractors.http", "extractors.base", 1), Import("extractors.base", "extractors.http", 2)]
    assert layers.cycles(cycle) == ["import cycle: extractors.base <-> extractors.http"]
    demo = Import("social360.orchestration.stages", "social360.demo.generator", 9)
    assert layers.development_imports([demo]) and not layers.development_imports(
        [Import("social360.cli", "social360.demo.prepare", 9)])


def test_a_deferred_import_counts_and_a_type_checking_one_does_not(tmp_path, monkeypatch):
    package = tmp_path / "extractors"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from extractors import high\n"
        "def f():\n    from extractors import high\n")
    (package / "high.py").write_text("")
    modules = {"extractors": package / "__init__.py", "extractors.low": package / "low.py",
               "extractors.high": package / "high.py"}
    monkeypatch.setattr(layers, "ROOT", tmp_path)
    found = layers.imports_of("extractors.low", package / "low.py", modules)
    assert [(i.imported, i.line) for i in found] == [("extractors.high", 5)]


def test_no_two_python_modules_share_a_name():
    files = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    names = Counter(Path(f).name for f in files.split() if Path(f).name != "__init__.py" and (ROOT / f).exists())
    assert [name for name, n in names.items() if n > 1] == []


def test_no_dbt_model_is_longer_than_150_lines():
    long = {p.relative_to(ROOT).as_posix(): n for p in (ROOT / "dbt_project" / "models").rglob("*.sql")
            if (n := len(p.read_text().splitlines())) > 150}
    assert long == {}
