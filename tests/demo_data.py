"""Small deterministic demo data sets written into a test's source databases."""

from __future__ import annotations

from datetime import UTC, datetime

from social360.demo import generator
from social360.demo import source_databases as sources

# Recent, so freshness checks see live data; whole hour, so a test session sees one value.
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def load_demo(seed: int = 11, customers: int = 80, posts: int = 400, now: datetime = NOW, days: int = 20):
    """Generate a data set, write it into the CRM and demo feed databases, return the ground truth."""
    data = generator.generate(seed=seed, customers=customers, posts=posts, now=now, days=days)
    sources.write(data, {"seed": seed, "customers": customers, "posts": posts, "now": now.isoformat(), "days": days})
    return data
