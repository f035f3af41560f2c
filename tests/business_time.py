"""An independent Python computation of business minutes from the dbt seeds, to check the SQL."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

SEEDS = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@dataclass
class Schedule:
    schedule_id: str
    zone: ZoneInfo
    hours: dict[str, list[tuple[time, time]]]
    holidays: set[date]


def _rows(name: str) -> list[dict]:
    with open(SEEDS / f"{name}.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def load_schedules() -> dict[str, Schedule]:
    """Schedules by channel (`*` for the fallback)."""
    hours: dict[str, dict[str, list]] = {}
    for row in _rows("support_schedule_hours"):
        hours.setdefault(row["schedule_id"], {}).setdefault(row["day_of_week"], []).append(
            (time.fromisoformat(row["opens_at"]), time.fromisoformat(row["closes_at"]))
        )
    holidays: dict[str, set] = {}
    for row in _rows("support_holidays"):
        holidays.setdefault(row["schedule_id"], set()).add(date.fromisoformat(row["holiday_date"]))
    return {
        row["channel"]: Schedule(row["schedule_id"], ZoneInfo(row["time_zone"]), hours.get(row["schedule_id"], {}),
                                 holidays.get(row["schedule_id"], set()))
        for row in _rows("support_schedules")
    }


def sla_targets() -> dict[tuple[str, str], tuple[int, bool]]:
    return {(r["channel"], r["priority"]): (int(r["target_minutes"]), r["in_business_hours"] == "true")
            for r in _rows("sla_targets")}


def open_intervals(schedule: Schedule, start: datetime, end: datetime):
    """Opening intervals (UTC-aware) overlapping [start, end]."""
    day = start.astimezone(schedule.zone).date() - timedelta(days=1)
    last = end.astimezone(schedule.zone).date() + 1 * timedelta(days=1)
    while day <= last:
        for opens, closes in schedule.hours.get(DAYS[day.weekday()], []):
            local_open = datetime.combine(day, opens)
            local_close = datetime.combine(day + timedelta(days=1) if closes <= opens else day, closes)
            midnight = datetime.combine(day + timedelta(days=1), time(0))
            pieces = [(local_open, min(local_close, midnight))]
            if local_close > midnight:
                pieces.append((midnight, local_close))
            for piece_start, piece_end in pieces:
                if piece_start.date() in schedule.holidays or piece_end <= piece_start:
                    continue
                yield (piece_start.replace(tzinfo=schedule.zone), piece_end.replace(tzinfo=schedule.zone))
        day += timedelta(days=1)


def business_minutes(schedule: Schedule, start: datetime, end: datetime) -> float:
    total = 0.0
    for opens, closes in open_intervals(schedule, start, end):
        overlap = (min(closes, end) - max(opens, start)).total_seconds()
        if overlap > 0:
            total += overlap / 60
    return total
