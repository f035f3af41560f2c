"""A clone of the repository stands alone: nothing it holds reads or links a path outside it, and
the data its tests and evaluation read is vendored inside it with a licence for each file."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
OUTSIDE = re.compile(r"\.\./shared|/ \"shared\"|parents\[2\]")
MARKDOWN_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def tracked_files() -> list[Path]:
    try:
        names = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True, capture_output=True,
                               text=True).stdout.split("\0")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [REPO / name for name in names if name and (REPO / name).is_file()]


def text_of(path: Path) -> str | None:
    if path.suffix in {".lock", ".csv", ".tsv", ".png"}:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None


def test_no_tracked_file_refers_to_a_path_outside_the_repository():
    offenders = []
    for path in tracked_files():
        text = text_of(path)
        if text is None or path == Path(__file__).resolve():
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()[:120]}")
    assert not offenders, "paths outside the repository:\n" + "\n".join(offenders)


def test_every_relative_link_in_the_docs_resolves_inside_the_repository():
    broken = []
    for path in tracked_files():
        if path.suffix != ".md":
            continue
        for target in MARKDOWN_LINK.findall(path.read_text(encoding="utf-8")):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:, file:
                continue
            resolved = (path.parent / target).resolve()
            if not resolved.is_relative_to(REPO) or not resolved.exists():
                broken.append(f"{path.relative_to(REPO)} -> {target}")
    assert not broken, "links that leave the repository or point nowhere:\n" + "\n".join(broken)


def test_the_evaluation_data_is_vendored_with_a_licence_per_file():
    folder = REPO / "evaluation" / "data"
    readme = (folder / "README.md").read_text(encoding="utf-8")
    files = sorted(p.name for p in folder.iterdir() if p.name != "README.md")
    assert {"twcs_sample.csv", "vader_tweets_ground_truth.tsv", "twcs_sample_labels.tsv", "care_tweets.tsv"} <= set(files)
    for name in files:
        rows = [line for line in readme.splitlines() if line.startswith(f"| `{name}` |")]
        assert rows, f"{name} is not listed in evaluation/data/README.md"
        assert re.search(r"CC BY-NC-SA 4\.0|MIT|Apache-2\.0", rows[0]), f"{name}: no licence in its row"


def test_non_commercial_data_is_not_installed_with_the_package():
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    shipped = re.search(r"\[tool\.setuptools\.package-data\](.*?)(\n\[|\Z)", pyproject, re.S).group(1)
    assert "evaluation" not in shipped
    assert not list((REPO / "enrichment" / "data").glob("twcs*")), "twcs data (CC BY-NC-SA) inside the package"
