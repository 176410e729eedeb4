"""Configuration from `PETPRO_*` environment variables (pydantic-settings).

With no configuration at all PetPro runs all-in-one: SQLite files under `./petpro-data`,
an in-process relay, a signing key generated into the data directory on first start.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.email.smtp import SmtpSecurity
from adapters.sql.database import sqlite_url_in

MEMORY_URL = "memory://"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class StorageKind(StrEnum):
    MEMORY = "memory"
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PETPRO_", extra="ignore", frozen=True)

    env: Environment = Field(
        Environment.DEVELOPMENT,
        description="`production` refuses generated keys and never migrates implicitly.",
    )
    data_dir: Path = Field(
        Path("petpro-data"), description="Where the embedded SQLite files and generated keys live."
    )
    database_url: str | None = Field(
        None,
        description="postgresql://… for PostgreSQL, sqlite:///… for SQLite, memory:// for "
        "throw-away "
        "in-memory storage. Default: SQLite under the data directory.",
    )
    auth_database_url: str | None = Field(
        None, description="Overrides database_url for the auth context."
    )
    booking_database_url: str | None = Field(
        None, description="Overrides database_url for the booking context."
    )
    clinic_database_url: str | None = Field(
        None, description="Overrides database_url for the clinic context."
    )
    inventory_database_url: str | None = Field(
        None, description="Overrides database_url for the inventory context."
    )
    vendor_database_url: str | None = Field(
        None, description="Overrides database_url for the vendor context."
    )
    notification_database_url: str | None = Field(
        None, description="Overrides database_url for the notification context."
    )
    finance_database_url: str | None = Field(
        None, description="Overrides database_url for the finance context."
    )
    booking_hold_minutes: int = Field(
        15,
        ge=1,
        le=24 * 60,
        description="A held booking not confirmed within this time fails and is compensated.",
    )
    idempotency_key_hours: int = Field(
        24, ge=1, le=24 * 30, description="How long an Idempotency-Key's response is kept."
    )
    pick_up_days: int = Field(
        7,
        ge=1,
        le=90,
        description="How long a placed shop order waits at the clinic; not collected by then, "
        "it is cancelled and refunded.",
    )
    database_pool_size: int = Field(
        20, ge=1, le=500, description="PostgreSQL connections kept per process."
    )
    database_pool_overflow: int = Field(
        10, ge=0, le=500, description="Extra connections beyond the pool, closed when returned."
    )
    database_pool_pre_ping: bool = Field(
        False,
        description="Test each connection before use (a round trip per transaction); off, a "
        "database restart fails one request per process and the pool is renewed.",
    )
    redis_url: str | None = Field(
        None,
        description="redis://… switches the event bus to Redis Streams, shared by every "
        "process. Default: an in-process bus (all-in-one `petpro serve`).",
    )
    stream_prefix: str = Field(
        "petpro", pattern=r"^[A-Za-z0-9_.-]+$", description="Prefix of every Redis key."
    )
    inprocess_workers: bool | None = Field(
        None,
        description="Run the relays and consumers inside `petpro serve`. Default: yes without "
        "a Redis URL (all-in-one), no with one (run `petpro worker`).",
    )
    relay_batch_size: int = Field(500, ge=1, le=10_000)
    relay_concurrent_claims: int = Field(
        3, ge=1, le=8, description="Batches a relay has in flight at once."
    )
    relay_idle_seconds: float = Field(
        1.0, gt=0, le=60, description="Longest relay sleep without news (SQLite polls this often)."
    )
    outbox_retention_hours: int = Field(
        168, ge=1, description="Published outbox rows (and inbox rows) are kept this long."
    )
    consumer_batch_size: int = Field(100, ge=1, le=1000)
    consumer_claim_idle_seconds: float = Field(
        30.0, gt=0, description="Idle time after which another consumer takes a message over."
    )
    consumer_max_deliveries: int = Field(5, ge=1, le=100)
    consumer_retry_base_seconds: float = Field(0.5, gt=0)
    consumer_retry_max_seconds: float = Field(15.0, gt=0)
    log_level: str = Field("INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")
    log_format: str = Field("json", pattern=r"^(json|text)$")

    jwt_private_key: SecretStr | None = Field(
        None, description="Ed25519 private key, PEM (PKCS#8)."
    )
    jwt_private_key_file: Path | None = Field(
        None,
        description="File with the Ed25519 PEM key. Default: <data_dir>/jwt-ed25519.pem, "
        "generated in development.",
    )
    jwt_issuer: str = "petpro"
    jwt_audience: str = "petpro-api"
    access_token_ttl_seconds: int = Field(900, ge=60, le=3600)
    refresh_token_ttl_days: int = Field(14, ge=1, le=90)

    login_max_failures_per_account: int = Field(10, ge=1)
    login_max_failures_per_address: int = Field(100, ge=1)
    login_failure_window_seconds: int = Field(900, ge=1)

    argon2_memory_kib: int = Field(19_456, ge=1024, description="OWASP: 19 MiB with 2 iterations.")
    argon2_time_cost: int = Field(2, ge=1)
    argon2_parallelism: int = Field(1, ge=1)

    cors_allow_origins: list[str] = Field(default_factory=list)
    rate_limit_per_minute: int = Field(
        120, ge=0, description="Requests per client address per minute on /auth/*; 0 turns it off."
    )
    auto_migrate: bool | None = Field(
        None,
        description="Apply migrations when `petpro serve` starts. Default: yes on embedded SQLite "
        "in development, no otherwise.",
    )

    # Notification channels (see the README's "Notification channels").
    smtp_host: str | None = Field(
        None, description="SMTP server for e-mail. Unset: e-mails are logged, not sent."
    )
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port (587 submission).")
    smtp_username: str | None = Field(None, description="SMTP login (with smtp_password).")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_security: SmtpSecurity = Field(
        SmtpSecurity.STARTTLS,
        description="`starttls` (required upgrade, port 587), `tls` (implicit, port 465) or "
        "`none` (a local relay or test server).",
    )
    smtp_from: str | None = Field(
        None,
        description="Sender address of notification e-mail; required in production when "
        "smtp_host is set. Default: petpro@localhost.",
    )
    smtp_from_name: str = Field("PetPro", max_length=100, description="Sender display name.")
    smtp_timeout_seconds: float = Field(
        10.0, gt=0, le=300, description="Connect and reply timeout per SMTP step."
    )
    sms_webhook_url: str | None = Field(
        None, description="Provider webhook for SMS. Unset: SMS are logged, not sent."
    )
    push_webhook_url: str | None = Field(
        None, description="Provider webhook for push. Unset: push messages are logged."
    )
    webhook_secret: SecretStr | None = Field(
        None,
        description="HMAC-SHA256 key signing webhook requests; required with a webhook URL.",
    )
    webhook_timeout_seconds: float = Field(
        10.0, gt=0, le=300, description="Timeout of one webhook request."
    )
    notification_max_attempts: int = Field(
        5, ge=1, le=50, description="Sending attempts before a delivery ends as failed."
    )
    notification_retry_base_seconds: float = Field(
        30.0, gt=0, description="First retry delay; doubles per attempt, with jitter."
    )
    notification_retry_cap_seconds: float = Field(
        3600.0, gt=0, description="Longest delay between two attempts."
    )

    @field_validator(
        "database_url",
        "auth_database_url",
        "booking_database_url",
        "clinic_database_url",
        "inventory_database_url",
        "vendor_database_url",
        "notification_database_url",
        "finance_database_url",
    )
    @classmethod
    def _known_scheme(cls, url: str | None) -> str | None:
        if url is not None:
            storage_kind(url)
        return url

    @field_validator("sms_webhook_url", "push_webhook_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is not None and (
            not url.startswith(("http://", "https://")) or not urlsplit(url).hostname
        ):
            raise ValueError("a webhook URL is http(s)://host/…")
        return url

    @field_validator("smtp_from")
    @classmethod
    def _mail_address(cls, address: str | None) -> str | None:
        if address is not None:
            local, at, domain = address.partition("@")
            if not (local and at and domain) or "@" in domain or any(c.isspace() for c in address):
                raise ValueError(f"not an e-mail address: {address!r}")
        return address

    @model_validator(mode="after")
    def _notification_channels_complete(self) -> Settings:
        if (self.sms_webhook_url or self.push_webhook_url) and not (
            self.webhook_secret and self.webhook_secret.get_secret_value()
        ):
            raise ValueError(
                "PETPRO_WEBHOOK_SECRET is required when PETPRO_SMS_WEBHOOK_URL or "
                "PETPRO_PUSH_WEBHOOK_URL is set (it signs every webhook request)"
            )
        if (self.smtp_username is None) != (self.smtp_password is None):
            raise ValueError("PETPRO_SMTP_USERNAME and PETPRO_SMTP_PASSWORD go together")
        if self.smtp_host and self.env is Environment.PRODUCTION and not self.smtp_from:
            raise ValueError("PETPRO_SMTP_FROM is required in production with PETPRO_SMTP_HOST")
        if self.notification_retry_cap_seconds < self.notification_retry_base_seconds:
            raise ValueError(
                "notification_retry_cap_seconds must not be below notification_retry_base_seconds"
            )
        return self

    @model_validator(mode="after")
    def _retries_before_reclaim(self) -> Settings:
        if self.consumer_retry_max_seconds >= self.consumer_claim_idle_seconds:
            raise ValueError(
                "consumer_retry_max_seconds must be below consumer_claim_idle_seconds, or "
                "stuck-message reclaim would race the retries"
            )
        return self

    def database_url_for(self, context: str) -> str:
        override = getattr(self, f"{context}_database_url", None)
        return override or self.database_url or sqlite_url_in(self.data_dir)

    def storage_for(self, context: str) -> StorageKind:
        return storage_kind(self.database_url_for(context))

    @property
    def should_auto_migrate(self) -> bool:
        if self.auto_migrate is not None:
            return self.auto_migrate
        return (
            self.env is Environment.DEVELOPMENT and self.storage_for("auth") is StorageKind.SQLITE
        )

    @property
    def runs_inprocess_workers(self) -> bool:
        return self.inprocess_workers if self.inprocess_workers is not None else not self.redis_url

    @property
    def outbox_retention(self) -> timedelta:
        return timedelta(hours=self.outbox_retention_hours)

    @property
    def access_token_ttl(self) -> timedelta:
        return timedelta(seconds=self.access_token_ttl_seconds)

    @property
    def jwt_key_path(self) -> Path:
        return self.jwt_private_key_file or self.data_dir / "jwt-ed25519.pem"


def storage_kind(url: str) -> StorageKind:
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    if url == MEMORY_URL:
        return StorageKind.MEMORY
    if scheme == "sqlite":
        return StorageKind.SQLITE
    if scheme in {"postgresql", "postgres"}:
        return StorageKind.POSTGRESQL
    raise ValueError(
        f"unsupported database URL scheme {scheme!r}: use postgresql://, sqlite:/// or memory://"
    )
