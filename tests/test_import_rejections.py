"""Bad rows of a dump are rejected with the file, the line and the field named, and recorded as a
failed run: timestamps outside the believable window, text that is not Unicode, a path that is
not a file. A duplicate id in one file is reported; the latest import of an id wins, and
``--replace`` retracts what a dump no longer holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from extractors import timestamps
from extractors.dumps import DumpImportError
from extractors.jsonl import jsonl_dump as jsonl
from extractors.twcs import twcs_dump as twcs
from social360.cli import app
from social360.transform import dbt_runner

HEADER = "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id"


def _post(post_id: str, created_at: str = "2024-05-01T10:00:00Z", text: str = "hello", **extra) -> dict:
    return {"id": post_id, "created_at": created_at, "author_id": "u1", "is_brand": False, "text": text, **extra}


def _write_jsonl(path: Path, lines: list) -> Path:
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    return path


def _runs(url: str) -> list[tuple[str, str, str]]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT stream, status, message FROM raw.extract_runs ORDER BY finished_at").fetchall()


def _count(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0]


def _winners(url: str, table: str) -> dict[str, tuple[dict, bool]]:
    """The version of each id the staging model picks for a dump table: the last landed."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(f"SELECT DISTINCT ON (native_id) native_id, payload, is_deleted FROM raw.{table} "
                            "ORDER BY native_id, loaded_seq DESC").fetchall()
    return {native_id: (payload, deleted) for native_id, payload, deleted in rows}


# --- the timestamp window -----------------------------------------------------------------------


def test_jsonl_rejects_timestamps_outside_the_window_by_line_and_field(databases, tmp_path):
    path = _write_jsonl(tmp_path / "extreme.jsonl", [
        _post("ok"),
        _post("ancient", "0001-01-01T00:00:00+14:00"),
        _post("far-future", "9999-12-31T23:59:59-14:00"),
        _post("edited-later", updated_at="2999-01-01T00:00:00Z"),
    ])
    with pytest.raises(DumpImportError) as info:
        jsonl.import_file(path, "chat", "import-1")
    message = str(info.value)
    assert str(path) in message
    assert "line 2: created_at 0001-01-01T00:00:00+14:00 is before 2006-01-01" in message
    assert "line 3: created_at 9999-12-31T23:59:59-14:00 is after" in message
    assert "line 4: updated_at 2999-01-01T00:00:00+00:00 is after" in message
    assert "line 1:" not in message
    assert _count(databases.warehouse_url, "jsonl_posts") == 0
    assert [(stream, status) for stream, status, _ in _runs(databases.warehouse_url)] == [("extreme.jsonl", "rejected")]


def test_twcs_rejects_timestamps_outside_the_window_by_line_and_field(databases, tmp_path):
    path = tmp_path / "extreme.csv"
    path.write_text("\n".join([
        HEADER,
        "1,115712,True,Tue Oct 31 22:10:47 +0000 2017,fine,,",
        "2,115712,True,0001-01-01T00:00:00+14:00,ancient,,",
        "3,115712,True,9999-12-31T23:59:59-14:00,far future,,",
        "4,115712,True,Mon Jan 01 00:00:00 +1400 0001,ancient in twitter's format,,",
        "5,115712,True,Wed Jan 01 00:00:00 +0000 2099,the future,,",
    ]) + "\n", encoding="utf-8")
    with pytest.raises(DumpImportError) as info:
        twcs.import_file(path, "import-1")
    message = str(info.value)
    for line, words in ((3, "is before 2006"), (4, "is after"), (5, "is before 2006"), (6, "is after")):
        assert f"line {line}: created_at " in message and words in message, (line, message)
    assert "line 2:" not in message
    assert _count(databases.warehouse_url, "twcs_tweets") == 0
    assert _runs(databases.warehouse_url)[0][1] == "rejected"


def test_the_window_is_configured_from_the_environment(monkeypatch):
    now = datetime(2026, 1, 10, tzinfo=UTC)
    default = timestamps.window(now)
    assert default.earliest == datetime(2006, 1, 1, tzinfo=UTC)
    assert default.latest == now + timedelta(days=1)
    monkeypatch.setenv(timestamps.MIN_ENV, "2020-01-01")
    monkeypatch.setenv(timestamps.MAX_AHEAD_ENV, "36 hours")
    custom = timestamps.window(now)
    assert (custom.earliest, custom.latest) == (datetime(2020, 1, 1, tzinfo=UTC), now + timedelta(hours=36))
    with pytest.raises(timestamps.OutOfWindow, match="created_at 2017-10-31T22:10:47"):
        custom.check(datetime(2017, 10, 31, 22, 10, 47, tzinfo=UTC), "created_at")
    monkeypatch.setenv(timestamps.MAX_AHEAD_ENV, "soon")
    with pytest.raises(ValueError, match="SOCIAL360_TIMESTAMP_MAX_AHEAD"):
        timestamps.window(now)


def test_dbt_reads_the_window_with_the_same_defaults():
    macro = (Path(__file__).resolve().parents[1] / "dbt_project" / "macros" / "timestamp_window.sql").read_text()
    assert f"env_var('{timestamps.MIN_ENV}', '{timestamps.DEFAULT_MIN}')" in macro
    assert f"env_var('{timestamps.MAX_AHEAD_ENV}', '{timestamps.DEFAULT_MAX_AHEAD}')" in macro


# --- messages -----------------------------------------------------------------------------------


def test_a_lone_surrogate_is_named_by_line_and_field_and_recorded(databases, tmp_path):
    path = tmp_path / "surrogate.jsonl"
    path.write_text(json.dumps(_post("a")) + "\n" + '{"id": "b", "created_at": "2024-05-01T10:00:00Z", '
                    '"author_id": "u1", "is_brand": false, "text": "broken \\ud800 here"}\n', encoding="utf-8")
    with pytest.raises(DumpImportError) as info:
        jsonl.import_file(path, "chat", "import-1")
    message = str(info.value)
    assert str(path) in message and "line 2: 'text'" in message and "U+D800" in message, message
    assert [status for _, status, _ in _runs(databases.warehouse_url)] == ["rejected"]


def test_invalid_utf8_is_reported_on_its_own_line_in_jsonl(databases, tmp_path):
    path = tmp_path / "latin1.jsonl"
    good = json.dumps(_post("a")).encode()
    bad = json.dumps(_post("b", text="caf\u00e9")).encode().replace(b"\\u00e9", b"\xe9")
    path.write_bytes(good + b"\n" + bad + b"\n" + good.replace(b'"a"', b'"c"') + b"\n")
    with pytest.raises(DumpImportError) as info:
        jsonl.import_file(path, "chat", "import-1")
    message = str(info.value)
    assert "line 2: 'text'" in message and "not UTF-8" in message and "0xe9" in message, message
    assert "line 1:" not in message and "line 3:" not in message
    assert _runs(databases.warehouse_url)[0][1] == "rejected"


def test_invalid_utf8_is_reported_on_its_own_line_in_twcs(databases, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("\n".join([
        HEADER,
        "1,115712,True,Tue Oct 31 22:10:47 +0000 2017,fine,,",
        "2,115712,True,Tue Oct 31 22:10:47 +0000 2017,\"multi\nline\",,",
    ]).encode() + b"\n3,115712,True,Tue Oct 31 22:10:47 +0000 2017,caf\xe9,,\n")
    with pytest.raises(DumpImportError) as info:
        twcs.import_file(path, "import-1")
    message = str(info.value)
    assert "line 5: 'text'" in message and "not UTF-8" in message, message
    assert "line 0:" not in message and "line 2:" not in message
    assert _runs(databases.warehouse_url)[0][1] == "rejected"


def test_a_directory_or_a_missing_file_is_named_and_recorded(databases, tmp_path):
    with pytest.raises(DumpImportError, match="is a directory"):
        jsonl.import_file(tmp_path, "chat", "import-1")
    with pytest.raises(DumpImportError, match="no such file"):
        twcs.import_file(tmp_path / "missing.csv", "import-2")
    runs = _runs(databases.warehouse_url)
    assert [(stream, status) for stream, status, _ in runs] == [(tmp_path.name, "rejected"), ("missing.csv", "rejected")]
    result = CliRunner().invoke(app, ["import", "twcs", str(tmp_path)])
    assert result.exit_code == 1 and "is a directory" in result.output


def test_duplicate_ids_in_one_file_are_reported_and_the_last_line_wins(databases, tmp_path):
    path = _write_jsonl(tmp_path / "dups.jsonl", [
        _post("a", text="first"), _post("b"), _post("a", text="second", created_at="2020-01-01T00:00:00Z"),
        _post("c"), _post("c", text="other"), _post("d"),
    ])
    result = jsonl.import_file(path, "chat", "import-1")
    assert result.status == "duplicate_ids" and "2 ids appear on more than one line" in result.message
    winners = _winners(databases.warehouse_url, "jsonl_posts")
    assert winners["chat:a"][0]["text"] == "second" and winners["chat:c"][0]["text"] == "other"
    assert _runs(databases.warehouse_url)[0][1:] == ("duplicate_ids", result.message)
    cli = CliRunner().invoke(app, ["import", "jsonl", str(path), "--channel", "review"])
    assert cli.exit_code == 0 and "2 ids appear on more than one line" in cli.output


# --- the latest import wins; --replace retracts -------------------------------------------------


def test_a_reimported_row_replaces_a_future_dated_one(databases, tmp_path, monkeypatch):
    monkeypatch.setenv(timestamps.MAX_AHEAD_ENV, "40000 days")  # as before the window existed
    path = tmp_path / "twcs.csv"
    path.write_text(f"{HEADER}\n7,115712,True,Wed Jan 01 00:00:00 +0000 2099,typo in the year,,\n", encoding="utf-8")
    twcs.import_file(path, "import-1")
    monkeypatch.delenv(timestamps.MAX_AHEAD_ENV)
    path.write_text(f"{HEADER}\n7,115712,True,Wed Jan 01 00:00:00 +0000 2020,typo in the year,,\n", encoding="utf-8")
    assert twcs.import_file(path, "import-2").rows_landed == 1
    assert dbt_runner.build(["stg_twcs__tweets"]).success
    with psycopg.connect(databases.warehouse_url) as conn:
        created = conn.execute("SELECT created_at FROM staging.stg_twcs__tweets WHERE tweet_id = '7'").fetchone()[0]
    assert created == datetime(2020, 1, 1, tzinfo=UTC)


def test_importing_an_earlier_file_again_makes_its_rows_win_again(databases, tmp_path):
    first = _write_jsonl(tmp_path / "v1.jsonl", [_post("a", text="v1")])
    second = _write_jsonl(tmp_path / "v2.jsonl", [_post("a", text="v2")])
    jsonl.import_file(first, "chat", "import-1")
    jsonl.import_file(second, "chat", "import-2")
    assert _winners(databases.warehouse_url, "jsonl_posts")["chat:a"][0]["text"] == "v2"
    again = jsonl.import_file(first, "chat", "import-3")
    assert _winners(databases.warehouse_url, "jsonl_posts")["chat:a"][0]["text"] == "v1"
    assert (again.rows_landed, _count(databases.warehouse_url, "jsonl_posts")) == (0, 2)  # no new version
    jsonl.import_file(first, "chat", "import-4")  # the winner imported again: nothing changes
    assert _winners(databases.warehouse_url, "jsonl_posts")["chat:a"][0]["text"] == "v1"


@pytest.mark.parametrize("kind", ["twcs", "jsonl"])
def test_replace_retracts_the_ids_a_dump_no_longer_holds(databases, tmp_path, kind):
    if kind == "twcs":
        def write(ids):
            path = tmp_path / "dump.csv"
            path.write_text(HEADER + "\n" + "".join(f"{i},115712,True,Tue Oct 31 22:10:47 +0000 2017,t{i},,\n"
                                                    for i in ids), encoding="utf-8")
            return path
        table, key = "twcs_tweets", str
        args = lambda path: ["import", "twcs", str(path)]  # noqa: E731
    else:
        def write(ids):
            return _write_jsonl(tmp_path / "dump.jsonl", [_post(str(i)) for i in ids])
        table, key = "jsonl_posts", lambda i: f"forum:{i}"
        args = lambda path: ["import", "jsonl", str(path), "--channel", "forum"]  # noqa: E731
        _write_jsonl(tmp_path / "other.jsonl", [_post("1")])
        jsonl.import_file(tmp_path / "other.jsonl", "chat", "other-channel")  # another channel: untouched

    runner = CliRunner()
    assert runner.invoke(app, args(write([1, 2, 3]))).exit_code == 0
    plain = runner.invoke(app, args(write([1, 3])))  # without --replace: 2 stays
    assert plain.exit_code == 0 and _winners(databases.warehouse_url, table)[key(2)][1] is False
    replaced = runner.invoke(app, args(write([1, 3])) + ["--replace"])
    assert replaced.exit_code == 0 and "1 retracted" in replaced.output, replaced.output
    winners = _winners(databases.warehouse_url, table)
    assert winners[key(2)][1] is True and winners[key(1)][1] is False and winners[key(3)][1] is False
    if kind == "jsonl":
        assert winners["chat:1"][1] is False
    restored = runner.invoke(app, args(write([1, 2, 3])))  # importing it again brings it back
    assert restored.exit_code == 0 and _winners(databases.warehouse_url, table)[key(2)][1] is False


# --- the business calendar spans the data's real range ------------------------------------------


def test_a_post_landed_outside_the_window_does_not_stretch_the_business_calendar(databases):
    from extractors.landing import RawRecord, land
    from social360.core import db

    def record(post_id: str, created_at: str) -> RawRecord:
        post = _post(post_id, created_at)
        return RawRecord(f"chat:{post_id}", post, source_updated_at=datetime.fromisoformat(created_at),
                         context={"channel": "chat", "source_file": "old.jsonl", "line": 1})

    with db.connect(databases.warehouse_url) as conn:  # landed before the importers checked dates
        land(conn, "jsonl_posts", [record("real", "2026-11-19T10:00:00+00:00"),
                                   record("typo", "1990-01-01T00:00:00+00:00"),
                                   record("future", "2300-01-01T00:00:00+00:00")], "old-import")
        conn.commit()
    built = dbt_runner.build(["+int_support_schedule_intervals"], vars={"as_of": "2026-11-20T12:00:00+00:00"})
    assert built.success, built.error
    with psycopg.connect(databases.warehouse_url) as conn:
        first, last = conn.execute(
            "SELECT min(opens_at), max(closes_at) FROM intermediate.int_support_schedule_intervals").fetchone()
    assert datetime(2026, 11, 16, tzinfo=UTC) <= first <= datetime(2026, 11, 19, tzinfo=UTC)
    assert datetime(2026, 12, 1, tzinfo=UTC) <= last <= datetime(2026, 12, 8, tzinfo=UTC)


# --- API extractors -----------------------------------------------------------------------------

FUTURE = datetime(2099, 1, 1, tzinfo=UTC)


def _rejections(url: str) -> list[str]:
    return [message for _, status, message in _runs(url) if status == "rejected_rows"]


def test_x_rejects_a_tweet_dated_outside_the_window_and_records_it(databases):
    from tests.fakes.fake_api import FakeClock
    from tests.fakes.harness import BRAND_X, raw_rows, run_x, x_world
    from tests.sources.x.fake_x_api import FakeXApi

    fake = FakeXApi(FakeClock(), seed=3).start()
    try:
        x_world(fake, mentions=4)
        bad = fake.post("200", "@acme_support from the future", mentions=(BRAND_X,), at=FUTURE)
        results = run_x(fake, "run-1")
    finally:
        fake.stop()
    assert bad.id not in {row[0] for row in raw_rows(databases.warehouse_url, "x_tweets")}
    assert len(raw_rows(databases.warehouse_url, "x_tweets")) == 4 + 2
    assert any(r.status == "rejected_rows" for r in results)
    messages = _rejections(databases.warehouse_url)
    assert messages and f"{bad.id}: created_at 2099-01-01T00:00:00+00:00 is after" in messages[0]


def test_facebook_rejects_a_post_dated_outside_the_window_and_records_it(databases):
    from tests.fakes.fake_api import FakeClock
    from tests.fakes.harness import BRAND_PAGE, facebook_world, raw_rows, run_facebook
    from tests.sources.facebook.fake_graph_api import FakeGraphApi

    fake = FakeGraphApi(FakeClock(), seed=3).start()
    try:
        facebook_world(fake, posts=2, comments=2)
        bad = fake.add_post(BRAND_PAGE, "from the future", at=FUTURE)
        run_facebook(fake, "run-1")
    finally:
        fake.stop()
    assert bad.id not in {row[0] for row in raw_rows(databases.warehouse_url, "facebook_posts")}
    assert len(raw_rows(databases.warehouse_url, "facebook_posts")) == 2
    assert any(f"{bad.id}: created_time 2099-01-01" in m for m in _rejections(databases.warehouse_url))


def test_discourse_rejects_a_post_dated_outside_the_window_and_records_it(databases):
    from tests.fakes.fake_api import FakeClock
    from tests.fakes.harness import discourse_world, raw_rows, run_discourse
    from tests.sources.discourse.fake_discourse import FakeDiscourse

    fake = FakeDiscourse(FakeClock(), seed=3).start()
    try:
        discourse_world(fake, topics=2, replies=2)
        bad = fake.new_topic("member1", "Time travel", "from the future", at=FUTURE)
        run_discourse(fake, "run-1")
    finally:
        fake.stop()
    assert str(bad.id) not in {row[0] for row in raw_rows(databases.warehouse_url, "discourse_posts")}
    assert len(raw_rows(databases.warehouse_url, "discourse_posts")) == 6
    assert any(f"{bad.id}: created_at 2099-01-01" in m for m in _rejections(databases.warehouse_url))
