"""Raw landing: idempotent, versioned, atomic with its cursor, and lossless on awkward content."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from extractors.landing import RawRecord, land, land_page, load_cursor, payload_hash
from social360.core import db


def test_payload_hash_ignores_key_order_but_not_content():
    a = {"id": "1", "text": "hello", "meta": {"x": 1, "y": 2}}
    b = {"meta": {"y": 2, "x": 1}, "text": "hello", "id": "1"}
    assert payload_hash(a) == payload_hash(b)
    assert payload_hash(a) != payload_hash({**a, "text": "hello!"})
    assert payload_hash(a) != payload_hash(a, is_deleted=True)


def test_record_without_native_id_is_rejected():
    with pytest.raises(ValueError, match="native id"):
        RawRecord("", {"text": "x"})


def _rows(conn, table="x_tweets"):
    return conn.execute(f"SELECT native_id, payload, context, is_deleted FROM raw.{table} ORDER BY loaded_seq").fetchall()


def test_landing_twice_adds_nothing_and_edits_add_a_version(databases):
    records = [RawRecord(str(i), {"id": str(i), "text": f"post {i}"}) for i in range(50)]
    with db.connect() as conn:
        assert land(conn, "x_tweets", records, "run-1") == 50
        assert land(conn, "x_tweets", records, "run-2") == 0
        edited = RawRecord("7", {"id": "7", "text": "post 7 (edited)"})
        assert land(conn, "x_tweets", [edited, edited], "run-3") == 1
        conn.commit()
        versions = conn.execute("SELECT count(*) FROM raw.x_tweets WHERE native_id = '7'").fetchone()[0]
        assert versions == 2
        assert conn.execute("SELECT count(*) FROM raw.x_tweets").fetchone()[0] == 51


def test_unknown_table_is_refused(databases):
    with db.connect() as conn, pytest.raises(ValueError, match="unknown raw table"):
        land(conn, "tweets; drop table raw.x_tweets", [RawRecord("1", {})], "r")


def test_awkward_content_lands_intact_or_with_a_recorded_normalization(databases):
    long_text = "ü" * 10_000
    records = [
        RawRecord("emoji", {"text": "love it 😍🔥👍🏽 ❤️"}),
        RawRecord("rtl", {"text": "שלום עולם مرحبا بالعالم"}),
        RawRecord("nul", {"text": "bad\x00byte", "nested": {"k\x00": ["a\x00b"]}}),
        RawRecord("long", {"text": long_text}),
        RawRecord("sparse", {"id": "sparse"}),  # optional fields missing
        RawRecord("future", {"text": "x", "brand_new_field": {"deep": [1, 2, {"z": None}]}}),
    ]
    with db.connect() as conn:
        assert land(conn, "jsonl_posts", records, "run-1") == len(records)
        conn.commit()
        rows = {r[0]: r for r in _rows(conn, "jsonl_posts")}
    assert rows["emoji"][1]["text"] == "love it 😍🔥👍🏽 ❤️"
    assert rows["rtl"][1]["text"] == "שלום עולם مرحبا بالعالم"
    assert rows["long"][1]["text"] == long_text
    assert rows["nul"][1]["text"] == "bad\ufffdbyte"
    assert rows["nul"][1]["nested"] == {"k\ufffd": ["a\ufffdb"]}
    assert rows["nul"][2]["normalizations"] == ["nul_replaced_by_fffd"]
    assert "normalizations" not in rows["emoji"][2]
    assert rows["future"][1]["brand_new_field"] == {"deep": [1, 2, {"z": None}]}


def test_cursor_moves_only_with_the_rows_it_covers(databases):
    records = [RawRecord(str(i), {"id": str(i)}) for i in range(10)]
    with db.connect() as conn:
        land_page(conn, table="x_tweets", records=records[:5], run_id="r1", source="s", stream="m", cursor={"seq": 5})
        conn.commit()

        def crashing():
            yield from records[5:]
            raise RuntimeError("connection lost mid-page")

        with pytest.raises(RuntimeError, match="mid-page"):
            land_page(conn, table="x_tweets", records=crashing(), run_id="r2", source="s", stream="m",
                      cursor={"seq": 10})
        conn.rollback()
        assert load_cursor(conn, "s", "m") == {"seq": 5}
        assert conn.execute("SELECT count(*) FROM raw.x_tweets").fetchone()[0] == 5
        # the rerun lands the rest exactly once
        land_page(conn, table="x_tweets", records=records, run_id="r3", source="s", stream="m", cursor={"seq": 10})
        conn.commit()
        assert load_cursor(conn, "s", "m") == {"seq": 10}
        assert conn.execute("SELECT count(DISTINCT native_id), count(*) FROM raw.x_tweets").fetchone() == (10, 10)


def test_source_time_and_run_id_are_kept(databases):
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with db.connect() as conn:
        land(conn, "x_tweets", [RawRecord("1", {"id": "1"}, source_updated_at=at)], "run-xyz")
        conn.commit()
        row = conn.execute("SELECT source_updated_at, run_id, extracted_at IS NOT NULL FROM raw.x_tweets").fetchone()
    assert row == (at, "run-xyz", True)
