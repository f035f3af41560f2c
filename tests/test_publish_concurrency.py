"""Publishing under concurrency, on the real warehouse: readers never see an error, an empty mart or
a mix of versions; a publish waits a bounded time for locks; views follow the new version.

The candidates here are synthetic tables (every row carries its version number), built directly
in ``marts_candidate``: what is under test is the swap, not dbt or the gate.
"""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from social360.core import db, warehouse
from social360.publish import publisher as publish

MART = "mart_sentiment"
ROWS = 3000


def _candidate(url: str, version: int, rows: int = ROWS) -> None:
    with db.connect(url, autocommit=True) as conn:  # migrates the schemas on first use
        conn.execute(f"DROP TABLE IF EXISTS marts_candidate.{MART}")
        conn.execute(
            f"CREATE TABLE marts_candidate.{MART} AS SELECT g AS row_id, {version} AS version, md5(g::text) AS payload "
            f"FROM generate_series(1, {rows}) AS g"
        )


def _publish(url: str, version: int, **kwargs) -> publish.PublishResult:
    _candidate(url, version)
    return publish.publish(MART, run_id=f"run-{version}", url=url, **kwargs)


def _bi_url(dbs) -> str:
    state = warehouse._read_state()
    if state is None:  # pragma: no cover - external server
        pytest.skip("bi_reader's password is only known for the embedded server")
    return warehouse._url(warehouse.BI_USER, state.bi_password, state.port, dbs.names[0])


def test_readers_never_see_an_error_an_empty_mart_or_a_mix_of_versions(databases):
    url = databases.warehouse_url
    _publish(url, 1)
    stop = threading.Event()
    problems: list[str] = []
    seen: list[int] = []

    def read_counts() -> None:  # aggregates over the whole table, as a BI tool would
        with psycopg.connect(_bi_url(databases), autocommit=True) as conn:
            while not stop.is_set():
                try:
                    count, low, high = conn.execute(f"SELECT count(*), min(version), max(version) FROM marts.{MART}").fetchone()
                except psycopg.Error as exc:
                    problems.append(f"error: {exc}")
                    continue
                if count != ROWS or low != high:
                    problems.append(f"count={count} versions={low}..{high}")
                elif seen and low < seen[-1]:
                    problems.append(f"went back from version {seen[-1]} to {low}")
                else:
                    seen.append(low)

    def read_rows() -> None:  # every row fetched, in transactions of their own
        with psycopg.connect(_bi_url(databases)) as conn:
            while not stop.is_set():
                try:
                    with conn.transaction():
                        versions = {r[0] for r in conn.execute(f"SELECT version FROM marts.{MART}")}
                except psycopg.Error as exc:
                    problems.append(f"error: {exc}")
                    continue
                if len(versions) != 1:
                    problems.append(f"mixed versions {sorted(versions)}")

    readers = [threading.Thread(target=read_counts), threading.Thread(target=read_rows)]
    for reader in readers:
        reader.start()
    try:
        for version in range(2, 32):
            result = _publish(url, version, lock_timeout="2s")
            assert result.version == version
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=30)
    assert not problems, problems[:10]
    assert len(seen) > 30 and len(set(seen)) > 5, f"the reader must overlap the publishes (saw {sorted(set(seen))})"
    with psycopg.connect(url) as conn:
        retired = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'retired'")]
        assert conn.execute(f"SELECT DISTINCT version FROM marts.{MART}").fetchall() == [(31,)]
    assert retired == [f"{MART}__v30"], "only the previous version is kept, for rollback"


def test_a_publish_waits_a_bounded_time_for_locks_and_then_succeeds(databases):
    url = databases.warehouse_url
    _publish(url, 1)
    holder = psycopg.connect(url)
    holder.execute(f"SELECT count(*) FROM marts.{MART}")  # a long read transaction holds its lock
    try:
        with pytest.raises(publish.PublishError, match="no lock within 100ms after 3 attempts"):
            _publish(url, 2, lock_timeout="100ms", max_attempts=3, max_wait=0.2)
        with psycopg.connect(url) as conn:
            assert conn.execute(f"SELECT DISTINCT version FROM marts.{MART}").fetchall() == [(1,)]
            assert db.table_exists(conn, "marts_candidate", MART), "the candidate waits for the next attempt"
            logged = conn.execute(
                "SELECT published, attempts, reason FROM audit.publish_log WHERE run_id = 'run-2'").fetchall()
        assert logged[0][:2] == (False, 3) and "no lock" in logged[0][2]

        threading.Timer(0.6, holder.rollback).start()  # the reader finishes while the publisher retries
        started = time.monotonic()
        result = publish.publish(MART, run_id="run-2b", url=url, lock_timeout="200ms", max_attempts=10, max_wait=0.3)
    finally:
        holder.close()
    assert result.version == 2 and result.attempts >= 2
    assert time.monotonic() - started < 10
    with psycopg.connect(url) as conn:
        assert conn.execute(f"SELECT DISTINCT version FROM marts.{MART}").fetchall() == [(2,)]
        assert conn.execute("SELECT attempts FROM audit.publish_log WHERE run_id = 'run-2b' AND published").fetchone()[0] \
            == result.attempts


def test_concurrent_publishes_of_one_mart_are_serialised(databases):
    url = databases.warehouse_url
    _publish(url, 1)
    _candidate(url, 2)
    outcomes: list[object] = []

    def attempt(run_id: str) -> None:
        try:
            outcomes.append(publish.publish(MART, run_id=run_id, url=url).version)
        except publish.PublishError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=attempt, args=(f"race-{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o for o in outcomes if isinstance(o, int)) == [2]
    assert sum("no candidate table" in str(o) for o in outcomes) == 2
    with psycopg.connect(url) as conn:
        versions = [r[0] for r in conn.execute(
            "SELECT version FROM audit.publish_log WHERE mart = %s AND published ORDER BY id", (MART,))]
    assert versions == [1, 2]


def test_views_follow_the_published_version_and_nothing_points_at_retired_tables(databases):
    url = databases.warehouse_url
    _publish(url, 1)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA reporting")
        conn.execute(f"CREATE VIEW reporting.sentiment_versions AS SELECT version, count(*) AS n FROM marts.{MART} "
                     "GROUP BY version")
        conn.execute(f"CREATE VIEW marts.sentiment_summary AS SELECT max(version) AS version FROM marts.{MART}")
    for version in (2, 3):
        _publish(url, version)
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT version, n FROM reporting.sentiment_versions").fetchall() == [(3, ROWS)]
        assert conn.execute("SELECT version FROM marts.sentiment_summary").fetchone() == (3,)
        pointing = conn.execute(
            """
            SELECT DISTINCT v.relname FROM pg_depend d
            JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class
            JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE d.classid = 'pg_rewrite'::regclass AND n.nspname = 'retired' AND v.oid <> t.oid
            """
        ).fetchall()
        retired = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'retired'")]
    assert pointing == []
    assert retired == [f"{MART}__v2"], "older versions are dropped even though views read the mart"


def test_a_view_that_cannot_follow_blocks_the_publish_loudly(databases):
    url = databases.warehouse_url
    _publish(url, 1)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE VIEW marts.payloads AS SELECT row_id, payload FROM marts.{MART}")
        conn.execute(f"CREATE MATERIALIZED VIEW marts.frozen AS SELECT count(*) FROM marts.{MART}")
    with pytest.raises(publish.PublishError, match="materialized view marts.frozen"):
        _publish(url, 2)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP MATERIALIZED VIEW marts.frozen")
        conn.execute(f"DROP TABLE marts_candidate.{MART}")
        conn.execute(f"CREATE TABLE marts_candidate.{MART} AS SELECT g AS row_id, 3 AS version "
                     "FROM generate_series(1, 10) AS g")  # the view's column `payload` is gone
    with pytest.raises(publish.PublishError, match="view marts.payloads reads marts.mart_sentiment"):
        publish.publish(MART, run_id="run-3", url=url)
    with psycopg.connect(url) as conn:
        assert conn.execute(f"SELECT DISTINCT version FROM marts.{MART}").fetchall() == [(1,)]
        assert conn.execute("SELECT count(*) FROM marts.payloads").fetchone() == (ROWS,)
        reasons = [r[0] for r in conn.execute(
            "SELECT reason FROM audit.publish_log WHERE NOT published ORDER BY id")]
    assert len(reasons) == 2 and all("not published" in r for r in reasons)
