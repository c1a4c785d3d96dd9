"""Notification channels against local servers on 127.0.0.1: the webhook's and Slack's JSON bodies, the email
the SMTP server received (login with the password from the environment), and failing channels (500s, a refused
connection) retried and recorded without stopping the others or the evaluation."""

from __future__ import annotations

import pytest
from alert_servers import http_capture, refused_port, self_signed, smtp_capture
from planted_series import PlantedContext, plant, shop_series

from growthos.alerts.config import parse_config
from growthos.alerts.evaluate import evaluate_rules
from growthos.alerts.rules import default_rules
from growthos.store import AppStore

ENV = {"TEST_SMTP_PASSWORD": "s3cret-pw"}


@pytest.fixture
def store(tmp_path):
    with AppStore.open(f"sqlite:///{tmp_path / 'app.db'}") as s:
        yield s


def config_text(base: str, smtp_port: int, dead_port: int) -> str:
    return f"""
channels:
  - {{name: ops, kind: webhook, url: "{base}/hook", headers: {{X-Token: abc}}}}
  - {{name: team, kind: slack, url: "{base}/slack"}}
  - name: mail
    kind: email
    host: 127.0.0.1
    port: {smtp_port}
    starttls: false
    username: alerts@example.com
    password_env: TEST_SMTP_PASSWORD
    from: alerts@example.com
    to: [growth@example.com, ceo@example.com]
  - {{name: broken, kind: webhook, url: "{base}/fail"}}
  - {{name: flaky, kind: slack, url: "{base}/flaky"}}
  - {{name: gone, kind: webhook, url: "http://127.0.0.1:{dead_port}/hook"}}
delivery: {{max_attempts: 3, backoff_s: 0.01, timeout_s: 5}}
"""


def test_every_channel_delivers_and_failures_are_retried_and_recorded(store: AppStore) -> None:
    rules = [r for r in default_rules() if r.name == "net_revenue_drop"]
    ctx = PlantedContext(plant(shop_series(), {"net_revenue": 0.7}))
    with http_capture({"/fail": 99, "/flaky": 1}) as (base, captured), smtp_capture() as (smtp_port, mailbox):
        config = parse_config(config_text(base, smtp_port, refused_port()), env=ENV)
        report = evaluate_rules(store, ctx, rules, config)
    [alert] = report.new
    expected = alert.to_dict()

    hooks = [p for p in captured.posts if p["path"] == "/hook"]
    assert len(hooks) == 1
    assert hooks[0]["json"] == {"event": "alert.fired", "alert": expected}
    assert hooks[0]["headers"]["x-token"] == "abc" and hooks[0]["headers"]["content-type"] == "application/json"

    [slack] = [p["json"] for p in captured.posts if p["path"] == "/slack"]
    assert slack["text"] == f"[WARNING] net_revenue_drop: {alert.message}"
    assert slack["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "Warning: net_revenue_drop"}}
    assert alert.message in slack["blocks"][1]["text"]["text"]
    assert slack["blocks"][2]["text"]["text"] == f"*Recommendation:* {alert.recommendation}"
    assert f"#{alert.id}" in slack["blocks"][3]["elements"][0]["text"]

    [mail] = mailbox.messages
    assert mail["Subject"] == f"[WARNING] net_revenue_drop: {alert.message}"
    assert mail["From"] == "alerts@example.com" and mail["To"] == "growth@example.com, ceo@example.com"
    body = mail.get_content()
    assert alert.message in body and alert.recommendation in body
    assert mailbox.envelopes == [{"from": "alerts@example.com", "to": ["growth@example.com", "ceo@example.com"]}]
    assert mailbox.logins == [("alerts@example.com", "s3cret-pw")]

    attempts = [(n.channel, n.attempt, n.status) for n in store.list_notification_attempts(alert.id)]
    by_channel = {}
    for channel, attempt, status in attempts:
        by_channel.setdefault(channel, []).append((attempt, status))
    assert by_channel == {
        "ops": [(1, "delivered")], "team": [(1, "delivered")], "mail": [(1, "delivered")],
        "broken": [(1, "failed"), (2, "failed"), (3, "failed")],
        "flaky": [(1, "failed"), (2, "delivered")],
        "gone": [(1, "failed"), (2, "failed"), (3, "failed")],
    }
    errors = {n.channel: n.error for n in store.list_notification_attempts(alert.id) if n.status == "failed"}
    assert errors["broken"] == "HTTP 500 internal error"
    assert errors["gone"].startswith("ConnectError")
    assert all(base not in e and "s3cret" not in e for e in errors.values())  # no URL, no password recorded
    assert len([p for p in captured.posts if p["path"] == "/fail"]) == 3


def test_unreachable_smtp_server_is_recorded(store: AppStore) -> None:
    text = f"""
channels:
  - {{name: mail, kind: email, host: 127.0.0.1, port: {refused_port()}, starttls: false,
      from: a@example.com, to: b@example.com}}
delivery: {{max_attempts: 2, backoff_s: 0}}
"""
    rules = [r for r in default_rules() if r.name == "net_revenue_drop"]
    report = evaluate_rules(store, PlantedContext(plant(shop_series(), {"net_revenue": 0.7})), rules,
                            parse_config(text))
    assert [(n.attempt, n.status) for n in report.notifications] == [(1, "failed"), (2, "failed")]
    assert report.notifications[0].error.startswith("ConnectionRefusedError")
    assert report.new[0].status == "open"  # the alert itself is recorded regardless


def test_email_over_starttls(store: AppStore, tmp_path) -> None:
    tls, ca_file = self_signed(tmp_path)
    rules = [r for r in default_rules() if r.name == "net_revenue_drop"]
    with smtp_capture(tls) as (port, mailbox):
        text = f"""
channels:
  - {{name: mail, kind: email, host: 127.0.0.1, port: {port}, starttls: true, ca_file: "{ca_file}",
      username: u@example.com, password_env: TEST_SMTP_PASSWORD, from: a@example.com, to: b@example.com}}
"""
        report = evaluate_rules(store, PlantedContext(plant(shop_series(), {"net_revenue": 0.7})), rules,
                                parse_config(text, env=ENV))
    assert [(n.attempt, n.status) for n in report.notifications] == [(1, "delivered")]
    assert mailbox.tls_used and mailbox.logins == [("u@example.com", "s3cret-pw")]
    assert mailbox.messages[0]["To"] == "b@example.com"


def test_starttls_with_an_untrusted_certificate_fails_and_is_recorded(store: AppStore, tmp_path) -> None:
    tls, _ = self_signed(tmp_path)
    rules = [r for r in default_rules() if r.name == "net_revenue_drop"]
    with smtp_capture(tls) as (port, mailbox):
        text = f"""
channels:
  - {{name: mail, kind: email, host: 127.0.0.1, port: {port}, from: a@example.com, to: b@example.com}}
delivery: {{max_attempts: 1}}
"""
        report = evaluate_rules(store, PlantedContext(plant(shop_series(), {"net_revenue": 0.7})), rules,
                                parse_config(text))
    [attempt] = report.notifications
    assert attempt.status == "failed" and "CERTIFICATE_VERIFY_FAILED" in attempt.error
    assert mailbox.messages == []
