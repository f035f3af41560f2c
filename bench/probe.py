"""Probe Social360 as a hostile tester would, and write the figures to docs/QUALITY.md.

    python -m bench.probe [--write-docs] [--quick]

Everything runs through the CLI a user has (``social360 demo/import/run/status``) against a
warehouse of the probe's own (``$SOCIAL360_HOME/probe``), plus SQL as ``bi_reader``:

- bad inputs: malformed, oversized and hostile dump files; each must be landed exactly or be
  rejected with an error naming the file and line, with nothing already stored lost;
- bi_reader attempts: statements a BI user might try outside its grant; each must be refused;
- crash points: an import and a build killed at several moments, then rerun; the rerun must give
  exactly the rows of a clean run and publish every mart;
- concurrent readers: ``bi_reader`` queries every published mart while a build publishes; no
  query may fail;
- two runs at once: one builds, the other waits or says "another build is running"; no false
  "NOT published" alert and every mart's last gate passed afterwards;
- injected defects: a customer's phone number in a post, a raw source truncated; the phone must
  not reach a mart or an alert in clear, the loss must block publishing.

Alerts go to a webhook server of the probe's own on 127.0.0.1, so what they carry is checked too.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "QUALITY.md"
START, END = "<!-- probe:start -->", "<!-- probe:end -->"
PHONE = "+1 - 555 - 619 - 4517"
PHONE_DIGITS = "15556194517"


@dataclass
class Section:
    name: str
    total: int = 0
    clean: int = 0
    failures: list[str] = field(default_factory=list)

    def check(self, label: str, ok: bool, why: str = "") -> None:
        self.total += 1
        if ok:
            self.clean += 1
        else:
            self.failures.append(f"{label}: {why}" if why else label)


class Webhook:
    """A Slack-compatible webhook on 127.0.0.1 that keeps every body it receives."""

    def __init__(self) -> None:
        bodies = self.bodies = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                bodies.append(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode("utf-8", "replace"))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"


class Probe:
    def __init__(self, home: Path, webhook: Webhook):
        self.home = home
        self.webhook = webhook
        self.env = {**os.environ, "SOCIAL360_HOME": str(home), "SOCIAL360_ALERT_WEBHOOK": webhook.url,
                    "PYTHONUNBUFFERED": "1"}
        self.env.pop("WAREHOUSE_URL", None)
        self.cli = [str(Path(sys.executable).with_name("social360"))]
        self.log = home / "probe.log"
        self.urls: dict[bool, str] = {}

    def run(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        with self.log.open("a") as log:
            log.write(f"\n$ social360 {' '.join(args)}\n")
            done = subprocess.run(self.cli + list(args), env=self.env, capture_output=True, text=True,
                                  timeout=timeout)
            log.write(done.stdout + done.stderr)
        return done

    def start(self, *args: str) -> subprocess.Popen:
        log = self.log.open("a")
        log.write(f"\n$ social360 {' '.join(args)} &\n")
        log.flush()
        return subprocess.Popen(self.cli + list(args), env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                text=True, start_new_session=True)

    def url(self, bi: bool = False) -> str:
        """The pipeline's (or bi_reader's) URL, asked of the CLI once; the server keeps its port."""
        if bi not in self.urls:
            self.urls[bi] = self.run("warehouse", "url", *(["--bi"] if bi else [])).stdout.strip().splitlines()[-1]
        return self.urls[bi]

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url()) as conn:
            return conn.execute(query, params or None).fetchall()


# ---------------------------------------------------------------- bad inputs

def _post(i, **over) -> dict:
    post = {"id": f"p-{i}", "created_at": "2026-11-01T10:00:00Z", "author_id": f"u-{i}", "is_brand": False,
            "text": f"post {i}"}
    post.update(over)
    return post


def _jsonl(*posts) -> bytes:
    return "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in posts).encode("utf-8")


TWCS_HEADER = b"tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"


def _twcs(*rows: bytes) -> bytes:
    return TWCS_HEADER + b"".join(rows)


def bad_input_cases() -> list[tuple[str, str, bytes | None, str]]:
    """(label, format, content or None for a directory, 'land' or 'reject')."""
    ok = _post(0)
    long_text = "a" * 10_000
    return [
        ("emoji", "jsonl", _jsonl(_post(1, text="late again 😡🔥 👎🏽")), "land"),
        ("10,000-character post", "jsonl", _jsonl(_post(2, text=long_text)), "land"),
        # PostgreSQL cannot store U+0000: it lands as U+FFFD, the change recorded in the row's context
        ("NUL byte in text", "jsonl", _jsonl(_post(3, text="a\u0000b")), "land"),
        ("lone surrogate", "jsonl", json.dumps(ok).encode() + b"\n" + b'{"id": "p-4", "created_at": '
         b'"2026-11-01T10:00:00Z", "author_id": "u", "is_brand": false, "text": "\\ud800"}\n', "reject"),
        ("invalid UTF-8 on line 2", "jsonl", json.dumps(ok).encode() + b"\n" + b'{"id": "p-5", "text": "\xff"}\n',
         "reject"),
        ("malformed JSON", "jsonl", json.dumps(ok).encode() + b"\n{not json\n", "reject"),
        ("missing text", "jsonl", _jsonl({k: v for k, v in _post(6).items() if k != "text"}), "reject"),
        ("text is a number", "jsonl", _jsonl(_post(7, text=7)), "reject"),
        ("no time zone", "jsonl", _jsonl(_post(8, created_at="2026-11-01T10:00:00")), "reject"),
        ("year 0001", "jsonl", _jsonl(_post(9, created_at="0001-01-01T00:00:00+14:00")), "reject"),
        ("year 9999", "jsonl", _jsonl(_post(10, created_at="9999-12-31T23:59:59-14:00")), "reject"),
        ("year 2099", "jsonl", _jsonl(_post(11, created_at="2099-01-01T00:00:00Z")), "reject"),
        ("array instead of object", "jsonl", b"[1, 2, 3]\n", "reject"),
        ("empty file", "jsonl", b"", "land"),
        ("blank lines and CRLF", "jsonl", _jsonl(_post(12)).replace(b"\n", b"\r\n") + b"\r\n\r\n", "land"),
        ("UTF-8 byte-order mark", "jsonl", b"\xef\xbb\xbf" + _jsonl(_post(13)), "land"),
        ("duplicate id, other text", "jsonl", _jsonl(_post(14, text="first"), _post(14, text="second")), "land"),
        ("a directory", "jsonl", None, "reject"),
        ("twcs: good row", "twcs", _twcs(b'1001,acme,False,Tue Oct 31 22:10:47 +0000 2017,"thanks",,\n'), "land"),
        ("twcs: bad date", "twcs", _twcs(b'1002,u,True,yesterday,"hi",,\n'), "reject"),
        ("twcs: year 2099", "twcs", _twcs(b'1003,u,True,Tue Oct 31 22:10:47 +0000 2099,"hi",,\n'), "reject"),
        ("twcs: missing column", "twcs", b"tweet_id,author_id,text\n1,u,hi\n", "reject"),
        ("twcs: invalid UTF-8 on line 3", "twcs", _twcs(b'1004,u,True,Tue Oct 31 22:10:47 +0000 2017,"ok",,\n',
                                                        b'1005,u,True,Tue Oct 31 22:10:47 +0000 2017,"\xff",,\n'),
         "reject"),
        ("twcs: unterminated quote", "twcs", _twcs(b'1006,u,True,Tue Oct 31 22:10:47 +0000 2017,"open,,\n'),
         "reject"),
    ]


def probe_bad_inputs(probe: Probe, work: Path) -> Section:
    section = Section("bad inputs")
    tables = {"jsonl": "jsonl_posts", "twcs": "twcs_tweets"}
    for i, (label, fmt, content, expect) in enumerate(bad_input_cases()):
        path = work / f"case-{i}.{'jsonl' if fmt == 'jsonl' else 'csv'}"
        if content is None:
            path.mkdir(exist_ok=True)
        else:
            path.write_bytes(content)
        before = probe.sql(f"SELECT count(*) FROM raw.{tables[fmt]}")[0][0]
        failed_runs = probe.sql("SELECT count(*) FROM raw.extract_runs WHERE status <> 'success'")[0][0]
        args = ["import", fmt, str(path)] + (["--channel", "forum"] if fmt == "jsonl" else [])
        done = probe.run(*args)
        after = probe.sql(f"SELECT count(*) FROM raw.{tables[fmt]}")[0][0]
        message = done.stderr + done.stdout
        if "Traceback" in message:
            section.check(label, False, "a traceback instead of a message")
        elif after < before:
            section.check(label, False, f"{before - after} stored rows lost")
        elif expect == "land":
            section.check(label, done.returncode == 0, f"exit {done.returncode}: {message.strip()[-200:]}")
        else:
            recorded = probe.sql("SELECT count(*) FROM raw.extract_runs WHERE status <> 'success'")[0][0]
            named = path.name in message and (content is None or re.search(r"line \d+", message))
            why = []
            if done.returncode == 0:
                why.append("accepted")
            if after != before:
                why.append(f"{after - before} rows landed")
            if not named:
                why.append(f"message does not name file and line: {message.strip()[-160:]!r}")
            if recorded <= failed_runs and content is not None:
                why.append("no failed run recorded in raw.extract_runs")
            section.check(label, not why, "; ".join(why))
    return section


# ---------------------------------------------------------------- bi_reader

BI_ATTEMPTS = [
    ("read raw", "SELECT count(*) FROM raw.crm_customers"),
    ("read staging", "SELECT count(*) FROM staging.stg_crm__customers"),
    ("read the candidate schema", "SELECT count(*) FROM marts_candidate.dim_customers"),
    ("read audit", "SELECT count(*) FROM audit.gate_results"),
    ("insert into a mart", "INSERT INTO marts.mart_sentiment SELECT * FROM marts.mart_sentiment LIMIT 1"),
    ("delete from a mart", "DELETE FROM marts.fct_interactions"),
    ("create in marts", "CREATE TABLE marts.mine (id int)"),
    ("create in public", "CREATE TABLE public.mine (id int)"),
    ("create a temporary table", "CREATE TEMPORARY TABLE mine (id int)"),
    ("drop a mart", "DROP TABLE marts.mart_sentiment"),
    ("read a server file", "SELECT pg_read_file('postgresql.conf')"),
    ("copy to a program", "COPY (SELECT 1) TO PROGRAM 'true'"),
    ("import a large object", "SELECT lo_import('/etc/passwd')"),
    ("raise work_mem to 2GB", "SET work_mem = '2GB'"),
    ("lift the statement timeout", "SET statement_timeout = 0"),
    ("run a query for 10 minutes", "SELECT pg_sleep(600)"),
    ("read other roles' settings", "SELECT rolname, rolpassword FROM pg_authid"),
]


def probe_bi_reader(probe: Probe) -> Section:
    import psycopg

    section = Section("bi_reader attempts")
    bi_url = probe.url(bi=True)
    for label, statement in BI_ATTEMPTS:
        cancelled = threading.Event()
        try:
            with psycopg.connect(bi_url, autocommit=True) as conn:
                # the server must stop a runaway query (bi_reader's statement_timeout is 2 min); the
                # probe gives up on it after 150 s
                timer = threading.Timer(150, lambda c=conn, flag=cancelled: (flag.set(), c.cancel()))
                timer.start()
                try:
                    conn.execute(statement)
                finally:
                    timer.cancel()
            section.check(label, False, "allowed")
        except psycopg.Error as exc:
            section.check(label, not cancelled.is_set(), f"ran until the probe cancelled it ({type(exc).__name__})")
    try:
        psycopg.connect(re.sub(r"/warehouse(\?|$)", r"/postgres\1", bi_url), connect_timeout=5).close()
        section.check("connect to the postgres database", False, "allowed")
    except psycopg.Error:
        section.check("connect to the postgres database", True)
    return section


# ---------------------------------------------------------------- crash points

def probe_build_crashes(probe: Probe, delays: list[float]) -> Section:
    section = Section("crash points: a build killed")
    for delay in delays:
        child = probe.start("run")
        time.sleep(8 + 4 * delay)
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        done = probe.run("run")
        status = json.loads(probe.run("status", "--json").stdout)
        unpublished = [m for m, s in status.items() if not s["last_gate_passed"] or not s["version"]]
        section.check(f"build killed after {8 + 4 * delay:g} s", done.returncode == 0 and not unpublished,
                      f"exit {done.returncode}; not passed: {unpublished}")
    return section


def probe_import_crashes(probe: Probe, work: Path, delays: list[float]) -> Section:
    """Run last: its 60,000 posts would (rightly) trip the marts' volume bound for later builds."""
    section = Section("crash points: an import killed")
    big = work / "big.jsonl"
    big.write_bytes(_jsonl(*(_post(f"crash-{i}", text=f"crash test post {i} 🙂") for i in range(60_000))))
    for delay in delays:
        probe.sql("SELECT 1")  # the warehouse is up before the clock starts
        child = probe.start("import", "jsonl", str(big), "--channel", "chat")
        time.sleep(delay)
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        done = probe.run("import", "jsonl", str(big), "--channel", "chat")
        rows, distinct = probe.sql("SELECT count(*), count(DISTINCT native_id) FROM raw.jsonl_posts "
                                   "WHERE native_id LIKE 'chat:p-crash-%'")[0]
        section.check(f"import killed after {delay:g} s", done.returncode == 0 and rows == distinct == 60_000,
                      f"exit {done.returncode}, {rows} rows, {distinct} distinct")
    return section


# ---------------------------------------------------------------- concurrent readers and two runs

def probe_readers_during_a_build(probe: Probe) -> Section:
    import psycopg

    section = Section("concurrent readers")
    marts = [name for (name,) in probe.sql(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' ORDER BY 1")]
    bi_url = probe.url(bi=True)
    stop = threading.Event()
    counts = {"queries": 0, "errors": 0, "empty": 0}
    errors: list[str] = []

    def read() -> None:
        with psycopg.connect(bi_url, autocommit=True) as conn:
            while not stop.is_set():
                for mart in marts:
                    try:
                        n = conn.execute(f"SELECT count(*) FROM marts.{mart}").fetchone()[0]
                        counts["queries"] += 1
                        counts["empty"] += n == 0
                    except psycopg.Error as exc:
                        counts["errors"] += 1
                        errors.append(f"{mart}: {exc}".splitlines()[0])

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    done = probe.run("run")
    stop.set()
    for reader in readers:
        reader.join()
    section.total = counts["queries"]
    section.clean = counts["queries"] - counts["errors"] - counts["empty"]
    section.failures = errors[:5] + ([f"{counts['empty']} empty results"] if counts["empty"] else [])
    if done.returncode != 0:
        section.failures.append(f"the build itself exited {done.returncode}")
    return section


def probe_two_runs(probe: Probe) -> Section:
    section = Section("two runs at once")
    alerts_before = len(probe.webhook.bodies)
    first, second = probe.start("run"), (time.sleep(2), probe.start("run"))[1]
    codes = first.wait(timeout=900), second.wait(timeout=900)
    false_alerts = [b for b in probe.webhook.bodies[alerts_before:] if "NOT published" in b]
    status = json.loads(probe.run("status", "--json").stdout)
    blocked = [m for m, s in status.items() if not s["last_gate_passed"]]
    section.check("at least one run succeeds", 0 in codes, f"exit codes {codes}")
    section.check("no false 'NOT published' alert", not false_alerts, f"{len(false_alerts)} alerts")
    section.check("no mart shows BLOCKED afterwards", not blocked, ", ".join(blocked))
    return section


# ---------------------------------------------------------------- injected defects

def probe_defects(probe: Probe, work: Path) -> Section:
    section = Section("injected defects")
    alerts_before = len(probe.webhook.bodies)
    path = work / "phone.jsonl"
    path.write_bytes(_jsonl(_post("phone", created_at="2026-12-01T09:00:00Z",
                                  text=f"Order ref 2024-05-01: still nothing. Call me at {PHONE}"),
                            _post("mail", created_at="2026-12-01T09:05:00Z",
                                  text="write to jane dot doe at example dot com please")))
    probe.run("import", "jsonl", str(path), "--channel", "forum")
    probe.run("run")
    import psycopg
    from psycopg import sql

    leaks = []
    with psycopg.connect(probe.url()) as conn:
        columns = conn.execute("SELECT table_name, column_name FROM information_schema.columns "
                               "WHERE table_schema = 'marts' AND data_type = 'text'").fetchall()
        for table, column in columns:
            query = sql.SQL("SELECT count(*) FROM marts.{} WHERE regexp_replace({}, '\\D', '', 'g') LIKE %s "
                            "OR {} ILIKE %s").format(sql.Identifier(table), sql.Identifier(column),
                                                     sql.Identifier(column))
            if conn.execute(query, (f"%{PHONE_DIGITS[1:]}%", "%doe at example dot com%")).fetchone()[0]:
                leaks.append(f"marts.{table}.{column}")
    section.check("phone and obfuscated e-mail kept out of the marts", not leaks, ", ".join(leaks))
    alert_leaks = [b for b in probe.webhook.bodies[alerts_before:] if PHONE_DIGITS[1:] in re.sub(r"\D", "", b)]
    section.check("no alert carries the phone", not alert_leaks, f"{len(alert_leaks)} alerts")

    versions = {m: s["version"] for m, s in json.loads(probe.run("status", "--json").stdout).items()}
    with psycopg.connect(probe.url(), autocommit=True) as conn:
        conn.execute("TRUNCATE raw.facebook_comments")
    done = probe.run("run")
    after = {m: s["version"] for m, s in json.loads(probe.run("status", "--json").stdout).items()}
    moved = [m for m in ("fct_interactions", "mart_sentiment", "mart_response_times") if after[m] != versions[m]]
    section.check("truncated raw.facebook_comments blocks publishing", done.returncode != 0 and not moved,
                  f"exit {done.returncode}; published anyway: {moved}")
    return section


# ---------------------------------------------------------------- report

def render(sections: list[Section], seconds: float, command: str) -> str:
    lines = [START, "", f"Produced by `{command}` on {time.strftime('%Y-%m-%d')} ({seconds / 60:.1f} min).", "",
             "| probe | cases | handled cleanly | not handled |", "|---|---|---|---|"]
    for s in sections:
        lines.append(f"| {s.name} | {s.total:,} | {s.clean:,} | {'; '.join(s.failures) or '-'} |")
    return "\n".join(lines + ["", END])


def write_docs(block: str) -> None:
    text = DOC.read_text()
    if START in text:
        text = text[:text.index(START)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n## The probe, rerun\n\n" + block + "\n"
    DOC.write_text(text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write-docs", action="store_true", help="replace the figures in docs/QUALITY.md")
    parser.add_argument("--quick", action="store_true", help="one crash point each instead of three")
    parser.add_argument("--scale", type=float, default=1.0, help="ignored (for python -m bench)")
    args = parser.parse_args(argv)
    from social360.core import config

    home = config.subdir("probe")
    probe = Probe(home, Webhook())
    probe.run("warehouse", "down")  # every probe starts from an empty warehouse of its own
    shutil.rmtree(home)
    home.mkdir()
    work = home / "inputs"
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    delays = [0.5] if args.quick else [0.5, 2.0, 5.0]
    demo = probe.run("demo", "--seed", "11", "--customers", "150", "--posts", "800", "--days", "20")
    if demo.returncode != 0:
        sys.exit(f"the demo did not run green in {home}; see {probe.log}")
    sections = [
        probe_bad_inputs(probe, work),
        probe_bi_reader(probe),
        probe_build_crashes(probe, delays),
        probe_readers_during_a_build(probe),
        probe_two_runs(probe),
        probe_defects(probe, work),
        probe_import_crashes(probe, work, delays),
    ]
    command = "python -m bench.probe" + (" --quick" if args.quick else "") + (" --write-docs" if args.write_docs else "")
    block = render(sections, time.perf_counter() - started, command)
    print(block)
    if args.write_docs:
        write_docs(block)
    probe.run("warehouse", "down")


if __name__ == "__main__":
    main()
