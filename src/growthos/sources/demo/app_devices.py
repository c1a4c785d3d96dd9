"""The recipe app's devices: web browsers and the iOS and Android apps, and the Segment ``context`` each
library sends (library, page or app/device/os, userAgent, locale, timezone)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from growthos.sources.demo.app_anomalies import AppAnomaly
from growthos.sources.demo.touches import SITE

APP_NAME = "Forkful"
APP_NAMESPACE = "com.forkful.recipes"
VERSION_EPOCH = date(2025, 1, 7)
"""Day of the app's 3.0.0 release; a minor release follows every four weeks."""
RELEASE_DAYS = 28

LOCALES = (("en-US", "America/New_York"), ("en-US", "America/Chicago"), ("en-US", "America/Los_Angeles"),
           ("en-US", "America/Denver"), ("en-CA", "America/Toronto"), ("fr-CA", "America/Toronto"))
LOCALE_WEIGHTS = (30, 20, 25, 8, 12, 5)

WEB_AGENTS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
)
WEB_AGENT_WEIGHTS = (30, 25, 25, 12, 8)
IOS_MODELS = (("iPhone14,5", 390, 844), ("iPhone15,2", 393, 852), ("iPhone16,1", 393, 852),
              ("iPhone17,2", 440, 956))
IOS_VERSIONS = ("17.6.1", "18.1", "18.2")
ANDROID_MODELS = (("Google", "Pixel 8", 412, 915), ("samsung", "SM-S921U", 384, 832),
                  ("samsung", "SM-A546U", 412, 892), ("OnePlus", "CPH2449", 412, 919))
ANDROID_VERSIONS = ("13", "14", "15")

LIBRARIES = {
    "web": {"name": "analytics.js", "version": "npm:next-1.72.0"},
    "ios": {"name": "analytics-ios", "version": "4.1.8"},
    "android": {"name": "analytics-android", "version": "4.11.3"},
}


@dataclass(slots=True)
class Device:
    """One browser or one app install: its anonymous id and the context its library sends."""

    platform: str
    """``web``, ``ios`` or ``android``."""
    anonymous_id: str
    context: dict[str, Any]
    """Everything of ``context`` but ``page`` and ``app`` (which change from message to message)."""
    installed: bool = field(default=False)
    """The app's first open was sent (``Application Installed``); unused for web."""


def new_device(rng: random.Random, platform: str, locale: tuple[str, str]) -> Device:
    """A device with a fresh anonymous id (analytics.js and the mobile SDKs use random UUIDs)."""
    anonymous_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    base: dict[str, Any] = {"library": LIBRARIES[platform], "locale": locale[0], "timezone": locale[1]}
    if platform == "web":
        base["userAgent"] = rng.choices(WEB_AGENTS, WEB_AGENT_WEIGHTS)[0]
    elif platform == "ios":
        model, width, height = rng.choice(IOS_MODELS)
        os_version = rng.choice(IOS_VERSIONS)
        base["device"] = {"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper(),
                          "manufacturer": "Apple", "model": model, "type": "ios"}
        base["os"] = {"name": "iOS", "version": os_version}
        base["screen"] = {"width": width, "height": height}
        base["network"] = {"wifi": rng.random() < 0.6, "cellular": True}
        base["userAgent"] = f"{APP_NAME}/3 CFNetwork/1568.200.51 Darwin/24.1.0"
    else:
        maker, model, width, height = rng.choice(ANDROID_MODELS)
        os_version = rng.choice(ANDROID_VERSIONS)
        base["device"] = {"id": f"{rng.getrandbits(64):016x}", "manufacturer": maker, "model": model,
                          "type": "android"}
        base["os"] = {"name": "Android", "version": os_version}
        base["screen"] = {"width": width, "height": height, "density": 2.625}
        base["network"] = {"wifi": rng.random() < 0.6, "cellular": True}
        base["userAgent"] = f"Dalvik/2.1.0 (Linux; U; Android {os_version}; {model} Build/AP2A.240905.003)"
    return Device(platform, anonymous_id, base)


def _minor(day: date) -> int:
    return max(0, (day - VERSION_EPOCH).days // RELEASE_DAYS)


def app_version(platform: str, day: date, broken: AppAnomaly | None) -> str:
    """The app version installed on ``day`` (users update on release day). Android shipped its own
    release 3.(n+1).0 on the first day of ``broken`` and the hotfix 3.(n+1).1 the day after it."""
    minor = _minor(day)
    if platform == "android" and broken is not None and day >= broken.start:
        release = _minor(broken.start) + 1
        if day <= broken.end:
            return f"3.{release}.0"
        if minor <= release:
            return f"3.{release}.1"
    return f"3.{minor}.0"


def app_context(platform: str, version: str) -> dict[str, Any]:
    """``context.app`` of a mobile message."""
    build = version.replace(".", "")
    return {"name": APP_NAME, "version": version, "build": build, "namespace": APP_NAMESPACE}


def page_properties(path: str, title: str, referrer: str = "", search: str = "") -> dict[str, Any]:
    """What analytics.js sends as a page's properties and as ``context.page``."""
    return {"path": path, "referrer": referrer, "search": search, "title": f"{title} | {APP_NAME}",
            "url": f"{SITE}{path}{search}"}
