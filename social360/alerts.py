"""Alerts for failed tasks and blocked marts: logged always, posted to a webhook when configured.

``SOCIAL360_ALERT_WEBHOOK`` takes a Slack incoming-webhook URL (or any endpoint accepting
``{"text": ...}``); ``SOCIAL360_ALERT_EMAIL`` sends through Airflow's SMTP settings.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from typing import Any

log = logging.getLogger("social360.alerts")


def send(text: str, *, details: dict[str, Any] | None = None) -> None:
    """Deliver an alert; never raises (an alert must not fail the task that reports)."""
    log.error("ALERT: %s%s", text, f" {json.dumps(details, default=str)}" if details else "")
    webhook = os.environ.get("SOCIAL360_ALERT_WEBHOOK")
    if webhook:
        try:
            request = urllib.request.Request(
                webhook, data=json.dumps({"text": text}).encode(), headers={"Content-Type": "application/json"}
            )
            urllib.request.urlopen(request, timeout=10).close()
        except Exception as exc:  # pragma: no cover - network dependent
            log.warning("alert webhook failed: %s", exc)
    email = os.environ.get("SOCIAL360_ALERT_EMAIL")
    if email:
        try:
            from airflow.providers.smtp.hooks.smtp import SmtpHook  # noqa: F401  (optional)
            from airflow.utils.email import send_email

            send_email(to=email, subject=f"[social360] {text[:80]}", html_content=f"<pre>{text}</pre>")
        except Exception as exc:  # pragma: no cover - depends on SMTP settings
            log.warning("alert e-mail failed: %s", exc)


def on_task_failure(context: dict[str, Any]) -> None:
    """Airflow ``on_failure_callback``: name the DAG, task and error."""
    ti = context.get("task_instance") or context.get("ti")
    dag_id = getattr(ti, "dag_id", "?")
    task_id = getattr(ti, "task_id", "?")
    error = context.get("exception")
    send(f"{dag_id}.{task_id} failed: {error}", details={"run_id": context.get("run_id")})
