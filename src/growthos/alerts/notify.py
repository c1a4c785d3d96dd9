"""Notification channels: a registry from kind to channel class (generic webhook, Slack-compatible webhook, SMTP
email), and delivery with retries.

Each channel gets every new alert at or above its ``min_severity``; a failed attempt is retried after
``backoff_s`` × 2^(attempt−1) seconds up to ``max_attempts``, and every attempt is recorded (``delivered``, or
``failed`` with the error). Channels deliver in parallel threads and never raise: a failing channel delays
neither evaluation nor the others. Errors are recorded without URLs or passwords (webhook URLs are secrets).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, ClassVar

import httpx

from growthos.core.errors import InvalidInput
from growthos.store.alerts import SEVERITIES, Alert, NotificationAttempt

log = logging.getLogger("growthos.alerts")

_SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}


@dataclass(frozen=True)
class Delivery:
    max_attempts: int = 3
    """Tries per alert and channel (1 = no retry)."""
    backoff_s: float = 1.0
    """Pause before the first retry; doubled before each next one."""
    timeout_s: float = 10.0
    """Connect and read timeout of one attempt."""


def parse_delivery(data: Any, where: str = "delivery") -> Delivery:
    if data is None:
        return Delivery()
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{where} must be a mapping", field=where)
    limits = {"max_attempts": (1, 10), "backoff_s": (0, 600), "timeout_s": (0.1, 300)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        fieldname = f"{where}.{key}"
        if key not in limits:
            raise InvalidInput(f"{fieldname} is not a delivery setting ({', '.join(limits)})", field=fieldname)
        low, high = limits[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise InvalidInput(f"{fieldname} must be a number from {low} to {high}; got {value!r}", field=fieldname)
        if key == "max_attempts" and not isinstance(value, int):
            raise InvalidInput(f"{fieldname} must be a whole number; got {value!r}", field=fieldname)
        values[key] = value
    return Delivery(**values)


class ChannelError(Exception):
    """One delivery attempt failed; the message is safe to record (no URL, no secret)."""


@dataclass(frozen=True)
class Channel:
    """A configured destination; subclasses implement ``send`` and declare their options."""

    kind: ClassVar[str] = ""
    required: ClassVar[tuple[str, ...]] = ()
    optional: ClassVar[dict[str, Any]] = {}
    secrets: ClassVar[tuple[str, ...]] = ()
    """Options that are secrets: given directly or as ``<option>_env`` naming an environment variable."""

    name: str
    options: dict[str, Any] = field(default_factory=dict, repr=False)
    min_severity: str = "warning"

    def accepts(self, alert: Alert) -> bool:
        return _SEVERITY_RANK[alert.severity] >= _SEVERITY_RANK[self.min_severity]

    def send(self, alert: Alert, timeout_s: float) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """Name, kind and options with secrets and URLs masked, for listings."""
        shown = {k: ("••••" if k in self.secrets or k == "url" else v) for k, v in self.options.items()}
        return {"name": self.name, "kind": self.kind, "min_severity": self.min_severity, "options": shown}


def _title(alert: Alert) -> str:
    return f"[{alert.severity.upper()}] {alert.rule}: {alert.message}"


def _post_json(url: str, payload: dict[str, Any], headers: dict[str, str], timeout_s: float) -> None:
    try:
        response = httpx.post(url, json=payload, headers=headers, timeout=timeout_s, follow_redirects=False)
    except httpx.TimeoutException:
        raise ChannelError("timed out") from None
    except httpx.HTTPError as exc:
        raise ChannelError(f"{type(exc).__name__}: {_without(str(exc), url)}") from None
    if response.status_code >= 300:
        raise ChannelError(f"HTTP {response.status_code} {_without(response.text[:200], url)}".strip())


def _without(text: str, secret: str) -> str:
    return text.replace(secret, "<url>") if secret else text


def _url(value: Any, fieldname: str) -> str:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise InvalidInput(f"{fieldname} must be an http:// or https:// URL", field=fieldname)
    return value


@dataclass(frozen=True)
class WebhookChannel(Channel):
    """POSTs ``{"event": "alert.fired", "alert": {...}}`` as JSON to ``url`` (with optional ``headers``)."""

    kind: ClassVar[str] = "webhook"
    required: ClassVar[tuple[str, ...]] = ("url",)
    optional: ClassVar[dict[str, Any]] = {"headers": {}}
    secrets: ClassVar[tuple[str, ...]] = ("url",)

    def payload(self, alert: Alert) -> dict[str, Any]:
        return {"event": "alert.fired", "alert": alert.to_dict()}

    def send(self, alert: Alert, timeout_s: float) -> None:
        _post_json(self.options["url"], self.payload(alert), dict(self.options.get("headers") or {}), timeout_s)


@dataclass(frozen=True)
class SlackChannel(Channel):
    """POSTs a Slack incoming-webhook message: ``{"text": ..., "blocks": [...]}``."""

    kind: ClassVar[str] = "slack"
    required: ClassVar[tuple[str, ...]] = ("url",)
    secrets: ClassVar[tuple[str, ...]] = ("url",)

    def payload(self, alert: Alert) -> dict[str, Any]:
        emoji = ":rotating_light:" if alert.severity == "critical" else ":warning:"
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": f"{alert.severity.title()}: {alert.rule}"[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"{emoji} {alert.message}"}},
        ]
        if alert.recommendation:
            blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                       "text": f"*Recommendation:* {alert.recommendation}"}})
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"GrowthOS alert #{alert.id} · fired {alert.fired_at:%Y-%m-%d %H:%M} UTC"}]})
        return {"text": _title(alert), "blocks": blocks}

    def send(self, alert: Alert, timeout_s: float) -> None:
        _post_json(self.options["url"], self.payload(alert), {}, timeout_s)


@dataclass(frozen=True)
class EmailChannel(Channel):
    """Sends a plain-text email through an SMTP server (STARTTLS when ``starttls``, verified against the system's
    CAs or ``ca_file``; login when ``username``)."""

    kind: ClassVar[str] = "email"
    required: ClassVar[tuple[str, ...]] = ("host", "from", "to")
    optional: ClassVar[dict[str, Any]] = {"port": 587, "starttls": True, "username": None, "password": None,
                                          "ca_file": None}
    secrets: ClassVar[tuple[str, ...]] = ("password",)

    def message(self, alert: Alert) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = _title(alert)[:200]
        msg["From"] = self.options["from"]
        msg["To"] = ", ".join(self.options["to"])
        lines = [alert.message, ""]
        if alert.recommendation:
            lines += ["Recommendation:", alert.recommendation, ""]
        lines += [f"Observed: {alert.observed}", f"Baseline: {alert.baseline}",
                  f"Alert #{alert.id}, rule {alert.rule}, fired {alert.fired_at.isoformat()}"]
        msg.set_content("\n".join(lines))
        return msg

    def send(self, alert: Alert, timeout_s: float) -> None:
        o = self.options
        try:
            with smtplib.SMTP(o["host"], int(o["port"]), timeout=timeout_s) as smtp:
                if o["starttls"]:
                    smtp.starttls(context=ssl.create_default_context(cafile=o.get("ca_file")))
                if o.get("username"):
                    smtp.login(o["username"], o.get("password") or "")
                smtp.send_message(self.message(alert))
        except (OSError, smtplib.SMTPException) as exc:
            text = str(exc)
            if o.get("password"):
                text = text.replace(o["password"], "••••")
            raise ChannelError(f"{type(exc).__name__}: {text}"[:500]) from None


CHANNEL_KINDS: dict[str, type[Channel]] = {c.kind: c for c in (WebhookChannel, SlackChannel, EmailChannel)}


def register_channel_kind(cls: type[Channel]) -> type[Channel]:
    """Add (or replace) a channel kind; usable as a class decorator."""
    CHANNEL_KINDS[cls.kind] = cls
    return cls


def parse_channel(data: Any, where: str, env: Mapping[str, str]) -> Channel:
    """A channel from its mapping; a secret option may be given as ``<option>_env`` (an environment variable)."""
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{where} must be a mapping", field=where)
    name, kind = data.get("name"), data.get("kind")
    if not isinstance(name, str) or not name.strip() or len(name) > 64:
        raise InvalidInput(f"{where}.name must be a name of 1-64 characters; got {name!r}", field=f"{where}.name")
    if kind not in CHANNEL_KINDS:
        raise InvalidInput(f"{where}.kind must be one of {', '.join(CHANNEL_KINDS)}; got {kind!r}",
                           field=f"{where}.kind")
    cls = CHANNEL_KINDS[kind]
    min_severity = data.get("min_severity", "warning")
    if min_severity not in SEVERITIES:
        raise InvalidInput(f"{where}.min_severity must be one of {', '.join(SEVERITIES)}; got {min_severity!r}",
                           field=f"{where}.min_severity")
    known = set(cls.required) | set(cls.optional) | {f"{s}_env" for s in cls.secrets}
    options: dict[str, Any] = dict(cls.optional)
    for key, value in data.items():
        if key in ("name", "kind", "min_severity"):
            continue
        if key not in known:
            raise InvalidInput(f"{where}.{key} is not an option of {kind} channels (options: "
                               f"{', '.join(sorted(known))})", field=f"{where}.{key}")
        if key.endswith("_env") and key[:-4] in cls.secrets:
            if not isinstance(value, str) or value not in env:
                raise InvalidInput(f"{where}.{key}: environment variable {value!r} is not set", field=f"{where}.{key}")
            options[key[:-4]] = env[value]
        else:
            options[key] = value
    for key in cls.required:
        if options.get(key) in (None, "", []):
            raise InvalidInput(f"{where}.{key} is required for {kind} channels", field=f"{where}.{key}")
    _check_options(kind, options, where)
    return cls(name=name, options=options, min_severity=min_severity)


def _check_options(kind: str, o: dict[str, Any], where: str) -> None:
    if "url" in o:
        _url(o["url"], f"{where}.url")
    if kind == "webhook" and not (isinstance(o.get("headers"), Mapping)
                                  and all(isinstance(v, str) for v in o["headers"].values())):
        raise InvalidInput(f"{where}.headers must map header names to strings", field=f"{where}.headers")
    if kind == "email":
        if isinstance(o["to"], str):
            o["to"] = [o["to"]]
        if not isinstance(o["to"], list) or not all(isinstance(a, str) and "@" in a for a in o["to"]):
            raise InvalidInput(f"{where}.to must be an address or a list of addresses", field=f"{where}.to")
        if isinstance(o["port"], bool) or not isinstance(o["port"], int) or not 0 < o["port"] < 65536:
            raise InvalidInput(f"{where}.port must be a port number; got {o['port']!r}", field=f"{where}.port")
        if not isinstance(o["starttls"], bool):
            raise InvalidInput(f"{where}.starttls must be true or false", field=f"{where}.starttls")
        for key in ("username", "password", "ca_file"):
            if o.get(key) is not None and not isinstance(o[key], str):
                raise InvalidInput(f"{where}.{key} must be a string", field=f"{where}.{key}")


# -- delivery ----------------------------------------------------------------------------------------

Recorder = Callable[..., NotificationAttempt]


def deliver(alerts: list[Alert], channels: list[Channel], record: Recorder, delivery: Delivery | None = None,
            sleep: Callable[[float], None] = time.sleep) -> list[NotificationAttempt]:
    """Send each alert to each channel that accepts it, retrying; ``record(alert_id=, channel=, channel_kind=,
    attempt=, status=, error=)`` stores each attempt. Returns the attempts (channel by channel)."""
    delivery = delivery or Delivery()
    if not alerts or not channels:
        return []
    with ThreadPoolExecutor(max_workers=min(len(channels), 8), thread_name_prefix="growthos-notify") as pool:
        futures = [pool.submit(_deliver_channel, channel, alerts, record, delivery, sleep) for channel in channels]
        return [attempt for future in futures for attempt in future.result()]


def _deliver_channel(channel: Channel, alerts: list[Alert], record: Recorder, delivery: Delivery,
                     sleep: Callable[[float], None]) -> list[NotificationAttempt]:
    attempts: list[NotificationAttempt] = []
    for alert in alerts:
        if not channel.accepts(alert):
            continue
        for attempt in range(1, delivery.max_attempts + 1):
            try:
                channel.send(alert, delivery.timeout_s)
                status, error = "delivered", None
            except ChannelError as exc:
                status, error = "failed", str(exc)
            except Exception as exc:  # a broken channel plugin must not stop the others
                status, error = "failed", f"{type(exc).__name__}: {exc}"[:500]
            try:
                attempts.append(record(alert_id=alert.id, channel=channel.name, channel_kind=channel.kind,
                                       attempt=attempt, status=status, error=error))
            except Exception:
                log.exception("could not record a notification attempt of channel %s", channel.name)
            if status == "delivered":
                break
            log.warning("alert %s to channel %s failed (attempt %d of %d): %s", alert.id, channel.name, attempt,
                        delivery.max_attempts, error)
            if attempt < delivery.max_attempts:
                sleep(delivery.backoff_s * 2 ** (attempt - 1))
    return attempts
