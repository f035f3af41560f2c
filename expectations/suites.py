"""The expectation suite of each published mart, as code.

Each expectation carries a severity: ``critical`` (an error: it blocks publishing the mart)
or ``warning`` (the mart publishes and the failure is reported). SQL-based expectations use
GX's ``{batch}`` placeholder for the table being validated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

FUTURE_TOLERANCE = "interval '5 minutes'"


@dataclass(frozen=True)
class SuiteContext:
    """What a suite may refer to besides its own table: the schema it is validated in and the
    tables that exist in the warehouse at validation time (``schema.table`` names)."""

    schema: str
    existing_tables: frozenset[str] = field(default_factory=frozenset)

    def customer_tables(self) -> list[str]:
        """dim_customers of this build (candidate) and the published one: a customer id is valid if it
        resolves in either, as it will once this build's dim_customers is published."""
        wanted = [f"{self.schema}.dim_customers", "marts.dim_customers"]
        return [t for t in dict.fromkeys(wanted) if t in self.existing_tables]


def _gxe():
    import logging

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations.expectations as gxe

    return gxe


def not_in_future(gxe, column: str, description: str | None = None):
    return gxe.UnexpectedRowsExpectation(
        unexpected_rows_query=f"SELECT * FROM {{batch}} WHERE {column} > now() + {FUTURE_TOLERANCE}",
        description=description or f"no {column} in the future",
    )


def _orphans_query(customer_tables: list[str]) -> str:
    """Rows whose customer_id resolves in none of ``customer_tables`` (all linked rows if there are none)."""
    if not customer_tables:
        return "SELECT * FROM {batch} WHERE customer_id IS NOT NULL"
    known = " UNION ".join(f"SELECT customer_id FROM {t}" for t in customer_tables)
    return f"SELECT * FROM {{batch}} WHERE customer_id IS NOT NULL AND customer_id NOT IN ({known})"


def mart_sentiment(ctx: SuiteContext) -> list:
    gxe = _gxe()
    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1, description="the mart is not empty"),
        gxe.ExpectColumnValuesToNotBeNull(column="sentiment_key"),
        gxe.ExpectColumnValuesToBeUnique(column="sentiment_key"),
        gxe.ExpectColumnValuesToBeBetween(column="avg_sentiment_score", min_value=-1, max_value=1),
        gxe.ExpectColumnValuesToBeBetween(column="negative_share", min_value=0, max_value=1),
        gxe.ExpectColumnValuesToBeBetween(column="post_count", min_value=1),
        gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=(
                "SELECT * FROM {batch} WHERE positive_count + neutral_count + negative_count <> scored_post_count"
            ),
            description="labels add up to the scored posts",
        ),
        not_in_future(gxe, "activity_date", "no activity dates in the future"),
    ]


def mart_response_times(ctx: SuiteContext) -> list:
    gxe = _gxe()
    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1, description="the mart is not empty"),
        gxe.ExpectColumnValuesToNotBeNull(column="post_key"),
        gxe.ExpectColumnValuesToBeUnique(column="post_key"),
        gxe.ExpectColumnValuesToNotBeNull(column="received_at"),
        gxe.ExpectColumnValuesToBeBetween(column="first_response_calendar_minutes", min_value=0),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="first_response_at", column_B="received_at", or_equal=True, ignore_row_if="either_value_is_missing"
        ),
        not_in_future(gxe, "received_at"),
        gxe.ExpectColumnValuesToNotBeNull(column="first_response_at", mostly=0.5, severity="warning",
                                          description="at least half of the inbound posts are answered"),
    ]


def dim_customers(ctx: SuiteContext) -> list:
    gxe = _gxe()
    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1, description="the mart is not empty"),
        gxe.ExpectColumnValuesToNotBeNull(column="customer_id"),
        gxe.ExpectColumnValuesToBeUnique(column="customer_id"),
        gxe.ExpectColumnValuesToBeBetween(column="lifetime_value", min_value=0),
        gxe.ExpectColumnValuesToBeInSet(column="priority_tier", value_set=["A", "B", "C"]),
    ]


def fct_interactions(ctx: SuiteContext) -> list:
    gxe = _gxe()
    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1, description="the mart is not empty"),
        gxe.ExpectColumnValuesToNotBeNull(column="interaction_id"),
        gxe.ExpectColumnValuesToBeUnique(column="interaction_id"),
        gxe.ExpectColumnValuesToBeInSet(
            column="interaction_type", value_set=["social_post", "brand_reply", "support_ticket", "order"]
        ),
        gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=_orphans_query(ctx.customer_tables()),
            description="every customer_id exists in dim_customers",
        ),
        not_in_future(gxe, "occurred_at"),
    ]


SUITES: dict[str, Callable[[SuiteContext], list]] = {
    "mart_sentiment": mart_sentiment,
    "mart_response_times": mart_response_times,
    "dim_customers": dim_customers,
    "fct_interactions": fct_interactions,
}
