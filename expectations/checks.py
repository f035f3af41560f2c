"""Building blocks of the suites: each function returns Great Expectations expectations for one
kind of check, tagged with that kind and a severity.

SQL-based checks are GX ``UnexpectedRowsExpectation``s over the ``{batch}`` placeholder that ask
GX for the count of unexpected rows only (``unexpected_rows_count``); the gate samples a few of
the rows of a failed check for the audit. Every expectation carries
``meta = {"check": <kind>, "show": [columns to sample], "rows": <row-local>}``: a row-local
check judges each row by itself alone (a row that passed once passes again), so the gate may run
it on only the rows a candidate changed since the version last validated and published.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any, ClassVar

ERROR = "error"
WARNING = "warning"

# information_schema data types of each type family the suites speak of.
TYPE_FAMILIES: dict[str, frozenset[str]] = {
    "integer": frozenset({"bigint", "integer", "smallint"}),
    "number": frozenset({"bigint", "integer", "smallint", "numeric", "double precision", "real"}),
    "text": frozenset({"text", "character varying"}),
    "timestamp": frozenset({"timestamp with time zone"}),
    "date": frozenset({"date"}),
    "boolean": frozenset({"boolean"}),
}

CHANNEL_PATTERN = r"^[a-z][a-z0-9_.-]{0,63}$"


def gxe():
    """``great_expectations.expectations``, imported on first use (quietly)."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations.expectations as module

    return module


def _gx_severity(severity: str) -> str:
    return "warning" if severity == WARNING else "critical"


def tag(expectation, check: str, severity: str, show: Iterable[str] = (), *, rows: bool = False):
    """Attach the check kind, the columns worth sampling on failure, whether the check is row-local
    and the severity."""
    expectation.meta = {**(expectation.meta or {}), "check": check, "show": list(show), "rows": rows}
    expectation.severity = _gx_severity(severity)
    return expectation


def literal(value: Any) -> str:
    """A SQL literal for the values the suites embed (numbers, strings, timestamps)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, datetime):
        return f"timestamptz '{value.isoformat()}'"
    text = str(value).replace("'", "''").replace("{", "{{").replace("}", "}}")
    return f"'{text}'"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@functools.cache
def unexpected_rows_count() -> type:
    """GX's ``UnexpectedRowsExpectation`` asking only for the count of unexpected rows.

    The stock expectation computes two metrics, the rows (up to 200) and their count, so every
    check runs its query twice over the whole table, and with the SUMMARY result format the gate
    uses the rows are not even returned. The gate samples failing rows itself (``gate._sample``).
    """

    class UnexpectedRowsCount(gxe().UnexpectedRowsExpectation):  # type: ignore[misc, name-defined]
        metric_dependencies: ClassVar[tuple[str, ...]] = ("unexpected_rows_query.row_count",)

        def _validate(self, metrics: dict, runtime_configuration: dict | None = None,
                      execution_engine: Any = None) -> dict:
            count = metrics["unexpected_rows_query.row_count"]
            return {"success": count == 0, "result": {"observed_value": count}}

    return UnexpectedRowsCount


def sql_check(query: str, description: str, check: str, severity: str, show: Iterable[str] = (), *,
              rows: bool = False):
    """Rows returned by ``query`` (over ``{batch}``) are failures; ``rows``: the query judges each
    row by itself alone."""
    return tag(unexpected_rows_count()(unexpected_rows_query=query, description=description),
               check, severity, show, rows=rows)


def is_row_local(expectation) -> bool:
    return bool((expectation.meta or {}).get("rows"))


# --- schema ------------------------------------------------------------------------------------


def gx_type_name(info: Any) -> str:
    """The type name GX reports for a PostgreSQL column (SQLAlchemy's compiled type)."""
    data_type = info.data_type
    if data_type == "numeric":
        return f"NUMERIC({info.precision}, {info.scale})" if info.precision is not None else "NUMERIC"
    if data_type == "character varying":
        return f"VARCHAR({info.length})" if info.length else "VARCHAR"
    return {"timestamp with time zone": "TIMESTAMP WITH TIME ZONE",
            "timestamp without time zone": "TIMESTAMP WITHOUT TIME ZONE"}.get(data_type, data_type.upper())


def type_list(family: str, info: Any | None) -> list[str]:
    """GX type names accepted for ``family``: its plain names, plus the column's exact parametrised
    name (``NUMERIC(6, 4)``) when its data type belongs to the family."""
    names = {
        "bigint": "BIGINT", "integer": "INTEGER", "smallint": "SMALLINT", "numeric": "NUMERIC",
        "double precision": "DOUBLE PRECISION", "real": "REAL", "text": "TEXT", "character varying": "VARCHAR",
        "timestamp with time zone": "TIMESTAMP WITH TIME ZONE", "date": "DATE", "boolean": "BOOLEAN",
    }
    accepted = sorted(names[t] for t in TYPE_FAMILIES[family])
    if info is not None and info.data_type in TYPE_FAMILIES[family]:
        exact = gx_type_name(info)
        if exact not in accepted:
            accepted.append(exact)
    return accepted


def columns_present(columns: Iterable[str], severity: str):
    return tag(gxe().ExpectTableColumnsToMatchSet(
        column_set=sorted(columns), exact_match=False, description="the contract's columns are present",
    ), "schema", severity)


def column_type(column: str, family: str, info: Any | None, severity: str):
    return tag(gxe().ExpectColumnValuesToBeInTypeList(
        column=column, type_list=type_list(family, info), description=f"{column} is of type {family}",
    ), "schema", severity)


# --- values ------------------------------------------------------------------------------------


def key(columns: tuple[str, ...], severity: str) -> list:
    g = gxe()
    checks = [tag(g.ExpectColumnValuesToNotBeNull(column=c, description=f"key {c} is not null"), "key", severity,
                  rows=True) for c in columns]
    checks.append(unique(columns, f"key {columns_label(columns)} is unique", "key", severity))
    return checks


def columns_label(columns: tuple[str, ...]) -> str:
    """``a`` for one column, ``(a, b)`` for several, as descriptions name them."""
    return columns[0] if len(columns) == 1 else f"({', '.join(columns)})"


def unique(columns: tuple[str, ...], description: str, check: str, severity: str):
    """No two rows share ``columns`` (rows with a null among them are left to the not-null checks).

    One hash aggregate over the table; GX's uniqueness expectations make two passes with a window
    count per value (4.5 s against under 1 s on 1.5 million rows). The unexpected rows are every
    row of a repeated value, as GX counts them."""
    cols = ", ".join(quote_ident(c) for c in columns)
    present = " AND ".join(f"{quote_ident(c)} IS NOT NULL" for c in columns)
    query = (f"SELECT * FROM {{batch}} WHERE ({cols}) IN "
             f"(SELECT {cols} FROM {{batch}} WHERE {present} GROUP BY {cols} HAVING count(*) > 1)")
    return sql_check(query, description, check, severity, show=columns)


def not_null(column: str, severity: str):
    return tag(gxe().ExpectColumnValuesToNotBeNull(column=column, description=f"{column} is not null"),
               "not_null", severity, rows=True)


def null_rate(column: str, ceiling: float, severity: str):
    return tag(gxe().ExpectColumnValuesToNotBeNull(
        column=column, mostly=round(1 - ceiling, 6), description=f"at most {ceiling:.0%} of {column} is null",
    ), "null_rate", severity)


def value_range(column: str, low: float | None, high: float | None, severity: str):
    bounds = " and ".join(part for part in (f">= {low}" if low is not None else "",
                                            f"<= {high}" if high is not None else "") if part)
    return tag(gxe().ExpectColumnValuesToBeBetween(
        column=column, min_value=low, max_value=high, description=f"{column} {bounds}",
    ), "range", severity, rows=True)


def labels(column: str, allowed: tuple[str, ...], severity: str):
    return tag(gxe().ExpectColumnValuesToBeInSet(
        column=column, value_set=list(allowed), description=f"{column} is one of {', '.join(allowed)}",
    ), "labels", severity, rows=True)


def label_pattern(column: str, pattern: str, severity: str):
    return tag(gxe().ExpectColumnValuesToMatchRegex(
        column=column, regex=pattern, description=f"{column} is a lower-case label",
    ), "labels", severity, rows=True)


def ordered(low: str, high: str, tolerance: float, severity: str, description: str | None = None):
    """``low <= high`` wherever both are present."""
    slack = f" + {tolerance!r}" if tolerance else ""
    return sql_check(
        f"SELECT * FROM {{batch}} WHERE {quote_ident(low)} > {quote_ident(high)}{slack}",
        description or f"{low} <= {high}", "order", severity, show=(low, high), rows=True,
    )


def not_in_future(column: str, tolerance_minutes: int, severity: str, description: str | None = None):
    return sql_check(
        f"SELECT * FROM {{batch}} WHERE {quote_ident(column)} > now() + interval '{int(tolerance_minutes)} minutes'",
        description or f"no {column} in the future", "future", severity, show=(column,), rows=True,
    )


# --- freshness and volume ----------------------------------------------------------------------


def freshness(channel: str, stamp: str, *, reference: datetime | None, hours_by_channel: dict[str, float],
              default_hours: float, day_grain: bool, expected_from: str | None, landed: str | None,
              severity: str, level: str):
    """Per channel, the newest row is at most N hours older than the build's reference time, capped
    (when ``landed`` gives each channel's newest landed post) at the newest data the build had: a mart
    behind its own inputs is stale, while a channel whose source is quiet, or a historical dump, is
    judged by the inputs. A channel of the published version missing from the candidate is stale."""
    ref = literal(reference) if reference else "now()"
    limit = " ".join(f"WHEN {literal(c)} THEN {h!r}" for c, h in sorted(hours_by_channel.items()))
    hours = f"CASE channels.channel {limit} ELSE {default_hours!r} END" if limit else repr(default_hours)
    newest = f"max({quote_ident(stamp)})" + (" + interval '1 day'" if day_grain else "")
    expected = (f" UNION SELECT DISTINCT {quote_ident(channel)} FROM {expected_from}" if expected_from else "")
    landed_cte = f", landed AS ({landed})" if landed else ""
    landed_join = " LEFT JOIN landed USING (channel)" if landed else ""
    due = f"least({ref}, coalesce(landed.newest, {ref}))" if landed else ref
    query = (
        f"WITH latest AS (SELECT {quote_ident(channel)} AS channel, {newest} AS newest FROM {{batch}} GROUP BY 1), "
        f"channels AS (SELECT channel FROM latest{expected}){landed_cte} "
        f"SELECT channels.channel, latest.newest, {due} AS compared_with, "
        f"round(extract(epoch FROM {due} - latest.newest)::numeric / 3600, 1) AS behind_hours "
        f"FROM channels LEFT JOIN latest USING (channel){landed_join} "
        f"WHERE latest.newest IS NULL OR latest.newest < {due} - ({hours}) * interval '1 hour'"
    )
    description = (f"every channel is at most {default_hours:g} h behind the data it was built from"
                   if landed else f"every channel has rows newer than {default_hours:g} h before the build")
    return sql_check(query, f"{description} ({level})", "freshness", severity,
                     show=("channel", "newest", "compared_with", "behind_hours"))


def volume(previous_rows: int, min_ratio: float, max_ratio: float, severity: str, min_rows: int = 0):
    """The row count within ``min_ratio``..``max_ratio`` of the published version's; a drop of at
    most ``min_rows`` rows always passes."""
    import math

    low = max(0, min(math.ceil(previous_rows * min_ratio), previous_rows - min_rows))
    high = max(math.floor(previous_rows * max_ratio), previous_rows + min_rows)
    return tag(gxe().ExpectTableRowCountToBeBetween(
        min_value=low, max_value=high,
        description=f"row count within {min_ratio:g}x-{max_ratio:g}x of the last published version "
                    f"({previous_rows} rows)",
    ), "volume", severity)


def volume_per_group(group: tuple[str, ...], published: str, min_ratio: float, max_ratio: float, min_rows: int,
                     severity: str):
    """Per value of ``group`` (a channel), the candidate's rows within ``min_ratio``..``max_ratio``
    of the published version's ``published``; a group that vanished counts as 0 rows; a change of
    at most ``min_rows`` rows always passes. A whole-table bound misses one channel's loss."""
    cols = ", ".join(quote_ident(c) for c in group)
    query = (
        f"WITH candidate AS (SELECT {cols}, count(*) AS rows FROM {{batch}} GROUP BY {cols}), "
        f"published AS (SELECT {cols}, count(*) AS rows FROM {published} GROUP BY {cols}) "
        f"SELECT {cols}, published.rows AS published_rows, coalesce(candidate.rows, 0) AS candidate_rows "
        f"FROM published LEFT JOIN candidate USING ({cols}) "
        f"WHERE (coalesce(candidate.rows, 0) < published.rows * {min_ratio!r} "
        f"AND published.rows - coalesce(candidate.rows, 0) > {int(min_rows)}) "
        f"OR (candidate.rows > published.rows * {max_ratio!r} AND candidate.rows - published.rows > {int(min_rows)})"
    )
    label = columns_label(group)
    return sql_check(query, f"each {label} within {min_ratio:g}x-{max_ratio:g}x of its rows in the published version",
                     "volume", severity, show=(*group, "published_rows", "candidate_rows"))


def no_raw_rows_lost(ledger_rows: int, severity: str):
    """An append-only raw table holds at least the rows it held when a gate last found it whole: a
    truncate or delete is lost source data that incremental models would never notice."""
    query = (f"SELECT count(*) AS rows_now, {int(ledger_rows)} AS rows_at_last_build FROM {{batch}} "
             f"HAVING count(*) < {int(ledger_rows)}")
    return sql_check(query, f"no rows lost since the last build ({ledger_rows} rows then)", "raw_loss", severity,
                     show=("rows_now", "rows_at_last_build"))


def not_empty(severity: str, description: str = "the table is not empty"):
    return tag(gxe().ExpectTableRowCountToBeBetween(min_value=1, description=description), "not_empty", severity)


# --- integrity and privacy ---------------------------------------------------------------------


def references(column: str, target_column: str, targets: list[str], target_label: str, severity: str):
    """Every non-null ``column`` resolves in one of ``targets`` (``schema.table`` names)."""
    if targets:
        known = " UNION ".join(f"SELECT {quote_ident(target_column)} FROM {t}" for t in targets)
        query = (f"SELECT * FROM {{batch}} WHERE {quote_ident(column)} IS NOT NULL "
                 f"AND {quote_ident(column)} NOT IN ({known})")
    else:
        query = f"SELECT * FROM {{batch}} WHERE {quote_ident(column)} IS NOT NULL"
    return sql_check(query, f"every {column} exists in {target_label}", "reference", severity, show=(column,))


def runnable(query: str, batch: str) -> str:
    """A check's query over relation ``batch`` as PostgreSQL reads it (what GX sends, for a client
    other than SQLAlchemy: the gate's samples)."""
    return query.format(batch=batch).replace("\\:", ":")


def regex_literal(pattern: str) -> str:
    """A regular expression as a SQL literal of a GX query: braces doubled (GX's str.format) and
    colons escaped (SQLAlchemy's ``text()`` reads ``(?:19`` as the bind parameter ``:19``)."""
    return literal(pattern).replace(":", "\\:")


def no_customer_pii(text_columns: list[str], customers: str, severity: str, *, since: datetime | None = None,
                    show: Iterable[str] = ()):
    """No text value holds a CRM customer's e-mail address or phone number in clear text.

    Every address-like and every number-like run of every value is looked at (the rule of
    ``social360.core.contact_details``): addresses in obfuscated forms are spelled plainly and compared
    with the customers' (lower case); each phone-like run, and each run of 7+ digits once every
    separator between digits is dropped, is a customer's phone when it ends with one of the phone's
    keys (all its digits, its last 10) after at most 3 more digits (a country code, a trunk 0). The
    runs' suffixes are looked up by hash, not compared with every customer. ``show``: the columns
    a failure sample shows (the row's keys, never its text).

    Row-local for a given set of customers. With ``since``, only the contacts of customers whose
    version landed after it are looked for (the check of rows validated earlier against the
    contacts known then); with none such it reads no row."""
    from social360.core import contact_details as cd

    if not text_columns:
        return None
    values = ", ".join(f"({quote_ident(c)}::text)" for c in text_columns)
    landed = f" AND extracted_at > {literal(since)}" if since is not None else ""
    plain_email = (f"regexp_replace(regexp_replace(lower(m.found[1]), {regex_literal(cd.AT)}, '@', 'g'), "
                   f"{regex_literal(cd.DOT)}, '.', 'g')")
    runs = (f"SELECT regexp_replace(p.found[1], '[^0-9]', '', 'g') AS digits "
            f"FROM regexp_matches(v.value, {regex_literal(cd.PHONE)}, 'g') AS p(found) UNION ALL "
            f"SELECT r.found[1] FROM regexp_matches(regexp_replace(v.value, {regex_literal(cd.BETWEEN_DIGITS)}, '', 'g'), "
            f"{regex_literal(cd.DIGIT_RUN)}, 'g') AS r(found)")
    query = (
        f"WITH known_emails AS (SELECT DISTINCT lower(email) AS email FROM {customers} "
        f"WHERE email IS NOT NULL{landed}), "
        f"phone_digits AS (SELECT regexp_replace(phone, '[^0-9]', '', 'g') AS digits FROM {customers} "
        f"WHERE phone IS NOT NULL{landed}), "
        f"known_phones AS (SELECT digits AS phone_key FROM phone_digits WHERE length(digits) >= 7 "
        f"UNION SELECT right(digits, 10) FROM phone_digits WHERE length(digits) >= 7), "
        f"key_lengths AS (SELECT DISTINCT length(phone_key) AS n FROM known_phones) "
        f"SELECT * FROM {{batch}} WHERE EXISTS (SELECT FROM known_emails UNION ALL SELECT FROM known_phones) "
        f"AND EXISTS (SELECT 1 FROM (VALUES {values}) AS v(value) WHERE "
        f"EXISTS (SELECT 1 FROM regexp_matches(v.value, {regex_literal(cd.EMAIL)}, 'gi') AS m(found) "
        f"WHERE {plain_email} IN (SELECT email FROM known_emails)) "
        f"OR EXISTS (SELECT 1 FROM ({runs}) AS run CROSS JOIN key_lengths "
        f"WHERE length(run.digits) - key_lengths.n BETWEEN 0 AND {cd.PREFIX_DIGITS} "
        f"AND right(run.digits, key_lengths.n) IN (SELECT phone_key FROM known_phones)))"
    )
    if since is None:
        return sql_check(query, "no customer e-mail or phone in clear text", "pii", severity, show, rows=True)
    return sql_check(query, "no e-mail or phone of a customer changed since the last validation in clear text",
                     "pii", severity, show)
