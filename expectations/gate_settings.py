"""Bounds and severities of the gate, with defaults that suit a social-care team.

Every number here can be overridden without touching code: point ``SOCIAL360_GATE_CONFIG`` at a
TOML file (or put ``gate.toml`` in ``$SOCIAL360_HOME``). Example::

    [volume]                      # candidate rows / published rows must stay inside [min, max],
    min_ratio = 0.9               # in the whole table and in each channel; a drop of fewer than
    max_ratio = 3.0               # min_rows rows is not judged (small channels)
    min_rows = 10
    [volume.marts.mart_sentiment]
    min_ratio = 0.7

    [freshness]                   # newest row of each channel vs the build's reference time
    warn_after_hours = 36
    error_after_hours = 72
    [freshness.channels.forum]
    error_after_hours = 336

    [data_docs]                   # validation pages kept per suite (the newest runs)
    keep_runs = 30

    [severity]                    # "<table>.<check>", "<layer>.<check>" or "<check>" -> error | warning
    "mart_response_times.null_rate" = "error"

Checks: ``schema``, ``key``, ``not_null``, ``range``, ``labels``, ``order``, ``future``,
``freshness``, ``volume``, ``null_rate``, ``reference``, ``pii``, ``not_empty``, ``raw_loss``, ``custom``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ERROR = "error"
WARNING = "warning"

# Checks that default to `warning` (they publish and are reported); everything else is an error.
DEFAULT_SEVERITIES: dict[str, str] = {
    "null_rate": WARNING,
    # A future timestamp in a staging model blocks the marts where it surfaces (their own `future`
    # checks are errors); upstream it is reported on every dependent mart without blocking them all.
    "staging.future": WARNING,
    "raw.future": WARNING,
}


@dataclass(frozen=True)
class VolumeBound:
    """Rows of a candidate against its published version, in the whole table and per channel: a
    drop below ``min_ratio`` (by more than ``min_rows`` rows) or growth beyond ``max_ratio`` fails.
    Marts accumulate history (a post, a day, a customer stays), so a real shrink is lost data."""

    min_ratio: float = 0.9
    max_ratio: float = 3.0
    min_rows: int = 10


@dataclass(frozen=True)
class FreshnessBound:
    warn_after_hours: float = 36.0
    error_after_hours: float = 72.0


@dataclass(frozen=True)
class GateConfig:
    volume: VolumeBound = field(default_factory=VolumeBound)
    volume_per_mart: dict[str, VolumeBound] = field(default_factory=dict)
    freshness: FreshnessBound = field(default_factory=FreshnessBound)
    freshness_per_channel: dict[str, FreshnessBound] = field(default_factory=dict)
    future_tolerance_minutes: int = 5
    severities: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SEVERITIES))
    data_docs_keep_runs: int = 30

    def volume_for(self, mart: str) -> VolumeBound:
        return self.volume_per_mart.get(mart, self.volume)

    def freshness_for(self, channel: str) -> FreshnessBound:
        return self.freshness_per_channel.get(channel, self.freshness)

    def severity(self, table: str, layer: str, check: str) -> str:
        """``error`` or ``warning`` for one check of one table (most specific setting wins)."""
        for key in (f"{table}.{check}", f"{layer}.{check}", check):
            if key in self.severities:
                return self.severities[key]
        return ERROR


def _volume(values: dict[str, Any], base: VolumeBound) -> VolumeBound:
    unknown = set(values) - {"min_ratio", "max_ratio", "min_rows"}
    if unknown:
        raise ValueError(f"unknown volume settings: {sorted(unknown)} (known: min_ratio, max_ratio, min_rows)")
    return VolumeBound(float(values.get("min_ratio", base.min_ratio)), float(values.get("max_ratio", base.max_ratio)),
                       int(values.get("min_rows", base.min_rows)))


def _freshness(values: dict[str, Any], base: FreshnessBound) -> FreshnessBound:
    return FreshnessBound(float(values.get("warn_after_hours", base.warn_after_hours)),
                          float(values.get("error_after_hours", base.error_after_hours)))


def config_path() -> Path | None:
    explicit = os.environ.get("SOCIAL360_GATE_CONFIG")
    if explicit:
        return Path(explicit)
    from social360.core import config

    candidate = config.home() / "gate.toml"
    return candidate if candidate.exists() else None


def from_mapping(data: dict[str, Any]) -> GateConfig:
    """A configuration from parsed TOML (unknown keys are rejected, so typos do not pass silently)."""
    known = {"volume", "freshness", "future_tolerance_minutes", "severity", "data_docs"}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown gate settings: {sorted(unknown)} (known: {sorted(known)})")
    volume_data = dict(data.get("volume", {}))
    per_mart = volume_data.pop("marts", {})
    volume = _volume(volume_data, VolumeBound())
    fresh_data = dict(data.get("freshness", {}))
    per_channel = fresh_data.pop("channels", {})
    freshness = _freshness(fresh_data, FreshnessBound())
    severities = dict(DEFAULT_SEVERITIES)
    for key, value in data.get("severity", {}).items():
        if value not in (ERROR, WARNING):
            raise ValueError(f"severity of {key!r} must be 'error' or 'warning', not {value!r}")
        severities[key] = value
    data_docs = dict(data.get("data_docs", {}))
    if set(data_docs) - {"keep_runs"} or int(data_docs.get("keep_runs", 1)) < 1:
        raise ValueError(f"data_docs takes keep_runs (>= 1) only, not {data_docs}")
    return GateConfig(
        volume=volume,
        volume_per_mart={m: _volume(v, volume) for m, v in per_mart.items()},
        freshness=freshness,
        freshness_per_channel={c: _freshness(v, freshness) for c, v in per_channel.items()},
        future_tolerance_minutes=int(data.get("future_tolerance_minutes", 5)),
        severities=severities,
        data_docs_keep_runs=int(data_docs.get("keep_runs", 30)),
    )


def load() -> GateConfig:
    """The defaults, overridden by the TOML file when there is one."""
    path = config_path()
    if path is None:
        return GateConfig()
    with open(path, "rb") as handle:
        return from_mapping(tomllib.load(handle))
