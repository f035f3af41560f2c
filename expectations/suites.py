"""The expectation suite of every gated table, as code: each published mart and the staging and raw
relations it depends on.

A suite is declared as a :class:`TableSpec` (keys, ranges, labels, timestamps, freshness, volume,
references, null-rate ceilings, expected columns and types) and turned into Great Expectations
expectations for one validation by :func:`build_suite`, which sees the table as it is
(:class:`SuiteContext`): checks on optional columns apply only when the column exists, and checks
on a column missing from the contract are left to the schema check that reports it.

A mart published by its yml alone (``meta: {publish: true}``) gets a default suite derived from
its contract and tests (:func:`derived_spec`); declare a ``TableSpec`` in ``MARTS`` below for more.
Severities and bounds come from :mod:`expectations.gate_settings`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from expectations import checks
from expectations.gate_settings import GateConfig

SEGMENTS = ("consumer", "small_business", "enterprise")
SENTIMENT_LABELS = ("negative", "neutral", "positive")
INTENTS = ("complaint", "question", "praise", "other")
TIERS = ("A", "B", "C")


@dataclass(frozen=True)
class ColumnInfo:
    data_type: str
    precision: int | None = None
    scale: int | None = None
    length: int | None = None


@dataclass(frozen=True)
class SuiteContext:
    """What a suite may refer to besides its own table: the schema it is validated in, the tables
    that exist at validation time (``schema.table``), the table's own columns, the row count of
    the last published version, the build's reference time and the gate's configuration."""

    schema: str
    existing_tables: frozenset[str] = field(default_factory=frozenset)
    columns: dict[str, ColumnInfo] | None = None
    previous_rows: int | None = None
    reference_time: datetime | None = None
    config: GateConfig = field(default_factory=GateConfig)
    landed_posts: str | None = None  # SQL: (channel, newest) of the inbound posts this build read
    crm_configured: bool = True  # False: no CRM is set up (a dump on its own), customers are expected to be absent
    ledger_rows: int | None = None  # a raw table's rows when a gate last found none lost

    def customer_tables(self) -> list[str]:
        """This build's customers and the published dim_customers: a customer id is valid if it
        resolves in either, as it will once this build's dim_customers is published. This build's
        are read from ``staging.stg_crm__customers`` (dim_customers has one row per customer there),
        not from the candidate dim_customers, which its own publish task may move into ``marts``
        while this check runs (gates and publishes of different marts run in parallel)."""
        wanted = ["staging.stg_crm__customers", "marts.dim_customers"]
        return [t for t in wanted if t in self.existing_tables]

    def has(self, column: str) -> bool:
        """Whether the table has ``column`` (assumed when the columns are not known)."""
        return self.columns is None or column in self.columns

    def info(self, column: str) -> ColumnInfo | None:
        return (self.columns or {}).get(column)

    def text_columns(self) -> list[str]:
        return [c for c, i in (self.columns or {}).items() if i.data_type in checks.TYPE_FAMILIES["text"]]


@dataclass(frozen=True)
class Freshness:
    channel: str
    stamp: str
    day_grain: bool = False


@dataclass(frozen=True)
class TableSpec:
    """The checks of one table. ``columns`` is the contract (name -> type family: integer, number,
    text, timestamp, date, boolean); ``optional`` columns are type-checked only when present."""

    name: str
    layer: str  # mart | staging | raw
    columns: dict[str, str] = field(default_factory=dict)
    optional: dict[str, str] = field(default_factory=dict)
    key: tuple[str, ...] = ()
    grain: tuple[str, ...] = ()  # a second unique combination of columns
    not_null: tuple[str, ...] = ()
    ranges: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    channel_labels: tuple[str, ...] = ()  # open sets of lower-case labels (channels)
    ordered: tuple[tuple[str, str, float], ...] = ()  # (low, high, tolerance): low <= high
    timestamps: tuple[str, ...] = ()  # none in the future
    future_descriptions: dict[str, str] = field(default_factory=dict)
    null_ceilings: dict[str, float] = field(default_factory=dict)
    customer_ref: str | None = None
    freshness: Freshness | None = None
    volume: bool = False
    volume_by: tuple[str, ...] = ()  # the volume bound also holds for each value of these (channel)
    not_empty: bool = False
    customers_only: bool = False  # its rows come from the CRM alone: empty is a warning when no CRM is configured
    pii_free: bool = False
    upstream: tuple[str, ...] = ()  # fallback lineage when dbt's manifest is unavailable
    extra: Callable[[SuiteContext, TableSpec], list] | None = None

    @property
    def schema_checked(self) -> bool:
        return bool(self.columns)


def _sev(ctx: SuiteContext, spec: TableSpec, check: str) -> str:
    return ctx.config.severity(spec.name, spec.layer, check)


def build_suite(spec: TableSpec, ctx: SuiteContext) -> list:
    """The GX expectations of ``spec`` for one validation in ``ctx``."""
    sev = lambda check: _sev(ctx, spec, check)  # noqa: E731
    out: list = []
    if spec.not_empty:
        if spec.customers_only and not ctx.crm_configured:
            out.append(checks.not_empty(checks.WARNING, "the table is not empty (no CRM is configured: expected)"))
        else:
            out.append(checks.not_empty(sev("not_empty")))
    if spec.volume and ctx.previous_rows:
        bound = ctx.config.volume_for(spec.name)
        out.append(checks.volume(ctx.previous_rows, bound.min_ratio, bound.max_ratio, sev("volume"), bound.min_rows))
        published = f"marts.{spec.name}"
        if spec.volume_by and published in ctx.existing_tables and all(ctx.has(c) for c in spec.volume_by):
            out.append(checks.volume_per_group(spec.volume_by, published, bound.min_ratio, bound.max_ratio,
                                               bound.min_rows, sev("volume")))
    if spec.layer == "raw" and ctx.ledger_rows is not None:
        out.append(checks.no_raw_rows_lost(ctx.ledger_rows, sev("raw_loss")))
    if spec.columns:
        out.append(checks.columns_present(spec.columns, sev("schema")))
    for column, family in {**spec.columns, **spec.optional}.items():
        if ctx.columns is not None and column in ctx.columns:
            out.append(checks.column_type(column, family, ctx.info(column), sev("schema")))
    present = [c for c in spec.key if ctx.has(c)]
    if present and len(present) == len(spec.key):
        out += checks.key(spec.key, sev("key"))
    if spec.grain and all(ctx.has(c) for c in spec.grain):
        out.append(checks.unique(spec.grain, f"one row per {checks.columns_label(spec.grain)}", "key", sev("key")))
    out += [checks.not_null(c, sev("not_null")) for c in spec.not_null if ctx.has(c)]
    out += [checks.value_range(c, lo, hi, sev("range")) for c, (lo, hi) in spec.ranges.items() if ctx.has(c)]
    out += [checks.labels(c, allowed, sev("labels")) for c, allowed in spec.labels.items() if ctx.has(c)]
    out += [checks.label_pattern(c, checks.CHANNEL_PATTERN, sev("labels")) for c in spec.channel_labels if ctx.has(c)]
    out += [checks.ordered(lo, hi, tol, sev("order")) for lo, hi, tol in spec.ordered if ctx.has(lo) and ctx.has(hi)]
    out += [checks.not_in_future(c, ctx.config.future_tolerance_minutes, sev("future"), spec.future_descriptions.get(c))
            for c in spec.timestamps if ctx.has(c)]
    out += [checks.null_rate(c, ceiling, sev("null_rate")) for c, ceiling in spec.null_ceilings.items() if ctx.has(c)]
    if spec.customer_ref and ctx.has(spec.customer_ref):
        out.append(checks.references(spec.customer_ref, "customer_id", ctx.customer_tables(), "dim_customers",
                                     sev("reference")))
    if spec.freshness and ctx.has(spec.freshness.channel) and ctx.has(spec.freshness.stamp):
        out += _freshness(spec, ctx, sev("freshness"))
    if spec.pii_free and "staging.stg_crm__customers" in ctx.existing_tables:
        pii = checks.no_customer_pii(ctx.text_columns(), "staging.stg_crm__customers", sev("pii"),
                                     show=_row_keys(spec, ctx))
        if pii is not None:
            out.append(pii)
    if spec.extra:
        out += spec.extra(ctx, spec)
    return out


def contacts_landed_since(spec: TableSpec, ctx: SuiteContext, customers: str, since: datetime):
    """The privacy check of ``spec`` for the contacts of customers landed after ``since`` only
    (rows validated earlier were checked against the contacts known then)."""
    return checks.no_customer_pii(ctx.text_columns(), customers, _sev(ctx, spec, "pii"), since=since,
                                  show=_row_keys(spec, ctx))


def _row_keys(spec: TableSpec, ctx: SuiteContext) -> tuple[str, ...]:
    """The columns naming a row of ``spec`` (its key, else its grain) that the table has: what a
    privacy failure's sample shows instead of the row and its contact details."""
    return tuple(c for c in (spec.key or spec.grain) if ctx.has(c))


def _freshness(spec: TableSpec, ctx: SuiteContext, severity: str) -> list:
    """Two levels. Past ``warn_after_hours`` before the build: a warning (a quiet channel, a stopped
    extractor, a historical dump: the numbers are right but old). Past ``error_after_hours`` behind
    the newest post the build read for that channel: the configured severity (the mart lost data)."""
    cfg = ctx.config
    published = f"marts.{spec.name}"
    expected_from = published if spec.layer == "mart" and published in ctx.existing_tables else None
    out = []
    for level, pick, level_severity, landed in (
        ("warning", lambda b: b.warn_after_hours, checks.WARNING, None),
        ("error", lambda b: b.error_after_hours, severity, ctx.landed_posts),
    ):
        out.append(checks.freshness(
            spec.freshness.channel, spec.freshness.stamp, reference=ctx.reference_time,
            hours_by_channel={c: pick(b) for c, b in cfg.freshness_per_channel.items()},
            default_hours=pick(cfg.freshness), day_grain=spec.freshness.day_grain,
            expected_from=expected_from, landed=landed, severity=level_severity, level=level,
        ))
    return out


# --- custom checks -----------------------------------------------------------------------------


def _sentiment_counts_add_up(ctx: SuiteContext, spec: TableSpec) -> list:
    needed = ("positive_count", "neutral_count", "negative_count", "scored_post_count", "post_count")
    if not all(ctx.has(c) for c in needed):
        return []
    return [checks.sql_check(
        "SELECT * FROM {batch} WHERE positive_count + neutral_count + negative_count <> scored_post_count "
        "OR scored_post_count > post_count",
        "labels add up to the scored posts", "custom", _sev(ctx, spec, "custom"),
        show=("sentiment_key", "post_count", "scored_post_count"), rows=True,
    )]


def _answered_flag_matches(ctx: SuiteContext, spec: TableSpec) -> list:
    if not (ctx.has("is_answered") and ctx.has("first_response_at")):
        return []
    return [checks.sql_check(
        "SELECT * FROM {batch} WHERE is_answered IS DISTINCT FROM (first_response_at IS NOT NULL)",
        "is_answered exactly when there is a first response", "custom", _sev(ctx, spec, "custom"),
        show=("post_key", "is_answered", "first_response_at"), rows=True,
    )]


def _raw_payload_is_object(ctx: SuiteContext, spec: TableSpec) -> list:
    return [checks.sql_check(
        "SELECT * FROM {batch} WHERE jsonb_typeof(payload) <> 'object'",
        "payload is a JSON object", "custom", _sev(ctx, spec, "custom"), show=("native_id",), rows=True,
    )]


# --- the published marts -----------------------------------------------------------------------

_SOCIAL_UPSTREAM = ("staging.stg_x__tweets", "staging.stg_facebook__comments", "staging.stg_enrichment__post_scores",
                    "raw.x_tweets", "raw.facebook_comments")
_CRM_UPSTREAM = ("staging.stg_crm__customers", "staging.stg_crm__orders", "staging.stg_crm__support_tickets",
                 "raw.crm_customers", "raw.crm_orders", "raw.crm_support_tickets")

MARTS: dict[str, TableSpec] = {spec.name: spec for spec in (
    TableSpec(
        "mart_sentiment", "mart",
        channel_labels=("channel",),
        timestamps=("activity_date",),
        future_descriptions={"activity_date": "no activity dates in the future"},
        null_ceilings={"avg_sentiment_score": 0.05, "brand_account": 0.01},
        freshness=Freshness("channel", "activity_date", day_grain=True),
        volume=True, volume_by=("channel",), not_empty=True, pii_free=True,
        upstream=_SOCIAL_UPSTREAM + ("staging.stg_crm__customers", "raw.crm_customers"),
        extra=_sentiment_counts_add_up,
    ),
    TableSpec(
        "mart_response_times", "mart",
        channel_labels=("channel",),
        ordered=(("received_at", "first_response_at", 0), ("received_at", "resolved_at", 0),
                 ("first_response_business_minutes", "first_response_calendar_minutes", 0.01)),
        timestamps=("received_at", "first_response_at", "resolved_at"),
        null_ceilings={"first_response_at": 0.5},
        customer_ref="customer_id",
        freshness=Freshness("channel", "received_at"),
        volume=True, volume_by=("channel",), not_empty=True, pii_free=True,
        upstream=_SOCIAL_UPSTREAM + _CRM_UPSTREAM[:2] + ("raw.crm_customers", "raw.crm_orders"),
        extra=_answered_flag_matches,
    ),
    TableSpec(
        "mart_response_times_daily", "mart",
        channel_labels=("channel",),
        ordered=(("answered_count", "inbound_count", 0), ("breached_count", "inbound_count", 0),
                 ("p50_first_response_minutes", "p90_first_response_minutes", 0.01),
                 ("p50_first_response_business_minutes", "p90_first_response_business_minutes", 0.01),
                 ("p50_first_response_business_minutes", "p50_first_response_minutes", 0.01),
                 ("p90_first_response_business_minutes", "p90_first_response_minutes", 0.01)),
        timestamps=("received_date",),
        freshness=Freshness("channel", "received_date", day_grain=True),
        volume=True, volume_by=("channel",), not_empty=True, pii_free=True,
        upstream=_SOCIAL_UPSTREAM + _CRM_UPSTREAM[:2] + ("raw.crm_customers", "raw.crm_orders"),
    ),
    TableSpec(
        "mart_priority_queue", "mart",
        channel_labels=("channel",),
        timestamps=("received_at",),
        customer_ref="customer_id",
        pii_free=True,  # the queue may be empty (everything answered); its size swings: no volume bound
        upstream=_SOCIAL_UPSTREAM + _CRM_UPSTREAM[:2] + ("raw.crm_customers", "raw.crm_orders"),
    ),
    TableSpec(
        "dim_customers", "mart",
        ordered=(("open_ticket_count", "ticket_count", 0), ("first_order_at", "last_order_at", 0)),
        timestamps=("customer_since", "last_order_at", "last_interaction_at"),
        null_ceilings={"segment": 0.01},
        volume=True, not_empty=True, customers_only=True, pii_free=True,
        upstream=_SOCIAL_UPSTREAM + _CRM_UPSTREAM,
    ),
    TableSpec(
        "fct_interactions", "mart",
        channel_labels=("channel",),
        timestamps=("occurred_at",),
        customer_ref="customer_id",
        volume=True, volume_by=("channel", "interaction_type"), not_empty=True, pii_free=True,
        upstream=_SOCIAL_UPSTREAM + _CRM_UPSTREAM,
    ),
)}

# --- the layers they depend on ------------------------------------------------------------------

STAGING: dict[str, TableSpec] = {f"staging.{spec.name}": spec for spec in (
    # keys, not-nulls, ranges and accepted values are in each staging folder's yml (read from the
    # manifest, see staging_spec); the gate adds the clock (no post dated after the build) and orders
    TableSpec("stg_x__tweets", "staging", timestamps=("created_at",)),
    TableSpec("stg_facebook__comments", "staging", timestamps=("created_at",)),
    TableSpec("stg_facebook__posts", "staging", timestamps=("created_at",)),
    TableSpec("stg_enrichment__post_scores", "staging"),
    TableSpec("stg_discourse__posts", "staging", timestamps=("created_at",)),
    TableSpec("stg_twcs__tweets", "staging", timestamps=("created_at",)),
    TableSpec("stg_jsonl__posts", "staging", timestamps=("created_at",)),
    TableSpec("stg_crm__customers", "staging", timestamps=("created_at", "updated_at")),
    TableSpec("stg_crm__orders", "staging", timestamps=("ordered_at",)),
    TableSpec("stg_crm__support_tickets", "staging", ordered=(("opened_at", "closed_at", 0),), timestamps=("opened_at",)),
)}


def raw_spec(table: str) -> TableSpec:
    """Every raw landing table has the same shape, so one suite fits all of them (keys, non-null
    columns and uniqueness of (native_id, payload_hash) are constraints of the table itself)."""
    return TableSpec(table, "raw", timestamps=("extracted_at", "source_updated_at"), extra=_raw_payload_is_object)


def spec_for(relation: str) -> TableSpec | None:
    """The spec of a mart (``mart_sentiment``) or of an upstream relation (``staging.x``, ``raw.x``)."""
    if relation in MARTS:
        return mart_spec(relation)
    if relation in STAGING:
        return staging_spec(relation)
    schema, _, table = relation.partition(".")
    if schema == "raw" and table:
        from social360.core.catalog import raw_tables

        return raw_spec(table) if table in raw_tables() else None
    return None


# --- a mart published by its yml alone ------------------------------------------------------------

_FAMILY_OF_TYPE = {
    "integer": "integer", "int": "integer", "int4": "integer", "int8": "integer", "bigint": "integer",
    "smallint": "integer", "numeric": "number", "decimal": "number", "double precision": "number",
    "float": "number", "float8": "number", "real": "number", "text": "text", "character varying": "text",
    "varchar": "text", "timestamp with time zone": "timestamp", "timestamptz": "timestamp", "date": "date",
    "boolean": "boolean", "bool": "boolean",
}


def _family(data_type: str | None) -> str | None:
    base = (data_type or "").lower().split("(")[0].strip()
    return _FAMILY_OF_TYPE.get(base)


def derived_spec(name: str, nodes: dict[str, dict]) -> TableSpec | None:
    """The default gate of a mart published by ``meta: {publish: true}`` without a hand-written
    spec, from its yml in dbt's manifest: the contract's columns and types, a key from its
    ``unique`` test (or primary-key/unique constraint), its ``not_null`` tests and constraints, its
    ``accepted_values`` tests, ``accepted_range`` tests as ranges, a volume bound against its
    last published version, and no customer contacts in its text."""
    model_id, model = next(((i, n) for i, n in nodes.items()
                            if n.get("resource_type") == "model" and n.get("name") == name), (None, None))
    if model is None:
        return None
    columns, uniques, not_null = {}, [], []
    labels: dict[str, tuple[str, ...]] = {}
    ranges: dict[str, tuple[float | None, float | None]] = {}
    for column, info in (model.get("columns") or {}).items():
        if family := _family(info.get("data_type")):
            columns[column] = family
        for constraint in info.get("constraints") or []:
            kind = constraint.get("type")
            if kind in ("primary_key", "unique"):
                uniques.append(column)
            if kind in ("primary_key", "not_null"):
                not_null.append(column)
    grain: tuple[str, ...] = ()
    for test in nodes.values():
        if test.get("resource_type") != "test" or test.get("attached_node") != model_id:
            continue
        meta = test.get("test_metadata") or {}
        kwargs, column = meta.get("kwargs") or {}, test.get("column_name") or (meta.get("kwargs") or {}).get("column_name")
        if (test.get("config") or {}).get("severity", "error").lower() != "error":
            continue
        if meta.get("name") == "unique_combination_of_columns" and kwargs.get("combination_of_columns"):
            grain = tuple(kwargs["combination_of_columns"])
        if not column:
            continue
        if meta.get("name") == "unique":
            uniques.append(column)
        elif meta.get("name") == "not_null":
            not_null.append(column)
        elif meta.get("name") == "accepted_values" and kwargs.get("values"):
            labels[column] = tuple(str(v) for v in kwargs["values"])
        elif meta.get("name") == "accepted_range":
            ranges[column] = (kwargs.get("min_value"), kwargs.get("max_value"))
    uniques = list(dict.fromkeys(uniques))
    return TableSpec(
        name, "mart", columns=columns,
        key=tuple(uniques[:1]), grain=grain or tuple(uniques[1:2]),
        not_null=tuple(c for c in dict.fromkeys(not_null) if c not in uniques[:1]),
        labels=labels, ranges=ranges, volume=True, pii_free=True,
    )


# What a mart's yml says (dbt's contract and tests): the gate reads these from the manifest, and
# ``MARTS`` never restates them.
DBT_RULES = ("columns", "optional", "key", "grain", "not_null", "ranges", "labels")


def _manifest_nodes() -> dict[str, dict]:
    """dbt's newest manifest, parsed first if there is none yet."""
    from social360.core.catalog import manifest_nodes

    nodes = manifest_nodes()
    if nodes is None:
        from social360.transform import dbt_runner

        dbt_runner.parse()
        nodes = manifest_nodes() or {}
    return nodes


def mart_spec(name: str) -> TableSpec | None:
    """The spec of a published mart: the rules of its yml (contract types, keys and grain, not-nulls,
    ranges, accepted values), with what only the gate can say from ``MARTS`` (volume against the
    published version, freshness against its inputs, null-rate ceilings, contact details, the
    clock, cross-column orders); a mart published by its yml alone gets the default gate."""
    derived = derived_spec(name, _manifest_nodes())
    own = MARTS.get(name)
    if derived is None:
        return own
    if own is None:
        return derived
    return dataclasses.replace(own, **{rule: getattr(derived, rule) for rule in DBT_RULES})


def staging_spec(relation: str) -> TableSpec:
    """The spec of a staging model: the rules of its folder's yml, with the gate's own from ``STAGING``."""
    own = STAGING[relation]
    derived = derived_spec(own.name, _manifest_nodes())
    if derived is None:
        return own
    return dataclasses.replace(own, **{rule: getattr(derived, rule) for rule in DBT_RULES})


def _suite_builder(name: str) -> Callable[[SuiteContext], list]:
    def build(ctx: SuiteContext) -> list:
        return build_suite(mart_spec(name), ctx)

    build.__name__ = name
    return build


# mart -> function(SuiteContext) -> expectations (the gate's entry point for each mart).
SUITES: dict[str, Callable[[SuiteContext], list]] = {name: _suite_builder(name) for name in MARTS}
