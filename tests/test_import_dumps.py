"""Conversation dumps: the twcs CSV (the public sample and dumps as found in the wild) and JSON
lines, imported idempotently and all-or-nothing; and the issue's "done when": the twcs sample
imported into fresh databases and run through the pipeline publishes response times that match
an independent computation from the CSV."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pandas as pd
import psycopg
import pytest
from typer.testing import CliRunner

from extractors.dumps import DumpImportError
from extractors.jsonl import jsonl_dump as jsonl
from extractors.twcs import twcs_dump as twcs
from social360.cli import app
from tests.conftest import run_dag
from tests.fakes.fake_api import FakeClock
from tests.fakes.harness import live, raw_rows, run_discourse
from tests.sources.discourse.fake_discourse import FakeDiscourse

SAMPLE = Path(__file__).resolve().parents[1] / "evaluation" / "data" / "twcs_sample.csv"
HEADER = "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id"


def _rows(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0]


# --- twcs ---------------------------------------------------------------------------------------


def test_the_public_sample_imports_once(databases):
    first = twcs.import_file(SAMPLE, "import-1")
    assert (first.rows_seen, first.rows_landed) == (93, 93)
    second = twcs.import_file(SAMPLE, "import-2")
    assert (second.rows_seen, second.rows_landed) == (93, 0)
    assert _rows(databases.warehouse_url, "twcs_tweets") == 93
    stored = live(databases.warehouse_url, "twcs_tweets")
    assert stored["119237"]["text"].endswith("😡😡😡")  # emoji intact
    with psycopg.connect(databases.warehouse_url) as conn:
        parsed = conn.execute("SELECT context -> 'parsed' FROM raw.twcs_tweets WHERE native_id = '119250'").fetchone()[0]
    assert parsed["response_tweet_ids"] == ["119249", "119251"]  # several reply ids
    assert parsed["inbound"] is True and parsed["created_at"] == "2017-10-11T05:33:17+00:00"


def test_dumps_as_found_in_the_wild_load(databases, tmp_path):
    wild = tmp_path / "twcs_wild.csv"
    lines = [
        "," + HEADER,  # pandas' unnamed index column
        '0,1.0,sprintcare,False,Tue Oct 31 22:10:47 +0000 2017,"@115712 I understand.\r Please DM us.",2.0,3.0',
        "1,2,115712,True,Tue Oct 31 22:11:45 +0000 2017,@sprintcare and how do you propose\rwe do that,,1.0",
        '2,3,115712,True,Tue Oct 31 22:08:27 +0000 2017,'
        '"@sprintcare I have sent several private messages, and no one is responding",1,4.0',
        '3,5,115713,True,Tue Oct 31 22:16:48 +0000 2017,"@sprintcare is the worst customer service ""ever""","6,7,8",',
        "4,6.0,sprintcare,False,Tue Oct 31 22:26:48 +0000 2017,@115713 We hate to hear that.,,5.0",
    ]
    wild.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    result = twcs.import_file(wild, "import-1")
    assert (result.rows_seen, result.rows_landed) == (5, 5)
    stored = live(databases.warehouse_url, "twcs_tweets")
    assert set(stored) == {"1", "2", "3", "5", "6"}  # float ids normalized
    assert stored["1"]["text"] == "@115712 I understand.\r Please DM us."  # stray CRs kept, rows not split
    assert stored["2"]["text"] == "@sprintcare and how do you propose\rwe do that"
    assert stored["5"]["text"] == '@sprintcare is the worst customer service "ever"'
    assert "" not in stored["1"] and "Unnamed: 0" not in stored["1"]  # the index column is not data
    with psycopg.connect(databases.warehouse_url) as conn:
        parsed = dict(conn.execute("SELECT native_id, context -> 'parsed' FROM raw.twcs_tweets").fetchall())
    assert parsed["1"]["in_response_to_tweet_id"] == "3" and parsed["1"]["response_tweet_ids"] == ["2"]
    assert parsed["5"]["response_tweet_ids"] == ["6", "7", "8"]  # 7 and 8 are not in the file: fine
    assert parsed["3"]["in_response_to_tweet_id"] == "4"
    assert twcs.import_file(wild, "import-2").rows_landed == 0


def test_a_bad_dump_imports_nothing_and_names_every_bad_line(databases, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([
        HEADER,
        "10,115712,True,Tue Oct 31 22:11:45 +0000 2017,fine,,",
        "11,115712,maybe,Tue Oct 31 22:11:45 +0000 2017,bad inbound,,",
        "12,115712,True,yesterday,bad time,,",
        "abc,115712,True,Tue Oct 31 22:11:45 +0000 2017,bad id,,",
        "14,115712,True,Tue Oct 31 22:11:45 +0000 2017,too,many,fields,here",
    ]) + "\n", encoding="utf-8")
    with pytest.raises(DumpImportError) as info:
        twcs.import_file(bad, "import-1")
    message = str(info.value)
    assert "nothing imported" in message
    for line, words in ((3, "inbound"), (4, "created_at"), (5, "not a tweet id"), (6, "fields")):
        assert f"line {line}: " in message and words in message
    assert "line 2:" not in message
    assert _rows(databases.warehouse_url, "twcs_tweets") == 0
    with psycopg.connect(databases.warehouse_url) as conn:
        assert conn.execute("SELECT status FROM raw.extract_runs").fetchone()[0] == "rejected"


def test_a_file_without_the_twcs_columns_is_refused(databases, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("id,message\n1,hello\n", encoding="utf-8")
    with pytest.raises(DumpImportError, match="missing column"):
        twcs.import_file(other, "import-1")


def test_normalizers():
    assert twcs.normalize_id(" 119237.0 ") == "119237"
    assert twcs.normalize_id("1.19237e5") == "119237"
    assert twcs.normalize_id("") is None and twcs.normalize_id("nan") is None
    with pytest.raises(ValueError):
        twcs.normalize_id("3.5")
    assert twcs.parse_created_at("Tue Oct 31 22:10:47 +0200 2017").isoformat() == "2017-10-31T20:10:47+00:00"
    assert twcs.parse_inbound(" TRUE ") is True and twcs.parse_inbound("False") is False


# --- JSON lines ---------------------------------------------------------------------------------


def _jsonl(path: Path, posts: list) -> Path:
    path.write_text("\n".join(p if isinstance(p, str) else json.dumps(p, ensure_ascii=False) for p in posts) + "\n",
                    encoding="utf-8")
    return path


POSTS = [
    {"id": "ig-1", "created_at": "2026-11-19T10:00:00Z", "author_id": "u1", "author_handle": "jane",
     "is_brand": False, "text": "Where is my parcel? 😡", "thread_id": "ig-1", "brand_account": "acme"},
    {"id": "ig-2", "created_at": "2026-11-19T10:30:00+00:00", "author_id": "acme", "is_brand": True,
     "text": "Sorry! Please DM us.", "in_reply_to_id": "ig-1", "thread_id": "ig-1", "brand_account": "acme"},
    {"id": "ig-3", "created_at": "2026-11-19T11:00:00Z", "author_id": "u2", "is_brand": False,
     "text": "نفس المشكلة هنا \u0000 " + "!" * 10_000, "in_reply_to_id": "ig-2", "thread_id": "ig-1",
     "brand_account": "acme", "a_field_from_the_future": {"nested": [1, 2]}},
]


def test_jsonl_posts_import_once_and_intact(databases, tmp_path):
    path = _jsonl(tmp_path / "instagram.jsonl", POSTS + [""])
    result = jsonl.import_file(path, "instagram", "import-1")
    assert (result.rows_seen, result.rows_landed) == (3, 3)
    assert jsonl.import_file(path, "instagram", "import-2").rows_landed == 0
    stored = live(databases.warehouse_url, "jsonl_posts")
    assert set(stored) == {"instagram:ig-1", "instagram:ig-2", "instagram:ig-3"}
    assert stored["instagram:ig-1"]["text"] == "Where is my parcel? 😡"
    assert stored["instagram:ig-3"]["text"] == POSTS[2]["text"].replace("\x00", "\ufffd")
    assert stored["instagram:ig-3"]["a_field_from_the_future"] == {"nested": [1, 2]}
    with psycopg.connect(databases.warehouse_url) as conn:
        context = conn.execute("SELECT context FROM raw.jsonl_posts WHERE native_id = 'instagram:ig-3'").fetchone()[0]
    assert context["channel"] == "instagram" and context["normalizations"] == ["nul_replaced_by_fffd"]
    # the same ids under another channel are other posts
    assert jsonl.import_file(path, "review", "import-3").rows_landed == 3


def test_a_bad_jsonl_file_imports_nothing_and_names_every_bad_line(databases, tmp_path):
    path = _jsonl(tmp_path / "bad.jsonl", [
        POSTS[0],
        '{"id": "x", "created_at": "2026-11-19T10:00:00Z"',  # truncated
        {**POSTS[1], "is_brand": "yes"},
        {k: v for k, v in POSTS[1].items() if k != "author_id"},
        {**POSTS[1], "created_at": "2026-11-19 10:00"},
        [1, 2, 3],
    ])
    with pytest.raises(DumpImportError) as info:
        jsonl.import_file(path, "chat", "import-1")
    message = str(info.value)
    for line, words in ((2, "Expecting"), (3, "is_brand"), (4, "author_id"), (5, "time zone"), (6, "JSON object")):
        assert f"line {line}: " in message and words in message, (line, message)
    assert _rows(databases.warehouse_url, "jsonl_posts") == 0


def test_jsonl_channels_are_the_ones_the_models_accept():
    import yaml

    models = Path(__file__).resolve().parents[1] / "dbt_project" / "models"
    spec = yaml.safe_load((models / "intermediate" / "_intermediate__models.yml").read_text())
    posts = next(m for m in spec["models"] if m["name"] == "int_social_posts")
    channel = next(c for c in posts["columns"] if c["name"] == "channel")
    accepted = channel["data_tests"][0]["accepted_values"]["arguments"]["values"]
    assert set(jsonl.CHANNELS) <= set(accepted)
    with pytest.raises(jsonl.ChannelError, match="unknown channel"):
        jsonl.check_channel("myspace")


def test_cli_imports_and_reports(databases, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["import", "twcs", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "93 rows read, 93 new" in result.output
    again = runner.invoke(app, ["import", "twcs", str(SAMPLE)])
    assert "93 rows read, 0 new (93 already there)" in again.output

    path = _jsonl(tmp_path / "posts.jsonl", POSTS)
    result = runner.invoke(app, ["import", "jsonl", str(path), "--channel", "instagram"])
    assert result.exit_code == 0 and "3 rows read, 3 new" in result.output
    refused = runner.invoke(app, ["import", "jsonl", str(path), "--channel", "myspace"])
    assert refused.exit_code == 1 and "unknown channel" in refused.output
    missing = runner.invoke(app, ["import", "twcs", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 1 and "no such file" in missing.output


# --- the "done when" --------------------------------------------------------------------


def _expected_first_responses(path: Path) -> tuple[set[str], dict[str, pd.Timestamp]]:
    """Independently of the importer and dbt: the inbound tweets, and for each the earliest brand
    tweet replying directly to it (the dataset author's own recipe, with the earliest reply)."""
    tweets = pd.read_csv(path, dtype={"tweet_id": "int64", "author_id": str})
    tweets["created_at"] = pd.to_datetime(tweets["created_at"], format="%a %b %d %H:%M:%S %z %Y")
    inbound = tweets[tweets["inbound"]]
    pairs = inbound.merge(tweets, left_on="tweet_id", right_on="in_response_to_tweet_id", suffixes=("", "_reply"))
    pairs = pairs[~pairs["inbound_reply"] & (pairs["created_at_reply"] >= pairs["created_at"])]
    first = pairs.groupby("tweet_id")["created_at_reply"].min()
    return {str(i) for i in inbound["tweet_id"]}, {str(i): t for i, t in first.items()}


def _crm_tables(crm_url: str) -> None:
    """The CRM exists but knows none of these (anonymised) customers."""
    from social360.demo.source_databases import CRM_DDL

    with psycopg.connect(crm_url) as conn:
        conn.execute(CRM_DDL)


def _published_response_times(url: str) -> dict[str, tuple]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT post_id, channel, brand_account, received_at, first_response_at, first_response_calendar_minutes "
            "FROM marts.mart_response_times"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


def _check_against_the_csv(published: dict[str, tuple]) -> None:
    inbound, first = _expected_first_responses(SAMPLE)
    assert len(inbound) == 49 and len(first) == 41  # what the sample's README says
    assert set(published) == inbound
    for post_id, (channel, brand, received, responded, minutes) in published.items():
        assert channel == "twitter"
        if post_id in first:
            assert responded == first[post_id].to_pydatetime(), post_id
            assert float(minutes) == pytest.approx((responded - received).total_seconds() / 60, abs=0.01)
            assert brand is not None
        else:
            assert responded is None and minutes is None, post_id


def test_without_a_crm_the_crm_sync_reports_absent_tables_instead_of_failing(databases, monkeypatch):
    from extractors import crm
    from extractors.base import ExtractorError

    monkeypatch.delenv("CRM_URL")  # the embedded default CRM database, which nobody filled
    result = crm.sync_table(crm.TABLES[0], "run-1", source_url=databases.crm_url)
    assert result.status == "absent" and "CRM_URL" in result.message
    monkeypatch.setenv("CRM_URL", databases.crm_url)  # a configured CRM without the table is an error
    with pytest.raises(ExtractorError, match="no table 'customers'"):
        crm.sync_table(crm.TABLES[0], "run-2")


def test_twcs_sample_through_the_pipeline_publishes_the_hand_checked_response_times(databases):
    from social360.orchestration.stages import run_all_local

    _crm_tables(databases.crm_url)
    assert twcs.import_file(SAMPLE, "import").rows_landed == 93
    report = run_all_local("twcs-run", as_of="2017-11-01T00:00:00+00:00")
    assert report["gates"]["mart_response_times"] == "published", report["gates"]
    _check_against_the_csv(_published_response_times(databases.warehouse_url))

    # a hand check of one thread: VirginTrains answered 119242 (15:09:00) at 15:16:08 with 119240
    published = _published_response_times(databases.warehouse_url)
    assert published["119242"][1] == "VirginTrains"
    assert float(published["119242"][4]) == pytest.approx(7 + 8 / 60, abs=0.01)


@pytest.mark.e2e
def test_twcs_sample_through_the_airflow_dags(databases, airflow_ready):
    _crm_tables(databases.crm_url)
    twcs.import_file(SAMPLE, "import")
    for dag_id in ("social_ingest", "crm_sync", "customer360_build"):
        run = run_dag(dag_id, conf={"as_of": "2017-11-01T00:00:00+00:00"} if dag_id == "customer360_build" else None)
        if dag_id != "customer360_build":
            assert str(run.state) == "success", dag_id
    _check_against_the_csv(_published_response_times(databases.warehouse_url))


def test_forum_and_jsonl_conversations_reach_the_response_time_mart(databases, tmp_path):
    from social360.orchestration.stages import run_all_local

    _crm_tables(databases.crm_url)
    fake = FakeDiscourse(FakeClock(), seed=3).start()
    try:
        fake.staff = ["acme_team"]
        now = fake.clock.now()
        opener = fake.new_topic("member1", "App crashes", "The app crashes on start", at=now - timedelta(hours=5))
        staff_reply = fake.reply(opener.topic_id, "acme_team", "Which version?", at=now - timedelta(hours=4))
        follow_up = fake.reply(opener.topic_id, "member1", "Version 2.1", to_post_number=2, at=now - timedelta(hours=3))
        fake.reply(opener.topic_id, "member2", "Same for me", at=now - timedelta(hours=2, minutes=30))
        answer = fake.reply(opener.topic_id, "acme_team", "Fixed in 2.2", to_post_number=3,
                            at=now - timedelta(hours=2))
        run_discourse(fake, "forum-run")
    finally:
        fake.stop()
    jsonl.import_file(_jsonl(tmp_path / "ig.jsonl", POSTS), "instagram", "import")

    report = run_all_local("mixed-run", as_of="2026-11-20T12:00:00+00:00")
    assert report["gates"]["mart_response_times"] == "published", report["gates"]
    published = _published_response_times(databases.warehouse_url)
    forum = {k: v for k, v in published.items() if v[0] == "forum"}
    member2 = next(str(i) for i, p in fake.posts.items() if p.username == "member2")
    assert set(forum) == {str(opener.id), str(follow_up.id), member2}  # the customers' posts
    assert forum[str(opener.id)][3] == staff_reply.created_at  # a staff post without reply-to answers the opener
    assert forum[str(follow_up.id)][3] == answer.created_at  # reply-to post 3 answers post 3
    assert forum[member2][3] is None  # nobody answered member2 directly
    assert forum[str(opener.id)][1] == "community"

    instagram = {k: v for k, v in published.items() if v[0] == "instagram"}
    assert set(instagram) == {"ig-1", "ig-3"}
    assert float(instagram["ig-1"][4]) == pytest.approx(30.0) and instagram["ig-1"][1] == "acme"
    assert instagram["ig-3"][3] is None
    assert len(raw_rows(databases.warehouse_url, "discourse_posts")) == 5
