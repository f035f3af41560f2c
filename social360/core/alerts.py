"""Alerts for failed tasks and blocked marts: always logged; posted to a webhook and e-mailed when
configured. Never raises: an alert must not fail the task that reports.

Configuration (environment variables; secrets never live in the repository):

- ``SOCIAL360_ALERT_WEBHOOK``: a Slack incoming-webhook URL, or any endpoint that accepts
  ``{"text": ...}`` JSON (Teams/Mattermost/Google Chat-style bridges, an e-mail gateway).
- ``SOCIAL360_ALERT_EMAIL``: comma-separated recipients. Sent through ``SOCIAL360_SMTP_URL``
  (``smtp://user:password@host:587?starttls=true`` or ``smtps://...``) when set, else through
  Airflow's own SMTP settings (``[smtp]`` / ``AIRFLOW__SMTP__*``).
- ``SOCIAL360_ALERT_FROM``: the sender address (default ``social360@localhost``).

Imported by DAG files at parse time: standard library only at module level.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

log = logging.getLogger("social360.core.alerts")

WEBHOOK_ATTEMPTS = 3
TIMEOUT_SECONDS = 10.0


def _body(text: str, details: dict[str, Any] | None) -> str:
    if not details:
        return text
    return f"{text}\n```{json.dumps(details, default=str, indent=1)}```"


def post_webhook(url: str, text: str, details: dict[str, Any] | None = None) -> bool:
    """POST ``{"text": ...}`` (Slack's incoming-webhook shape); retry transport errors, 429 and 5xx."""
    import httpx
    from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

    def transient(exc: BaseException) -> bool:
        if isinstance(exc, httpx.HTTPStatusError):
            return exc.response.status_code == 429 or exc.response.status_code >= 500
        return isinstance(exc, httpx.TransportError)

    try:
        for attempt in Retrying(stop=stop_after_attempt(WEBHOOK_ATTEMPTS), wait=wait_exponential(multiplier=0.5, max=4),
                                retry=retry_if_exception(transient), reraise=True):
            with attempt:
                response = httpx.post(url, json={"text": _body(text, details)}, timeout=TIMEOUT_SECONDS)
                response.raise_for_status()
        return True
    except Exception as exc:
        log.warning("alert webhook failed: %s", exc)
        return False


def send_email(recipients: str, text: str, details: dict[str, Any] | None = None) -> bool:
    """E-mail the alert through ``SOCIAL360_SMTP_URL``, else Airflow's SMTP settings."""
    to = [r.strip() for r in recipients.split(",") if r.strip()]
    subject = f"[social360] {text.splitlines()[0][:120]}"
    body = _body(text, details)
    smtp_url = os.environ.get("SOCIAL360_SMTP_URL")
    try:
        if smtp_url:
            _smtp_send(smtp_url, to, subject, body)
        else:
            from airflow.utils.email import send_email as airflow_send_email

            airflow_send_email(to=to, subject=subject, html_content=f"<pre>{body}</pre>")
        return True
    except Exception as exc:
        log.warning("alert e-mail failed: %s", exc)
        return False


def _smtp_send(smtp_url: str, to: list[str], subject: str, body: str) -> None:
    import smtplib
    from email.message import EmailMessage

    parts = urlsplit(smtp_url)
    options = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
    message = EmailMessage()
    message["From"] = os.environ.get("SOCIAL360_ALERT_FROM", "social360@localhost")
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message.set_content(body)
    secure = parts.scheme == "smtps"
    client = smtplib.SMTP_SSL if secure else smtplib.SMTP
    with client(parts.hostname or "localhost", parts.port or (465 if secure else 25), timeout=TIMEOUT_SECONDS) as smtp:
        if options.get("starttls") in ("1", "true", "yes"):
            smtp.starttls()
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        smtp.send_message(message)


def send(text: str, *, details: dict[str, Any] | None = None) -> dict[str, bool]:
    """Deliver an alert on every configured channel, contact details redacted from its text and
    details; returns which channels took it."""
    from social360.core.contact_details import redact, redact_values

    text, details = redact(text), redact_values(details)
    log.error("ALERT: %s%s", text, f" {json.dumps(details, default=str)}" if details else "")
    delivered = {"log": True}
    webhook = os.environ.get("SOCIAL360_ALERT_WEBHOOK")
    if webhook:
        delivered["webhook"] = post_webhook(webhook, text, details)
    recipients = os.environ.get("SOCIAL360_ALERT_EMAIL")
    if recipients:
        delivered["email"] = send_email(recipients, text, details)
    return delivered


def on_task_failure(context: dict[str, Any]) -> None:
    """Airflow ``on_failure_callback``: name the DAG, task, run and error (a gate's error names the
    blocked mart and each failed expectation with its observed value)."""
    try:
        ti = context.get("task_instance") or context.get("ti")
        dag_id = getattr(ti, "dag_id", "?")
        task_id = getattr(ti, "task_id", "?")
        details = {"run_id": context.get("run_id"), "try_number": getattr(ti, "try_number", None)}
        log_url = getattr(ti, "log_url", None)
        if log_url:
            details["log_url"] = log_url
        send(f"{dag_id}.{task_id} failed: {context.get('exception')}", details=details)
    except Exception as exc:  # pragma: no cover - a callback must never raise
        log.warning("failure callback could not alert: %s", exc)
