"""The gate: validate a candidate mart with its Great Expectations suite and its dbt tests.

A mart passes when dbt built it, none of its error-level dbt tests failed, and no
``critical`` expectation of its suite failed. Every run of the gate writes one row to
``audit.gate_results`` with each failed expectation and its observed value.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from social360 import db, warehouse

log = logging.getLogger(__name__)


@dataclass
class Failure:
    expectation: str
    severity: str
    observed: Any = None
    details: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        return f"{self.expectation} (observed: {self.observed})"


@dataclass
class GateResult:
    mart: str
    suite: str
    success: bool
    evaluated: int
    failures: list[Failure] = field(default_factory=list)
    row_count: int | None = None
    data_docs_url: str | None = None

    @property
    def errors(self) -> list[Failure]:
        return [f for f in self.failures if f.severity == "error"]

    @property
    def warnings(self) -> list[Failure]:
        return [f for f in self.failures if f.severity == "warning"]

    def message(self) -> str:
        if self.success:
            extra = f"; warnings: {', '.join(f.describe() for f in self.warnings)}" if self.warnings else ""
            return f"{self.mart}: passed {self.evaluated} checks{extra}"
        return f"{self.mart}: blocked by {', '.join(f.describe() for f in self.errors)}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sqlalchemy_url(url: str) -> str:
    """GX talks to PostgreSQL through SQLAlchemy and psycopg2."""
    for prefix in ("postgresql+psycopg2://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix):]
    return url


def _observed(result: Any) -> Any:
    """The value an expectation saw, in a form that fits in JSON."""
    res = result.result or {}
    for key in ("observed_value", "unexpected_count"):
        if key in res and res[key] is not None:
            value = res[key]
            return value if isinstance(value, (int, float, str, bool)) else str(value)
    info = result.exception_info or {}
    nested = [info] + [v for v in info.values() if isinstance(v, dict)]
    for entry in nested:
        if entry.get("raised_exception"):
            return f"exception: {str(entry.get('exception_message'))[:300]}"
    return None


def _expectation_name(config: Any) -> str:
    kwargs = {k: v for k, v in (config.kwargs or {}).items() if k not in ("batch_id", "unexpected_rows_query")}
    description = getattr(config, "description", None)
    label = description or ", ".join(f"{k}={v}" for k, v in sorted(kwargs.items()))
    return f"{config.type}({label})"


def run_suite(mart: str, expectations: list, *, url: str, schema: str) -> tuple[int, list[Failure], int | None]:
    """Validate ``schema.mart`` with ``expectations``; return (evaluated, failures, row count)."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_postgres(name="warehouse", connection_string=sqlalchemy_url(url))
    asset = source.add_table_asset(name=f"{schema}.{mart}", table_name=mart, schema_name=schema)
    batch_definition = asset.add_batch_definition_whole_table("whole_table")
    suite = context.suites.add(gx.ExpectationSuite(name=f"{mart}_suite", expectations=expectations))
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{mart}_validation", data=batch_definition, suite=suite)
    )
    outcome = validation.run(result_format="SUMMARY")
    failures = []
    for result in outcome.results:
        if result.success:
            continue
        config = result.expectation_config
        severity = "warning" if str(getattr(config, "severity", "critical")).lower().endswith("warning") else "error"
        failures.append(
            Failure(
                expectation=_expectation_name(config),
                severity=severity,
                observed=_observed(result),
                details={"partial_unexpected_list": (result.result or {}).get("partial_unexpected_list", [])[:5]},
            )
        )
    with db.connect(url) as conn:
        row_count = db.count_rows(conn, schema, mart) if db.table_exists(conn, schema, mart) else None
    return len(outcome.results), failures, row_count


def validate(mart: str, *, dbt_outcome: dict[str, Any] | None = None, url: str | None = None,
             schema: str = db.CANDIDATE_SCHEMA) -> GateResult:
    """Run the gate for one candidate mart."""
    from expectations.suites import SUITES, SuiteContext

    url = url or warehouse.url()
    failures: list[Failure] = []
    evaluated = 0
    if dbt_outcome is not None:
        evaluated += 1 + len(dbt_outcome.get("failed_tests", [])) + len(dbt_outcome.get("warned_tests", []))
        if not dbt_outcome.get("built"):
            failures.append(Failure(f"dbt build of {mart}", "error", observed=dbt_outcome.get("status") or "not run"))
        for test in dbt_outcome.get("failed_tests", []):
            failures.append(Failure(f"dbt test {test['test']}", "error", observed=test.get("failures") or test.get("message")))
        for test in dbt_outcome.get("warned_tests", []):
            failures.append(Failure(f"dbt test {test['test']}", "warning", observed=test.get("failures")))
    row_count = None
    with db.connect(url) as conn:
        exists = db.table_exists(conn, schema, mart)
        tables = frozenset(
            f"{s}.{t}" for s, t in conn.execute(
                "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema = ANY(%s)",
                ([schema, db.PUBLISHED_SCHEMA],),
            )
        )
    if exists:
        context = SuiteContext(schema=schema, existing_tables=tables)
        n, suite_failures, row_count = run_suite(mart, SUITES[mart](context), url=url, schema=schema)
        evaluated += n
        failures += suite_failures
    else:
        failures.append(Failure(f"table {schema}.{mart} exists", "error", observed="missing"))
    success = not any(f.severity == "error" for f in failures)
    return GateResult(mart, f"{mart}_suite", success, evaluated, failures, row_count)


def record(result: GateResult, run_id: str, *, url: str | None = None) -> None:
    """Write the gate's outcome to ``audit.gate_results``."""
    with db.connect(url) as conn:
        conn.execute(
            """
            INSERT INTO audit.gate_results
                (run_id, mart, suite, success, evaluated, failed_errors, failed_warnings, failures, row_count,
                 data_docs_url)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s)
            """,
            (
                run_id,
                result.mart,
                result.suite,
                result.success,
                result.evaluated,
                len(result.errors),
                len(result.warnings),
                json.dumps([asdict(f) for f in result.failures], default=str),
                result.row_count,
                result.data_docs_url,
            ),
        )
        conn.commit()
