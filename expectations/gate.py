"""The gate: validate a candidate mart (and the staging and raw relations it is built from) with
Great Expectations, combine that with the mart's dbt results, and record the verdict.

A mart passes when dbt built it, none of its error-level dbt tests failed, and no ``error``
expectation failed, on the mart or upstream. ``warning`` failures publish and are reported.
Every gate run writes one row to ``audit.gate_results`` and one row per failed expectation (with
its observed value) to ``audit.gate_failures``, and renders GX Data Docs (see ``docs``).

Rows validated once are not validated again: when the published version of the mart passed the
same row-local checks (see ``checks.tag``) without a failure, those checks run on the rows the
candidate changed (``candidate EXCEPT ALL published``, materialized in ``gate_scratch``), and
the checks of the whole table (keys, volume, freshness, null rates, references) on the candidate.
Contacts of customers changed since then are looked for in every row.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from expectations import gate_settings as gate_config
from social360.core import db, warehouse
from social360.core.config import LOOKBACK_MINUTES

log = logging.getLogger(__name__)

SAMPLE_ROWS = 5
SCRATCH_SCHEMA = "gate_scratch"
CONTACTS = "staging.stg_crm__customers"


@dataclass
class Failure:
    expectation: str
    severity: str
    observed: Any = None
    details: dict[str, Any] = field(default_factory=dict)
    relation: str | None = None
    check: str | None = None

    def describe(self) -> str:
        sample = self.details.get("sample") or self.details.get("partial_unexpected_list")
        extra = f"; e.g. {json.dumps(sample[:3], default=str)}" if sample else ""
        return f"{self.expectation} (observed: {self.observed}{extra})"


@dataclass
class GateResult:
    mart: str
    suite: str
    success: bool
    evaluated: int
    failures: list[Failure] = field(default_factory=list)
    row_count: int | None = None
    data_docs_url: str | None = None
    relations: list[str] = field(default_factory=list)
    reference_time: str | None = None
    candidate_relid: int | None = None
    duration_seconds: float | None = None
    row_checks: str | None = None  # fingerprint of the row-local checks this gate ran
    contacts_through: datetime | None = None  # newest customer contact the checks knew
    changed_rows: int | None = None  # rows the row-local checks read; None: every row

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


@dataclass
class Target:
    """One relation to validate: ``schema.table``, its suite name and expectations."""

    schema: str
    table: str
    suite_name: str
    expectations: list
    upstream: bool
    rows_of: str | None = None  # the table whose changed rows this target holds

    @property
    def relation(self) -> str:
        return self.rows_of or f"{self.schema}.{self.table}"


def sqlalchemy_url(url: str) -> str:
    """GX talks to PostgreSQL through SQLAlchemy and psycopg2."""
    for prefix in ("postgresql+psycopg2://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix):]
    return url


# --- reading GX results ----------------------------------------------------------------------


def _private(value: Any) -> Any:
    """A sampled value as logged, stored and sent: JSON-able, contact details redacted."""
    from social360.core.contact_details import redact

    value = _jsonable(value)
    return redact(value) if isinstance(value, str) else value


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value if isinstance(value, (int, float, str, bool)) or value is None else str(value)


def _observed(result: Any, check: str | None) -> Any:
    """The value an expectation saw, in a form that fits in JSON."""
    res = result.result or {}
    mismatched = (res.get("details") or {}).get("mismatched") if isinstance(res.get("details"), dict) else None
    if mismatched:
        missing = mismatched.get("missing") or []
        return f"missing columns: {', '.join(missing)}" if missing else str(mismatched)
    if check == "null_rate" and res.get("unexpected_percent") is not None:
        return f"{res['unexpected_percent']:.1f}% null"
    for key in ("observed_value", "unexpected_count"):
        if key in res and res[key] is not None:
            return _jsonable(res[key])
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


def _severity(config: Any) -> str:
    return "warning" if str(getattr(config, "severity", "critical")).lower().endswith("warning") else "error"


def _sample(conn: Any, target: Target, query: str, show: list[str]) -> list[list[Any]]:
    """A few of the rows a SQL check found, for the audit."""
    from expectations import checks

    relation = f'"{target.schema}"."{target.table}"'
    inner = checks.runnable(query, relation)
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in show) if show else sql.SQL("*")
    statement = sql.SQL("SELECT {} FROM ({}) AS unexpected LIMIT {}").format(
        columns, sql.SQL(inner), sql.Literal(SAMPLE_ROWS))  # type: ignore[arg-type]
    try:
        with conn.transaction():
            return [[_jsonable(v) for v in row] for row in conn.execute(statement).fetchall()]
    except Exception as exc:  # the sample is a courtesy; the verdict is GX's
        log.info("could not sample %s: %s", target.relation, exc)
        return []


def _failures(target: Target, outcome: Any, conn: Any) -> list[Failure]:
    found = []
    for result in outcome.results:
        if result.success:
            continue
        config = result.expectation_config
        meta = getattr(config, "meta", None) or {}
        check = meta.get("check")
        details: dict[str, Any] = {}
        partial = (result.result or {}).get("partial_unexpected_list")
        if partial:
            details["partial_unexpected_list"] = [_private(v) for v in partial[:SAMPLE_ROWS]]
        query = (config.kwargs or {}).get("unexpected_rows_query")
        if query and (meta.get("show") or check != "pii"):  # a privacy failure shows the rows' keys or nothing
            details["sample"] = [[_private(v) for v in row] for row in _sample(conn, target, query, meta.get("show") or [])]
        name = _expectation_name(config)
        found.append(Failure(
            expectation=f"{target.relation}: {name}" if target.upstream else name,
            severity=_severity(config),
            observed=_observed(result, check),
            details=details,
            relation=target.relation,
            check=check,
        ))
    return found


# --- what the suites need to know about the warehouse ------------------------------------------


def _to_datetime(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def reference_time(conn: Any, schema: str, as_of: str | datetime | None = None) -> datetime | None:
    """The moment this build measured "now" against: ``as_of`` when given, else the ``measured_at``
    dbt stamped into the candidate response-time mart (the build's ``as_of`` var or its clock), else
    None (the gate then uses the database's ``now()``)."""
    if as_of:
        return _to_datetime(as_of)
    row = conn.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = %s AND table_name = 'mart_response_times' "
        "AND column_name = 'measured_at'", (schema,)
    ).fetchone()
    if row is None:
        return None
    query = sql.SQL("SELECT max(measured_at) FROM {}.mart_response_times").format(sql.Identifier(schema))
    return conn.execute(query).fetchone()[0]


def _columns(conn: Any, relations: list[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    from expectations.suites import ColumnInfo

    found: dict[str, dict[str, Any]] = {}
    rows = conn.execute(
        "SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale, "
        "character_maximum_length FROM information_schema.columns "
        "WHERE (table_schema || '.' || table_name) = ANY(%s) ORDER BY ordinal_position",
        ([f"{s}.{t}" for s, t in relations],),
    ).fetchall()
    for schema, table, column, data_type, precision, scale, length in rows:
        found.setdefault(f"{schema}.{table}", {})[column] = ColumnInfo(
            data_type, precision if data_type == "numeric" else None, scale if data_type == "numeric" else None, length)
    return found


LANDED_POSTS = ("intermediate", "int_social_posts")


def landed_posts_sql(columns: dict[str, Any]) -> str | None:
    """Each channel's newest inbound post in this build's inputs (dbt's ``int_social_posts``)."""
    if not {"channel", "created_at"} <= set(columns):
        return None
    inbound = " WHERE NOT is_brand_post" if "is_brand_post" in columns else ""
    return (f"SELECT channel, max(created_at) AS newest FROM {LANDED_POSTS[0]}.{LANDED_POSTS[1]}{inbound} "
            "GROUP BY channel")


def _previous_rows(conn: Any, mart: str) -> int | None:
    row = conn.execute(
        "SELECT row_count FROM audit.publish_log WHERE mart = %s AND published ORDER BY id DESC LIMIT 1", (mart,)
    ).fetchone()
    return row[0] if row else None


def _upstream(mart: str) -> list[str]:
    from expectations import lineage
    from expectations.suites import mart_spec, spec_for

    found = lineage.upstream_relations(mart)
    if found is None:
        found = list(mart_spec(mart).upstream)
    return [r for r in found if spec_for(r) is not None]


def _raw_ledger(conn: Any, relations: list[str]) -> dict[str, int]:
    """The rows each raw table held when a gate last found none of its rows lost."""
    if not relations:
        return {}
    rows = conn.execute(
        "SELECT DISTINCT ON (relation) relation, row_count FROM audit.raw_ledger WHERE relation = ANY(%s) "
        "ORDER BY relation, id DESC", (relations,)
    ).fetchall()
    return dict(rows)


def record_raw_rows(conn: Any, relation: str, run_id: str, note: str | None = None) -> int:
    """Note a raw table's row count in the ledger (after a gate found none lost, or when an operator
    accepts a deliberate deletion: ``social360 accept-raw-loss``)."""
    schema, table = relation.split(".", 1)
    rows = db.count_rows(conn, schema, table)
    conn.execute("INSERT INTO audit.raw_ledger (relation, row_count, run_id, note) VALUES (%s, %s, %s, %s)",
                 (relation, rows, run_id, note))
    return rows


# --- running GX ----------------------------------------------------------------------------------


def run_targets(url: str, targets: list[Target], *, mart: str, run_name: str,
                data_docs: bool = True) -> tuple[list[tuple[Target, Any]], str | None]:
    """Validate every target in one ephemeral GX context; render the mart's Data Docs."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from expectations import docs

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    site = docs.add_site(context, mart) if data_docs else None
    source = context.data_sources.add_postgres(name="warehouse", connection_string=sqlalchemy_url(url))
    run_id = RunIdentifier(run_name=run_name, run_time=datetime.now(UTC))
    outcomes = []
    for target in targets:
        asset = source.add_table_asset(name=f"{target.schema}.{target.table}", table_name=target.table,
                                       schema_name=target.schema)
        batch = asset.add_batch_definition_whole_table("whole_table")
        suite = context.suites.add(gx.ExpectationSuite(name=target.suite_name, expectations=target.expectations))
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{target.suite_name}_validation", data=batch, suite=suite))
        outcomes.append((target, definition.run(result_format="SUMMARY", run_id=run_id)))
    url_of_docs = docs.build(context, site, mart, outcomes[0][1]) if site and outcomes else None
    return outcomes, url_of_docs


# Upstream tables dbt rebuilds every build: validated once per run, the result reused by every
# mart's gate while the table is the same one (a rebuild gives it a new file node). Raw tables
# change in place and are cheap to check: they are validated by every gate.
REUSABLE_SCHEMAS = ("staging", "intermediate")


def _reusable(relations: list[str]) -> list[str]:
    return [r for r in relations if r.split(".", 1)[0] in REUSABLE_SCHEMAS]


def _reused_validations(conn: Any, run_id: str | None, relations: list[str]) -> dict[str, tuple[int, list[Failure]]]:
    """This run's earlier validations of ``relations`` that still describe the tables as they are."""
    if not run_id or not relations:
        return {}
    rows = conn.execute(
        "SELECT relation, evaluated, failures FROM audit.relation_validations "
        "WHERE run_id = %s AND relation = ANY(%s) AND relfilenode = pg_relation_filenode(relation::regclass)",
        (run_id, relations),
    ).fetchall()
    return {relation: (evaluated, [Failure(**f) for f in failures]) for relation, evaluated, failures in rows}


def _remember_validation(conn: Any, run_id: str, relation: str, evaluated: int, failures: list[Failure]) -> None:
    conn.execute(
        "INSERT INTO audit.relation_validations (run_id, relation, relfilenode, evaluated, failures) "
        "VALUES (%s, %s, pg_relation_filenode(%s::regclass), %s, %s) ON CONFLICT DO NOTHING",
        (run_id, relation, relation, evaluated, json.dumps([asdict(f) for f in failures], default=str)),
    )


def _dbt_failures(mart: str, dbt_outcome: dict[str, Any]) -> tuple[int, list[Failure]]:
    failures = []
    evaluated = 1 + len(dbt_outcome.get("failed_tests", [])) + len(dbt_outcome.get("warned_tests", []))
    if not dbt_outcome.get("built"):
        failures.append(Failure(f"dbt build of {mart}", "error", observed=dbt_outcome.get("status") or "not run",
                                check="dbt"))
    for test in dbt_outcome.get("failed_tests", []):
        failures.append(Failure(f"dbt test {test['test']}", "error", observed=test.get("failures") or test.get("message"),
                                check="dbt"))
    for test in dbt_outcome.get("warned_tests", []):
        failures.append(Failure(f"dbt test {test['test']}", "warning", observed=test.get("failures"), check="dbt"))
    return evaluated, failures


# --- validating only the rows a candidate changed ----------------------------------------------


def row_checks_fingerprint(expectations: list) -> str:
    """A digest of a suite's row-local checks (kind, arguments, severity)."""
    from expectations.checks import is_row_local

    configs = sorted(json.dumps(e.configuration.to_json_dict(), sort_keys=True, default=str)
                     for e in expectations if is_row_local(e))
    return hashlib.sha256("\n".join(configs).encode()).hexdigest()


@dataclass(frozen=True)
class PublishedValidation:
    """The gate that let the published version of a mart through."""

    relid: int
    row_checks: str | None
    contacts_through: datetime | None
    clean: bool  # no check failed, not even a warning


def _published_validation(conn: Any, mart: str) -> PublishedValidation | None:
    row = conn.execute(
        "SELECT g.candidate_relid, g.row_checks, g.contacts_through, g.failed_errors + g.failed_warnings = 0 "
        "FROM audit.publish_log p JOIN audit.gate_results g ON g.run_id = p.run_id AND g.mart = p.mart AND g.success "
        "WHERE p.mart = %s AND p.published ORDER BY p.id DESC, g.id DESC LIMIT 1",
        (mart,),
    ).fetchone()
    return PublishedValidation(*row) if row and row[0] is not None else None


def _contacts_through(conn: Any, columns: dict[str, dict[str, Any]]) -> datetime | None:
    """When the newest customer version the privacy checks will read landed."""
    if "extracted_at" not in columns.get(CONTACTS, {}):
        return None
    return conn.execute(f"SELECT max(extracted_at) FROM {CONTACTS}").fetchone()[0]


DIFF_WORK_MEM = "512MB"  # for the one statement that diffs a candidate against its published version


def _materialize_changed_rows(conn: Any, schema: str, mart: str, run_id: str, validated_relid: int) -> tuple[str, int] | None:
    """The candidate's rows its published version does not hold, as a table in ``gate_scratch``;
    None if the published table is no longer the one that gate validated."""
    table = f"{mart}__{hashlib.sha1(run_id.encode()).hexdigest()[:10]}"
    with conn.transaction():
        conn.execute(sql.SQL("LOCK TABLE marts.{} IN ACCESS SHARE MODE").format(sql.Identifier(mart)))
        if conn.execute("SELECT to_regclass(%s)::oid::bigint", (f'marts."{mart}"',)).fetchone()[0] != validated_relid:
            return None
        scratch = sql.Identifier(SCRATCH_SCHEMA, table)
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(scratch))
        # hashing both versions instead of sorting them on disk: 5.6 s -> 3.2 s on 1.5 million rows
        conn.execute(sql.SQL("SET LOCAL work_mem = {}").format(sql.Literal(DIFF_WORK_MEM)))
        try:
            with conn.transaction():
                cursor = conn.execute(
                    sql.SQL("CREATE UNLOGGED TABLE {} AS SELECT * FROM {} EXCEPT ALL SELECT * FROM {}").format(
                        scratch, sql.Identifier(schema, mart), sql.Identifier("marts", mart)))
        except psycopg.errors.UndefinedFunction as exc:  # a column type without equality (json)
            log.info("%s: rows cannot be compared (%s)", mart, exc)
            return None
        count = cursor.rowcount
    return table, count  # committed with the block: GX reads it on connections of its own


def _drop_scratch(conn: Any, targets: list[Target]) -> None:
    for target in targets:
        if target.rows_of:
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(target.schema, target.table)))


def _mart_targets(conn: Any, schema: str, mart: str, expectations: list, fingerprint: str, ctx: Any,
                  columns: dict, run_id: str | None, lookback_minutes: float) -> tuple[list[Target], int | None]:
    """The mart's suite as one target on the whole candidate, or split in two: the row-local checks
    (whose fingerprint is ``fingerprint``) on the rows changed since the published version, the
    rest on the whole candidate. Returns the targets and the number of changed rows (None: every
    row is validated)."""
    from expectations import checks
    from expectations.suites import contacts_landed_since, mart_spec

    whole = [Target(schema, mart, f"{mart}_suite", expectations, upstream=False)]
    if schema != db.CANDIDATE_SCHEMA or not run_id:
        return whole, None
    published = _published_validation(conn, mart)
    pii = any((e.meta or {}).get("check") == "pii" for e in expectations)
    reason = None
    if published is None:
        reason = "no validated published version"
    elif published.row_checks != fingerprint:
        reason = "the row checks differ from those the published version passed"
    elif not published.clean:
        reason = "the published version passed with failed checks"
    elif list(columns.get(f"{schema}.{mart}", {}).items()) != list(columns.get(f"marts.{mart}", {}).items()):
        reason = "the candidate's columns differ from the published version's"
    elif pii and published.contacts_through is None:
        reason = "unknown which customer contacts the published version was checked against"
    changed = None if reason else _materialize_changed_rows(conn, schema, mart, run_id, published.relid)
    if changed is None:
        log.info("%s: validating every row (%s)", mart, reason or "the published table changed")
        return whole, None
    table, count = changed
    row_local = [e for e in expectations if checks.is_row_local(e)]
    table_level = [e for e in expectations if not checks.is_row_local(e)]
    if pii:
        since = published.contacts_through - timedelta(minutes=lookback_minutes)
        table_level.append(contacts_landed_since(mart_spec(mart), ctx, CONTACTS, since))
    return [Target(schema, mart, f"{mart}_suite", table_level, upstream=False),
            Target(SCRATCH_SCHEMA, table, f"{mart}_changed_rows_suite", row_local, upstream=False,
                   rows_of=f"{schema}.{mart}")], count


def validate(mart: str, *, dbt_outcome: dict[str, Any] | None = None, url: str | None = None,
             schema: str = db.CANDIDATE_SCHEMA, run_id: str | None = None, as_of: str | datetime | None = None,
             config: gate_config.GateConfig | None = None, upstream: bool = True,
             data_docs: bool = True, lookback_minutes: float = LOOKBACK_MINUTES) -> GateResult:
    """Run the gate for one candidate mart (nothing is recorded: see :func:`record`).

    ``lookback_minutes``: how late a landed customer row may commit (as for dbt's incremental
    models); contacts landed that long before the last validation are looked for again."""
    from expectations.suites import SuiteContext, build_suite, mart_spec, spec_for

    started = time.monotonic()
    url = url or warehouse.url()
    cfg = config or gate_config.load()
    failures: list[Failure] = []
    evaluated = 0
    if dbt_outcome is not None:
        evaluated, failures = _dbt_failures(mart, dbt_outcome)
    own_spec = mart_spec(mart)
    if own_spec is None:
        failures.append(Failure(f"a suite for {mart}", "error",
                                observed="none in expectations.suites, and no model of that name in dbt's manifest",
                                check="schema"))
        return GateResult(mart, f"{mart}_suite", False, evaluated, failures)

    # autocommit: no lock on the audit tables outlives its statement while GX validates (another
    # task's migration may be waiting to alter them)
    with db.connect(url, autocommit=True) as conn:
        existing = frozenset(
            f"{s}.{t}" for s, t in conn.execute(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')")
        )
        relid_row = conn.execute("SELECT to_regclass(%s)::oid::bigint", (f'"{schema}"."{mart}"',)).fetchone()
        relid = relid_row[0] if relid_row else None
        if f"{schema}.{mart}" not in existing:
            failures.append(Failure(f"table {schema}.{mart} exists", "error", observed="missing", check="schema"))
            return GateResult(mart, f"{mart}_suite", False, evaluated + 1, failures,
                              duration_seconds=round(time.monotonic() - started, 2))
        upstream_relations = [r for r in (_upstream(mart) if upstream else []) if r in existing]
        relations = [(schema, mart)] + [tuple(r.split(".", 1)) for r in upstream_relations]
        columns = _columns(conn, relations + [LANDED_POSTS, ("marts", mart),  # type: ignore[arg-type]
                                              tuple(CONTACTS.split("."))])
        contacts_through = _contacts_through(conn, columns)
        from extractors import crm

        crm_configured = crm.is_configured(conn)
        landed = landed_posts_sql(columns.get(".".join(LANDED_POSTS), {}))
        reference = reference_time(conn, schema, as_of)
        previous = _previous_rows(conn, mart) if schema == db.CANDIDATE_SCHEMA else None
        row_count = db.count_rows(conn, schema, mart)

        ledger = _raw_ledger(conn, [r for r in upstream_relations if r.startswith("raw.")])
        reused = _reused_validations(conn, run_id, _reusable(upstream_relations))
        for _relation, (count, relation_failures) in reused.items():
            evaluated += count
            failures += relation_failures
        targets: list[Target] = []
        changed_rows = fingerprint = None
        for rel_schema, table in relations:
            relation = f"{rel_schema}.{table}"
            if relation in reused:
                continue
            spec = own_spec if relation == f"{schema}.{mart}" else spec_for(relation)
            ctx = SuiteContext(schema=rel_schema, existing_tables=existing, columns=columns.get(relation, {}),
                               previous_rows=previous if spec is own_spec else None,
                               reference_time=reference, config=cfg, landed_posts=landed,
                               crm_configured=crm_configured, ledger_rows=ledger.get(relation))
            expectations = build_suite(spec, ctx)
            if spec is own_spec:
                fingerprint = row_checks_fingerprint(expectations)
                mart_targets, changed_rows = _mart_targets(conn, schema, mart, expectations, fingerprint, ctx,
                                                           columns, run_id, lookback_minutes)
                targets += mart_targets
            elif expectations:
                targets.append(Target(rel_schema, table, f"{relation}_suite", expectations, upstream=True))
        try:
            outcomes, docs_url = run_targets(url, targets, mart=mart, run_name=run_id or f"adhoc-{int(time.time())}",
                                             data_docs=data_docs)
            reusable = set(_reusable(upstream_relations))
            for target, outcome in outcomes:
                target_failures = _failures(target, outcome, conn)
                evaluated += len(outcome.results)
                failures += target_failures
                if run_id and target.relation in reusable:
                    _remember_validation(conn, run_id, target.relation, len(outcome.results), target_failures)
                if run_id and target.schema == "raw" and not any(f.severity == "error" for f in target_failures):
                    record_raw_rows(conn, target.relation, run_id)  # a known-good state of the raw table
        finally:
            _drop_scratch(conn, targets)

    success = not any(f.severity == "error" for f in failures)
    return GateResult(
        mart, f"{mart}_suite", success, evaluated, failures, row_count, docs_url,
        relations=[f"{s}.{t}" for s, t in relations],
        reference_time=reference.isoformat() if reference else None,
        candidate_relid=relid,
        duration_seconds=round(time.monotonic() - started, 2),
        row_checks=fingerprint,
        contacts_through=contacts_through,
        changed_rows=changed_rows,
    )


def record(result: GateResult, run_id: str, *, url: str | None = None) -> int:
    """Write the gate's outcome to ``audit.gate_results`` and each failure to ``audit.gate_failures``."""
    with db.connect(url) as conn:
        gate_id = conn.execute(
            """
            INSERT INTO audit.gate_results
                (run_id, mart, suite, success, evaluated, failed_errors, failed_warnings, failures, row_count,
                 data_docs_url, relations, reference_time, candidate_relid, duration_seconds, row_checks,
                 contacts_through, changed_rows)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            RETURNING id
            """,
            (
                run_id, result.mart, result.suite, result.success, result.evaluated, len(result.errors),
                len(result.warnings), json.dumps([asdict(f) for f in result.failures], default=str),
                result.row_count, result.data_docs_url, result.relations, result.reference_time,
                result.candidate_relid, result.duration_seconds, result.row_checks, result.contacts_through,
                result.changed_rows,
            ),
        ).fetchone()[0]
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO audit.gate_failures (gate_result_id, run_id, mart, relation, expectation, check_kind, "
                "severity, observed, details) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb)",
                [(gate_id, run_id, result.mart, f.relation, f.expectation, f.check, f.severity,
                  None if f.observed is None else str(f.observed), json.dumps(f.details, default=str))
                 for f in result.failures],
            )
        conn.commit()
    return gate_id
