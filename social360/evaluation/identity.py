"""Precision and recall of identity resolution against the demo generator's ground truth.

The generator records which CRM customer owns each social account (``account_truth`` in the
demo social database); ``intermediate.int_social_identities`` holds the links the warehouse made
for every account that wrote to the brand.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC

import psycopg

from social360.core import config, db


@dataclass
class IdentityScore:
    accounts: int
    owned_accounts: int  # accounts that truly belong to a CRM customer
    links: int
    correct_links: int
    by_method: dict[str, dict[str, int]] = field(default_factory=dict)
    by_channel: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def precision(self) -> float:
        return self.correct_links / self.links if self.links else 1.0

    @property
    def recall(self) -> float:
        return self.correct_links / self.owned_accounts if self.owned_accounts else 1.0


def evaluate(*, warehouse_url: str | None = None, demo_url: str | None = None) -> IdentityScore:
    with psycopg.connect(demo_url or db.source_url(config.DEMO_SOCIAL_DB)) as demo:
        truth = {(c, a): cid for c, a, cid in demo.execute("SELECT channel, account_id, customer_id FROM account_truth")}
    with db.connect(warehouse_url) as conn:
        rows = conn.execute(
            "SELECT channel, account_id, customer_id, match_method FROM intermediate.int_social_identities"
        ).fetchall()
    methods: dict[str, Counter] = {}
    channels: dict[str, Counter] = {}
    for channel, account_id, linked, method in rows:
        owner = truth.get((channel, account_id))
        ch = channels.setdefault(channel, Counter())
        ch["accounts"] += 1
        ch["owned"] += owner is not None
        if linked is not None:
            correct = linked == owner
            m = methods.setdefault(method, Counter())
            m["links"] += 1
            m["correct"] += correct
            ch["links"] += 1
            ch["correct"] += correct
    score = IdentityScore(
        accounts=len(rows),
        owned_accounts=sum(c["owned"] for c in channels.values()),
        links=sum(m["links"] for m in methods.values()),
        correct_links=sum(m["correct"] for m in methods.values()),
        by_method={k: dict(v) for k, v in methods.items()},
    )
    for channel, c in channels.items():
        score.by_channel[channel] = {
            "accounts": c["accounts"],
            "owned": c["owned"],
            "links": c["links"],
            "precision": c["correct"] / c["links"] if c["links"] else 1.0,
            "recall": c["correct"] / c["owned"] if c["owned"] else 1.0,
        }
    return score


def evaluate_seeds(seeds: list[int], *, customers: int = 400, posts: int = 3000, days: int = 30) -> dict[int, IdentityScore]:
    """Generate each seed's demo data into an empty warehouse, build the identity models, score them.

    Destructive: it empties the warehouse of ``$SOCIAL360_HOME``; run it with a home of its own."""
    from datetime import datetime

    from social360.demo import generator
    from social360.demo import prepare as runner
    from social360.demo import source_databases as sources
    from social360.orchestration import stages as pipeline
    from social360.transform import dbt_runner

    now = datetime(2026, 11, 22, 12, tzinfo=UTC)
    scores = {}
    for seed in seeds:
        runner.reset_warehouse()
        data = generator.generate(seed=seed, customers=customers, posts=posts, now=now, days=days)
        sources.write(data, {"seed": seed, "customers": customers, "posts": posts, "now": now.isoformat()})
        pipeline.extract_social_source("demo", f"identity-{seed}")
        for table in pipeline.crm_tables():
            pipeline.sync_crm_table(table, f"identity-{seed}")
        result = dbt_runner.build(["+int_social_identities"])
        if not result.success:
            raise RuntimeError(result.summary())
        scores[seed] = evaluate()
    return scores


def main(argv: list[str] | None = None) -> None:
    """``python -m social360.evaluation.identity [SEED ...]``: the table in docs/IDENTITY.md, in a
    warehouse of its own under ``$SOCIAL360_HOME/identity-evaluation``."""
    import argparse
    import os

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("seeds", nargs="*", type=int, default=list(range(1, 10)))
    args = parser.parse_args(argv)
    os.environ["SOCIAL360_HOME"] = str(config.subdir("identity-evaluation"))
    from social360.core import warehouse

    warehouse.up()
    print("| seed | precision | recall | links | owned accounts |\n|---|---|---|---|---|")
    for seed, score in evaluate_seeds(args.seeds).items():
        print(f"| {seed} | {score.precision:.3f} | {score.recall:.3f} | {score.links} | {score.owned_accounts} |",
              flush=True)


if __name__ == "__main__":
    main()
