"""Settings: environment variables GROWTHOS_*, then an optional growthos.toml in the data directory.

One typed object is passed down to every layer; nothing reads the environment anywhere else.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date, datetime
from datetime import time as dt_time
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from growthos.core.errors import ConfigError

WORKSPACE_FILE = "growthos.toml"


class ChannelRule(BaseModel):
    """One rule of the channel classifier; every pattern given must match (case-insensitive regex)."""

    channel: str
    """Channel assigned when the rule matches (e.g. ``meta``, ``organic_search``)."""
    click_id: str | None = None
    """Match when the landing page carries this click-id parameter (``gclid``, ``fbclid``...)."""
    source: str | None = None
    """Regex on utm_source (orders) or sessionSource (GA4)."""
    medium: str | None = None
    """Regex on utm_medium (orders) or sessionMedium (GA4)."""
    referrer: str | None = None
    """Regex on the referrer's host name."""

    @model_validator(mode="after")
    def _valid_patterns(self) -> ChannelRule:
        patterns = {"source": self.source, "medium": self.medium, "referrer": self.referrer}
        if self.click_id is None and not any(patterns.values()):
            raise ValueError(f"rule for {self.channel!r} needs click_id, source, medium or referrer")
        for name, pattern in patterns.items():
            if pattern is not None:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"{name} pattern {pattern!r} is not a valid regex: {exc}") from exc
        return self


DEFAULT_CHANNEL_RULES: list[ChannelRule] = [
    ChannelRule(channel="google_ads", click_id="gclid"),
    ChannelRule(channel="meta", click_id="fbclid"),
    ChannelRule(channel="google_ads", source=r"^(google|adwords)$", medium=r"^(cpc|ppc|paid|paid_search)$"),
    ChannelRule(
        channel="meta",
        source=r"^(facebook|fb|instagram|ig|meta)$",
        medium=r"^(cpc|paid|paid_social|paidsocial)$",
    ),
    ChannelRule(channel="email", medium=r"^e-?mail$"),
    ChannelRule(channel="email", source=r"^(klaviyo|mailchimp|newsletter)$"),
    ChannelRule(channel="organic_social", medium=r"^(social|organic_social)$"),
    ChannelRule(
        channel="organic_social",
        source=r"(^|\.)(facebook|instagram|tiktok|pinterest|reddit|t|x|twitter|linkedin)\.(com|co)$",
    ),
    ChannelRule(
        channel="organic_social",
        referrer=r"(^|\.)(facebook|instagram|tiktok|pinterest|reddit|t|x|twitter)\.(com|co)$",
    ),
    ChannelRule(channel="organic_search", medium=r"^organic$"),
    ChannelRule(channel="organic_search", referrer=r"(^|\.)(google|bing|duckduckgo|yahoo|ecosia)\.[a-z.]+$"),
    ChannelRule(channel="direct", source=r"^\(direct\)$"),
    ChannelRule(channel="referral", medium=r"^referral$"),
    ChannelRule(channel="referral", referrer=r".+"),
    ChannelRule(channel="direct", medium=r"^\(none\)$"),
]

DEFAULT_CATEGORY_MARGINS: dict[str, Decimal] = {
    "Meal Kits": Decimal("0.38"),
    "Family Boxes": Decimal("0.34"),
    "Add-ons": Decimal("0.55"),
    "Pantry": Decimal("0.48"),
    "Gift Cards": Decimal("0.95"),
}


class Settings(BaseSettings):
    """Every setting GrowthOS reads; env ``GROWTHOS_<NAME>`` overrides ``<data_dir>/growthos.toml``."""

    model_config = SettingsConfigDict(env_prefix="GROWTHOS_", extra="ignore")

    data_dir: Path = Path("./growthos-data")
    """Directory holding the warehouse, the app database and generated keys."""
    app_db_url: str | None = None
    """SQLAlchemy URL of the app database; default SQLite file ``app.db`` in the data directory."""
    encryption_key: SecretStr | None = None
    """Key encrypting connector credentials: 32 bytes as base64 or hex; None uses ``encryption_key_file``."""
    encryption_key_file: Path | None = None
    """Generated key file (mode 0600) used when no encryption_key is set; default ``<data_dir>/encryption.key``."""
    engine: str = "duckdb"
    """Engine that builds the models and answers CLI queries, by registered name (duckdb, spark); the server
    always serves from the DuckDB file, which reads a Spark build's marts from the lake."""
    spark_master: str = "local[*]"
    """Spark master URL: local[*], spark://host:7077, yarn, k8s://…; or a Spark Connect URL sc://host:15002."""
    spark_conf: dict[str, str] = Field(default_factory=dict)
    """Extra Spark settings for the session (spark.executor.memory, spark.sql.shuffle.partitions, …)."""
    lake_path: Path | None = None
    """Parquet lake of the Spark engine (raw layer, events, marts); default ``<data_dir>/lake``."""
    timezone: str = "America/New_York"
    """Reporting time zone: day boundaries of every metric follow it."""
    currency: str = "USD"
    """Reporting currency (ISO 4217); amounts in other currencies are converted with ``fx_rates``."""
    fx_rates: dict[str, Decimal] = Field(default_factory=lambda: {"USD": Decimal(1), "CAD": Decimal("0.73")})
    """Units of reporting currency per unit of each source currency."""
    as_of: date | None = None
    """The workspace's 'today' (last full day is the day before); None means the real date."""
    demo: bool = False
    """True when the data directory holds the generated demo workspace."""
    category_margins: dict[str, Decimal] = Field(default_factory=lambda: dict(DEFAULT_CATEGORY_MARGINS))
    """Gross margin on list price per product type, used for COGS where no unit cost is known."""
    default_margin: Decimal = Decimal("0.40")
    """Gross margin for product types not in ``category_margins``."""
    shipping_cost_per_order: Decimal = Decimal("8.50")
    """Fulfilment and carrier cost per order, in reporting currency."""
    payment_fee_rate: Decimal = Decimal("0.029")
    """Payment processor fee as a share of the amount charged."""
    payment_fee_fixed: Decimal = Decimal("0.30")
    """Payment processor fixed fee per order, in reporting currency."""
    channel_rules: list[ChannelRule] = Field(default_factory=lambda: list(DEFAULT_CHANNEL_RULES))
    """Ordered channel classification rules; the first match wins."""
    ingest_batch_size: int = 500
    """Raw records appended per batch."""
    duckdb_memory_limit: str = "2GB"
    """DuckDB memory_limit for builds and queries."""
    duckdb_threads: int | None = None
    """DuckDB worker threads; None uses every core."""
    product_features: dict[str, list[str]] = Field(default_factory=dict)
    """Named product features (feature -> the track events that mean it was used); empty: each event is one."""
    collector_max_queue_events: int = Field(default=500_000, ge=2_500)
    """Collected events acknowledged but not yet in the warehouse before new requests get 429 (journal backlog)."""
    collector_submit_timeout_s: float = Field(default=10.0, gt=0)
    """How long a collector request waits for its events to be stored before answering 503 (retries dedupe)."""
    scheduler_enabled: bool = True
    """Run the server's scheduler: syncs every ``sync_interval_minutes``, a build daily at ``build_time``."""
    sync_interval_minutes: int = Field(default=60, ge=1)
    """Minutes between the scheduled syncs of every connection (a build follows when one stored anything new)."""
    build_time: str = "06:00"
    """Time of day (HH:MM, 24-hour, in the reporting time zone) of the scheduled daily build."""
    budgets: dict[str, Decimal] = Field(default_factory=dict)
    """Monthly budget per channel (channel -> reporting currency per calendar month, prorated by day)."""

    # -- collector back-pressure (hardening) --
    collector_max_queue_bytes: int = Field(default=64 * 1024 * 1024, ge=1024 * 1024)
    """Journal bytes acknowledged but not yet in the warehouse before new collector requests get 429."""
    collector_max_inflight_requests: int = Field(default=64, ge=1)
    """Collector requests being read, parsed or journaled at once; more get 429 with Retry-After at once."""
    collector_retry_after_s: float = Field(default=1.0, gt=0, le=300)
    """Shortest Retry-After of the collector's 429/503 answers, in seconds (a full backlog may ask longer)."""

    # -- health checks (hardening) --
    health_check_interval_s: float = Field(default=5.0, gt=0, le=3600)
    """Seconds between /api/health's background checks of the warehouse and app database (answers never wait)."""

    @field_validator("currency")
    @classmethod
    def _upper_currency(cls, v: str) -> str:
        if len(v) != 3 or not v.isalpha():
            raise ValueError("must be a three-letter ISO 4217 code")
        return v.upper()

    @field_validator("budgets")
    @classmethod
    def _valid_budgets(cls, v: dict[str, Decimal]) -> dict[str, Decimal]:
        for channel, amount in v.items():
            if not channel.strip():
                raise ValueError("budgets: a channel name must not be empty")
            if not amount.is_finite() or amount < 0:
                raise ValueError(f"budgets.{channel} must be a non-negative amount, got {amount}")
        return v

    @field_validator("build_time")
    @classmethod
    def _valid_build_time(cls, v: str) -> str:
        if not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", v.strip()):
            raise ValueError(f"build_time must be a time of day as HH:MM (24-hour, e.g. 06:00); got {v!r}")
        return v.strip()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def lake_location(self) -> Path:
        return self.lake_path or self.data_dir / "lake"

    @property
    def build_at(self) -> dt_time:
        """``build_time`` as a time of day (in the reporting time zone)."""
        hours, minutes = self.build_time.split(":")
        return dt_time(int(hours), int(minutes))

    @property
    def resolved_app_db_url(self) -> str:
        return self.app_db_url or f"sqlite:///{(self.data_dir / 'app.db').resolve()}"

    def today(self) -> date:
        """The workspace's today in its reporting time zone."""
        if self.as_of is not None:
            return self.as_of
        from zoneinfo import ZoneInfo

        return datetime.now(ZoneInfo(self.timezone)).date()

    def now(self) -> datetime:
        """The workspace's current instant (aware): the start of ``as_of`` in the reporting time zone when
        ``as_of`` pins the date (the demo), else the real time."""
        from datetime import UTC, time
        from zoneinfo import ZoneInfo

        if self.as_of is not None:
            return datetime.combine(self.as_of, time(0), tzinfo=ZoneInfo(self.timezone))
        return datetime.now(UTC)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _WorkspaceFileSource(settings_cls, init_settings, env_settings))


class _WorkspaceFileSource(PydanticBaseSettingsSource):
    """Reads ``growthos.toml`` from the data directory chosen by init arguments or the environment."""

    def __init__(self, settings_cls, init_settings, env_settings) -> None:
        super().__init__(settings_cls)
        self._init = init_settings
        self._env = env_settings

    def get_field_value(self, field, field_name):  # pragma: no cover - required by the base class
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        data_dir = self._init().get("data_dir") or self._env().get("data_dir") or "./growthos-data"
        path = Path(data_dir) / WORKSPACE_FILE
        if not path.exists():
            return {}
        try:
            return tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from exc


def load_settings(**overrides: Any) -> Settings:
    """Settings from overrides, the environment and the workspace file, with errors made readable."""
    from pydantic import ValidationError

    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**clean)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ConfigError(f"setting {field!r}: {first['msg']}", field=field) from exc


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    # Strings, and decimals as strings so that no binary float rounding creeps in.
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def write_workspace_file(data_dir: Path, values: dict[str, Any]) -> Path:
    """Write settings to the workspace's growthos.toml: scalars (str, bool, int, Decimal, date), lists of them
    and flat tables of both (e.g. category_margins, product_features)."""
    scalars = [f"{k} = {_toml_value(v)}" for k, v in values.items() if not isinstance(v, dict)]
    tables = []
    for key, table in values.items():
        if isinstance(table, dict):
            tables.append(f"\n[{key}]")
            tables.extend(f"{_toml_value(str(k))} = {_toml_value(v)}" for k, v in table.items())
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / WORKSPACE_FILE
    path.write_text("\n".join(scalars + tables) + "\n")
    return path
