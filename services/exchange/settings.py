"""Configuration from ``EXCHANGE_*`` environment variables.

One object, built once per process, so the API, the worker and the dev launcher agree on
where data lives and which Temporal and database they talk to.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from workflows.importing.types import DEFAULT_CHUNK_ATTEMPTS


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EXCHANGE_", extra="ignore")

    data_dir: Path = Field(default=Path(".exchange"))
    database_url: str | None = None
    temporal_address: str | None = None
    temporal_namespace: str = "default"
    task_queue: str = "exchange"
    host: str = "127.0.0.1"
    port: int = 8000
    admin_token: str | None = None
    home_code: str = "HOME"
    # Our library's name as people read it on every page, notice and packing list (the portal
    # says "Ваши обмены с библиотекой «…»"): a real name by default, never a placeholder.
    home_name: str = "Perpustakaan Nasional Republik Indonesia"
    # Our postal address as the packing list prints it: lines separated by "|" or newlines.
    home_address: str = ""
    # Our country (ISO 3166-1 alpha-2): the origin on customs papers of what we send, and how
    # a parcel is told to be international (the partner's country differs).
    home_country: str = Field(default="ID", min_length=2, max_length=2)
    # Who signs the shipment papers for us (transfer act, receipt): name and post. Left
    # empty, the papers name the staff member who last acted on the exchange.
    signatory_name: str = ""
    signatory_post: str = ""
    timezone: str = "UTC"
    max_upload_bytes: int = 200 * 1024 * 1024
    max_body_bytes: int = 1024 * 1024
    import_chunk_size: int = Field(default=1000, ge=1, le=100_000)
    import_heartbeat_seconds: float = Field(default=60.0, gt=0)
    # How often a chunk of an import is tried before its batch ends failed with the reason.
    import_chunk_attempts: int = Field(default=DEFAULT_CHUNK_ATTEMPTS, ge=1, le=1000)
    public_url: str = ""
    allow_insecure_webhooks: bool = False
    webhook_retry_seconds: float = Field(default=30.0, gt=0)
    # Notices by e-mail (``service.email_sending``): no host, no e-mail is attempted.
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_tls: Literal["none", "starttls", "ssl"] = "none"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    mail_from: str = "exchange@localhost"
    # The department's own mailbox: it gets the staff notices, in the home language (id).
    staff_email: str | None = None
    retention_copies: int = Field(default=2, ge=0)
    reminder_days_before: int = Field(default=3, ge=0)
    claim_interval_days: int = Field(default=14, ge=1)
    # An offer list closes this many weeks after it is made, unless a closing day is given.
    offer_list_weeks: int = Field(default=6, ge=1, le=52)
    key_cache_seconds: float = Field(default=5.0, ge=0)
    read_cache_mb: float = Field(default=32.0, ge=0)
    api_workers: int = Field(default=0, ge=0)
    api_threads: int = Field(default=2, ge=1)
    temporal_port: int = 7233
    temporal_ui_port: int = 8233

    @cached_property
    def resolved_database_url(self) -> str:
        """SQLite in the data directory unless a URL is configured."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'exchange.db').resolve()}"

    @property
    def base_url(self) -> str:
        """Where partners reach the API, for links in webhook events."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def home_address_lines(self) -> list[str]:
        """``home_address`` line by line, blank lines left out."""
        lines = self.home_address.replace("|", "\n").splitlines()
        return [line.strip() for line in lines if line.strip()]

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def admin_token_file(self) -> Path:
        return self.data_dir / "admin-token"
