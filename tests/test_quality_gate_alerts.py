"""Alerts reach a real webhook endpoint (Slack's incoming-webhook shape) and a real SMTP server, both
local, and never fail the task that reports."""

from __future__ import annotations

import json
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace

import pytest

from social360.core import alerts


class _Webhook(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.headers["Content-Type"], json.loads(body)))
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"ok" if status == 200 else b"invalid_payload")

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook(monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), _Webhook)
    server.received, server.statuses = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("SOCIAL360_ALERT_WEBHOOK", f"http://127.0.0.1:{server.server_port}/services/T000/B000/XXX")
    monkeypatch.delenv("SOCIAL360_ALERT_EMAIL", raising=False)
    yield server
    server.shutdown()


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for one message per connection."""

    def handle(self):
        self.wfile.write(b"220 localhost test SMTP\r\n")
        data, in_data = [], False
        for raw in self.rfile:
            line = raw.decode().rstrip("\r\n")
            if in_data:
                if line == ".":
                    in_data = False
                    self.server.messages.append("\n".join(data))
                    self.wfile.write(b"250 queued\r\n")
                else:
                    data.append(line)
                continue
            verb = line.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.wfile.write(b"250 localhost\r\n")
            elif verb == "DATA":
                in_data = True
                self.wfile.write(b"354 go ahead\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.server.commands.append(line)
                self.wfile.write(b"250 ok\r\n")


def test_an_alert_is_posted_to_the_webhook_in_slacks_shape(webhook):
    delivered = alerts.send("mart_sentiment was NOT published", details={"run_id": "r1"})
    assert delivered == {"log": True, "webhook": True}
    (content_type, payload), = webhook.received
    assert content_type == "application/json"
    assert payload["text"].startswith("mart_sentiment was NOT published") and '"run_id": "r1"' in payload["text"]


def test_transient_webhook_errors_are_retried_and_permanent_ones_do_not_raise(webhook):
    webhook.statuses = [503, 429]
    assert alerts.send("retry me")["webhook"] is True
    assert len(webhook.received) == 3
    webhook.statuses = [400]
    assert alerts.send("rejected")["webhook"] is False
    assert len(webhook.received) == 4, "a 400 is not retried"


def test_an_unreachable_webhook_never_fails_the_caller(monkeypatch):
    monkeypatch.setenv("SOCIAL360_ALERT_WEBHOOK", "http://127.0.0.1:9/nothing-listens-here")
    monkeypatch.setattr(alerts, "WEBHOOK_ATTEMPTS", 1)
    assert alerts.send("nobody hears this")["webhook"] is False


def test_the_failure_callback_names_the_dag_task_and_blocked_checks(webhook):
    blocked = ("gate blocked publishing: mart_sentiment: blocked by unexpected_rows_count("
               "key sentiment_key is unique) (observed: 2)")
    ti = SimpleNamespace(dag_id="customer360_build", task_id="gate_mart_sentiment", try_number=1,
                         log_url="http://localhost:8080/log")
    alerts.on_task_failure({"ti": ti, "run_id": "manual__1", "exception": RuntimeError(blocked)})
    text = webhook.received[0][1]["text"]
    assert text.startswith("customer360_build.gate_mart_sentiment failed: gate blocked publishing")
    assert "key sentiment_key is unique" in text and "manual__1" in text and "log_url" in text


def test_an_alert_is_emailed_through_smtp(monkeypatch):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    server.messages, server.commands = [], []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.delenv("SOCIAL360_ALERT_WEBHOOK", raising=False)
        monkeypatch.setenv("SOCIAL360_ALERT_EMAIL", "oncall@example.com, data@example.com")
        monkeypatch.setenv("SOCIAL360_SMTP_URL", f"smtp://127.0.0.1:{server.server_address[1]}")
        delivered = alerts.send("mart_response_times was NOT published\nsecond line", details={"mart": "x"})
    finally:
        server.shutdown()
    assert delivered == {"log": True, "email": True}
    (message,) = server.messages
    assert "Subject: [social360] mart_response_times was NOT published" in message
    assert "To: oncall@example.com, data@example.com" in message and '"mart": "x"' in message
    assert any(c.upper().startswith("RCPT TO:<DATA@EXAMPLE.COM>") for c in server.commands)
