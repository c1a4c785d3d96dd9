"""alerts.yaml: rules and channels parse; every error names the field and its line."""

from __future__ import annotations

import pytest

from growthos.alerts.config import load_config, parse_config
from growthos.core.errors import InvalidInput

GOOD = """\
rules:
  - name: revenue_drop
    kind: net_revenue_drop
    severity: critical
    cooldown: 12h
    params:
      threshold: 0.15
      min_volume: 30
  - name: ctr
    kind: metric_drop
    metric: ctr
    enabled: false
channels:
  - {name: ops, kind: webhook, url: "https://example.com/hook"}
  - {name: mail, kind: email, host: smtp.example.com, from: a@example.com, to: b@example.com,
     password_env: PW, username: a@example.com}
delivery: {max_attempts: 5, backoff_s: 2}
"""


def test_a_good_file_parses() -> None:
    config = parse_config(GOOD, env={"PW": "pw"})
    revenue, ctr = config.rules
    assert (revenue.name, revenue.kind, revenue.severity, revenue.cooldown_s) == ("revenue_drop", "net_revenue_drop",
                                                                                  "critical", 12 * 3600)
    assert revenue.params["threshold"] == 0.15 and revenue.params["min_volume"] == 30
    assert revenue.params["window_days"] == 7 and revenue.metric == "net_revenue" and revenue.source == "yaml"
    assert ctr.metric == "ctr" and not ctr.enabled
    ops, mail = config.channels
    assert ops.kind == "webhook" and mail.options["password"] == "pw" and mail.options["to"] == ["b@example.com"]
    assert mail.options["port"] == 587 and mail.options["starttls"] is True
    assert mail.describe()["options"]["password"] == "••••" and ops.describe()["options"]["url"] == "••••"
    assert config.delivery.max_attempts == 5 and config.delivery.backoff_s == 2


def test_no_file_and_no_rules_mean_the_defaults(tmp_path) -> None:
    assert load_config(tmp_path).rules is None
    (tmp_path / "alerts.yaml").write_text("channels: []\n")
    assert load_config(tmp_path).rules is None
    (tmp_path / "alerts.yaml").write_text("rules: []\n")
    assert load_config(tmp_path).rules == []


@pytest.mark.parametrize(("text", "field", "line"), [
    ("rules:\n  - name: a\n    kind: mer_drop\n    params:\n      threshold: lots\n", "rules[0].params.threshold", 5),
    ("rules:\n  - name: a\n    kind: mer_drop\n  - name: b\n    kind: nope\n", "rules[1].kind", 5),
    ("rules:\n  - name: a\n    kind: mer_drop\n    severity: fatal\n", "rules[0].severity", 4),
    ("rules:\n  - name: a\n    kind: mer_drop\n    cooldown: forever\n", "rules[0].cooldown", 4),
    ("rules:\n  - name: a\n    kind: mer_drop\n  - name: a\n    kind: ncac_spike\n", "rules[1].name", 4),
    ("rules:\n  - kind: mer_drop\n", "rules[0].name", 2),
    ("channels:\n  - name: x\n    kind: pager\n", "channels[0].kind", 3),
    ("channels:\n  - name: x\n    kind: webhook\n    url: ftp://x\n", "channels[0].url", 4),
    ("channels:\n  - name: x\n    kind: email\n    host: h\n    from: a@b\n    to: c@d\n    password_env: NOPE\n",
     "channels[0].password_env", 7),
    ("channels:\n  - name: x\n    kind: email\n    host: h\n    from: a@b\n", "channels[0].to", 2),
    ("delivery:\n  max_attempts: 0\n", "delivery.max_attempts", 2),
    ("alerts:\n  - 1\n", "alerts", 1),
])
def test_errors_name_the_field_and_line(text: str, field: str, line: int) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_config(text, "alerts.yaml")
    assert exc.value.field == field
    assert exc.value.message.startswith(f"alerts.yaml line {line}: ")
    assert field in exc.value.message


def test_yaml_syntax_errors_give_the_line() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_config("rules:\n  - name: a\n    kind: [mer_drop\n", "alerts.yaml")
    assert "line 4" in exc.value.message and "not valid YAML" in exc.value.message


def test_secrets_from_the_environment_are_never_in_errors() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_config("channels:\n  - {name: m, kind: email, host: h, from: a@b, to: c@d, password_env: PW, port: x}\n",
                     env={"PW": "hunter2"})
    assert exc.value.field == "channels[0].port" and "hunter2" not in exc.value.message
