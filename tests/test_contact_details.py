"""Contact details in what customers write, property-tested over generated formats of the CRM's
own contacts (the demo generator's customers and more in their format): the redaction in Python
and the dbt macro ``redact_contact_details`` (compiled by dbt, run by PostgreSQL) remove every
one and agree character for character; the gate's ``pii`` check finds every one in clear text and
none once redacted; dates, times, prices and short order refs stay readable."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expectations import checks
from social360.core import config, contact_details
from social360.demo import generator, phrases
from social360.transform import dbt_runner

DEMO = generator.generate(seed=3, customers=120, posts=10, now=datetime(2026, 11, 20, tzinfo=UTC), days=5)
DEMO_CONTACTS = [(c.email, c.phone) for c in DEMO.customers]

# --- generated contacts and the ways people write them --------------------------------------------


@st.composite
def crm_contact(draw) -> tuple[str, str]:
    """A contact of the CRM: one of the demo's customers, or a new one in the generator's format."""
    if draw(st.booleans()):
        return draw(st.sampled_from(DEMO_CONTACTS))
    first, last = draw(st.sampled_from(phrases.FIRST_NAMES)), draw(st.sampled_from(phrases.LAST_NAMES))
    cid = draw(st.integers(1, 100_000))
    email = f"{first}.{last}{cid}@{draw(st.sampled_from(phrases.EMAIL_DOMAINS))}".lower()
    phone = f"+1-555-{draw(st.integers(100, 999)):03d}-{draw(st.integers(1000, 9999)):04d}"
    return email, phone


separators = st.sampled_from([" - ", "-", " ", ".", "  ", " / ", "–"]) | st.text(alphabet=" .-/–()", min_size=1, max_size=4)


@st.composite
def written_phone(draw, phone: str, local: bool) -> str:
    """``phone`` (``+1-555-123-4567``) as a customer might type it: with or without the country
    code (+1, 1, 001, (+1)), the area code in brackets or not, grouped 3-3-4, 3-7, 3-3-2-2 or not
    at all, with separators of any length; with ``local``, maybe without the area code too."""
    country, area, exchange, line = phone.lstrip("+").split("-")
    groups = draw(st.sampled_from([
        [area, exchange, line], [area, exchange + line], [area, exchange, line[:2], line[2:]],
        [area + exchange + line], *([[exchange, line]] if local else []),
    ]))
    if groups[0] == area and draw(st.booleans()):
        groups[0] = f"({area})"
    text = groups[0]
    for group in groups[1:]:
        text += draw(separators) + group
    if len(groups) > 1 and groups[0] != exchange:
        prefix = draw(st.sampled_from(["", "+1", "1", "001", "(+1)", "+ 1"]))
        if prefix:
            text = prefix + draw(separators) + text
    return text


@st.composite
def written_email(draw, email: str) -> str:
    """``email`` as written: plain (any case), ``at``/``dot`` in words, brackets or parentheses."""
    local, domain = email.split("@")
    if draw(st.booleans()):
        local, domain = local.title(), domain.capitalize()
    at, dot = draw(st.sampled_from([("@", "."), (" @ ", "."), (" at ", " dot "), (" AT ", " DOT "),
                                    (" [at] ", " [dot] "), ("[at]", "[dot]"), ("(at)", "."), (" (at) ", " (dot) "),
                                    (" {at} ", " {dot} "), ("<at>", "<dot>")]))
    if dot != "." and draw(st.booleans()):
        local = local.replace(".", dot)  # jane dot doe12 at ...
    return local + at + domain.replace(".", dot)


KEPT = ["2024-05-01", "01/05/2024", "1.5.2024", "order #123456", "ref 48213", "$1,299.99", "€12.50", "10:30",
        "3 items", "2026-11-01T10:30:00Z", "4.5 stars", "at 9:05", "2024-05-01 10:30"]


@st.composite
def post(draw, local: bool = True) -> tuple[str, str, str, list[str]]:
    """A post holding one customer's phone and e-mail among words and numbers that must survive:
    (text, e-mail, phone, the readable parts); ``local``: the phone maybe without area code."""
    email, phone = draw(crm_contact())
    kept = draw(st.lists(st.sampled_from(KEPT), max_size=3))
    words = ["Order ref 2024-05-01:", "still waiting.", "Call me at", draw(written_phone(phone, local)), "or write to",
             draw(written_email(email)), *kept]
    middle = words[1:]
    order = draw(st.permutations(middle))
    glue = draw(st.sampled_from([", ", "; ", "\n", " and "]))  # no other number right next to the phone
    text = glue.join([words[0], *order]) + draw(st.sampled_from(["", ".", "!", " thanks"]))
    return text, email, phone, ["2024-05-01", *kept]


def digits(phone: str) -> str:
    return re.sub(r"[^0-9]", "", phone)


def assert_no_contact(text: str, email: str, phone: str) -> None:
    """Neither the e-mail (nor its local part's tail) nor the phone's last 7 digits are left."""
    assert not any(digits(phone)[-7:] in run for run in contact_details.phone_digit_runs(text)), text
    assert email not in contact_details.emails(text), text
    assert email.split("@")[0].split(".")[-1] not in text.lower(), text  # not even the local part's tail


# --- Python ---------------------------------------------------------------------------------------


def test_the_posts_of_the_issue():
    text = "Order ref 2024-05-01: still waiting. Call me at +1 - 555 - 619 - 4517"
    assert contact_details.redact(text) == "Order ref 2024-05-01: still waiting. Call me at [phone]"
    assert contact_details.holds_phone(text, "15556194517")
    for written in ("jane at example dot com", "jane [at] example [dot] com", "jane(at)example.com"):
        assert contact_details.redact(f"mail {written} now") == "mail [email] now"
        assert contact_details.emails(written) == ["jane@example.com"]


def test_words_before_an_address_are_not_taken_for_an_obfuscated_one():
    """'me at jane.doe@example.com' is not the address 'me@jane.doe' followed by '@example.com':
    the whole address is redacted, the words before it stay."""
    for text, redacted in (
        ("mail me at jane.doe@example.com or call", "mail me at [email] or call"),
        ("reach me at jane.doe.smith@example.co.uk.", "reach me at [email]."),
        ("write to jane dot doe at example dot com.", "write to [email]."),
    ):
        assert contact_details.redact(text) == redacted
    assert contact_details.emails("mail me at jane.doe@example.com") == ["jane.doe@example.com"]


@settings(max_examples=400, deadline=None)
@given(post())
def test_redaction_removes_every_written_contact_and_keeps_the_rest(generated):
    text, email, phone, kept = generated
    assert email in contact_details.emails(text), text
    redacted = contact_details.redact(text)
    assert_no_contact(redacted, email, phone)
    for part in kept:
        assert part in redacted, (part, redacted)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(KEPT + ["thanks!", "see you at 5", "look at the site", "2 of 3", "+1 for that"]),
                min_size=1, max_size=6), st.sampled_from([", ", "\n", " and "]))
def test_text_without_contact_details_is_left_as_it_is(parts, glue):
    text = glue.join(parts)
    assert contact_details.redact(text) == text


def test_long_near_misses_are_redacted_in_linear_time():
    import time

    text = "a." * 20_000 + " at " + "-1" * 20_000
    started = time.monotonic()
    redacted = contact_details.redact(text)
    assert time.monotonic() - started < 2
    assert redacted == "a." * 20_000 + " at -[phone]"


# --- the dbt macro and the gate's check, in PostgreSQL --------------------------------------------


@pytest.fixture(scope="module")
def sql_side(module_databases):
    """A connection to a warehouse database, the macro compiled by dbt over column ``t``, and the
    pii check's query over table ``pii.posts`` for the customers of table ``pii.customers``, as GX
    runs it (through SQLAlchemy)."""
    import sqlalchemy

    url = module_databases.warehouse_url
    result = dbt_runner.invoke(["compile", "--quiet", "--inline", "select {{ redact_contact_details('t') }} as r"],
                               url=url)
    assert result.success, result.exception
    redact_sql = result.result.results[0].node.compiled_code
    check = checks.no_customer_pii(["post_text", "author"], "pii.customers", checks.ERROR)
    check_sql = sqlalchemy.text(check.unexpected_rows_query.format(batch="pii.posts"))
    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg2://"), isolation_level="AUTOCOMMIT")
    with psycopg.connect(url, autocommit=True) as conn, engine.connect() as gx:
        conn.execute("CREATE SCHEMA pii")
        conn.execute("CREATE TABLE pii.customers (email text, phone text)")
        conn.execute("CREATE TABLE pii.posts (post_text text, author text)")
        yield conn, redact_sql, lambda: gx.execute(sqlalchemy.text(f"SELECT count(*) FROM ({check_sql.text}) AS f")).scalar()
    engine.dispose()


def _redacted_in_sql(conn, redact_sql: str, text: str) -> str:
    over_text = redact_sql.replace("%", "%%").replace(" as r", " as r FROM (SELECT %s::text AS t) AS x", 1)
    return conn.execute(f"SELECT r FROM ({over_text}) AS q", (text,)).fetchone()[0]


def _flagged(conn, count_failing, texts: list[str], contacts: list[tuple[str, str]]) -> int:
    conn.execute("TRUNCATE pii.customers, pii.posts")
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO pii.customers VALUES (%s, %s)", contacts)
        cur.executemany("INSERT INTO pii.posts VALUES (%s, 'someone')", [(t,) for t in texts])
    return count_failing()


def test_the_macro_holds_the_python_patterns():
    macro = (config.DBT_PROJECT_DIR / "macros" / "redact_contact_details.sql").read_text()
    assert contact_details.EMAIL in macro and contact_details.PHONE in macro


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(post())
def test_the_macro_redacts_like_python(sql_side, generated):
    conn, redact_sql, _ = sql_side
    text, email, phone, _ = generated
    redacted = _redacted_in_sql(conn, redact_sql, text)
    assert redacted == contact_details.redact(text)
    assert_no_contact(redacted, email, phone)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(post(local=False), min_size=1, max_size=8))
def test_the_check_finds_every_written_contact_and_none_once_redacted(sql_side, generated):
    conn, redact_sql, check_sql = sql_side
    contacts = [(email, phone) for _, email, phone, _ in generated]
    # the demo CRM's other customers are there too, and the CRM may write a phone without its +1
    crm = contacts + [(e.upper(), p) for e, p in DEMO_CONTACTS[:40]]
    crm += [(None, digits(p)[1:]) for _, p in DEMO_CONTACTS[40:60]]
    texts = [text for text, *_ in generated]
    assert _flagged(conn, check_sql, texts, crm) == len(texts)
    assert _flagged(conn, check_sql, [_redacted_in_sql(conn, redact_sql, t) for t in texts], crm) == 0


def test_the_check_finds_a_phone_after_a_date_and_an_obfuscated_address(sql_side):
    conn, _, check_sql = sql_side
    crm = [("jane.doe12@example.com", "+1-555-619-4517"), ("sam.lee3@example.org", "+1-555-222-3333"),
           (None, "+44 20 7946 0958")]
    texts = ["Order ref 2024-05-01: ... Call me at +1 - 555 - 619 - 4517",
             "Order ref 2024-05-01 555 222 3333",
             "ring 020 7946 0958 or +44 (0) 20 7946 0958",
             "write to Sam.Lee3 (at) example (dot) org",
             "jane dot doe12 at example dot com"]
    for text in texts:
        assert _flagged(conn, check_sql, [text], crm) == 1, text
    assert _flagged(conn, check_sql, ["Order ref 2024-05-01: call 555 619 4518, jane.doe1@example.com"], crm) == 0
    # an identifier that merely contains a phone's digits (a tweet id) is not the phone
    assert _flagged(conn, check_sql, ["https://x.com/i/status/1845556194517000001"], crm) == 0
