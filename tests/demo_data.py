"""Small deterministic demo data sets written into a test's source databases."""

from __future__ import annotations

from datetime import datetime, timezone

from social360.demo import generator, sources

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def load_demo(seed: int = 11, customers: int = 80, posts: int = 400, now: datetime = NOW, days: int = 20):
    """Generate a data set, write it into the CRM and demo feed databases, return the ground truth."""
    data = generator.generate(seed=seed, customers=customers, posts=posts, now=now, days=days)
    sources.write(data, {"seed": seed, "customers": customers, "posts": posts, "now": now.isoformat(), "days": days})
    return data
