"""Every setting golive reads, in one place, from the environment or a ``.env`` file."""

from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from store.infra.clock import known_zone

SLACK_API_DEFAULT = "https://slack.com/api/"
README_HINT = "see 'Settings' in the README"


class Settings(BaseSettings):
    """Built once at start-up and handed down; nothing else reads the environment."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    database_url: str = Field(default="sqlite:///golive.db", validation_alias="DATABASE_URL")
    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_SIGNING_SECRET"
    )
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default=SLACK_API_DEFAULT, validation_alias="SLACK_API_URL")
    slack_team_id: str | None = Field(default=None, validation_alias="SLACK_TEAM_ID")
    triage_channel: str | None = Field(default=None, validation_alias="GOLIVE_TRIAGE_CHANNEL")
    project_channel: str | None = Field(default=None, validation_alias="GOLIVE_PROJECT_CHANNEL")
    board_channel: str | None = Field(default=None, validation_alias="GOLIVE_BOARD_CHANNEL")
    admins: str = Field(default="", validation_alias="GOLIVE_ADMINS")
    timezone: str = Field(default="Europe/London", validation_alias="GOLIVE_TIMEZONE")
    port: int = Field(default=3000, validation_alias="PORT")
    workers: int = Field(default=2, validation_alias="GOLIVE_WORKERS")
    threads: int = Field(default=8, validation_alias="GOLIVE_THREADS")
    # Schedules (issue 5): local times in ``timezone``, days as mon..sun, channels that
    # override the channel routes set in Slack.
    daily_digest_time: str = Field(default="08:30", validation_alias="GOLIVE_DAILY_DIGEST_TIME")
    weekly_digest_day: str = Field(default="mon", validation_alias="GOLIVE_WEEKLY_DIGEST_DAY")
    weekly_digest_time: str = Field(default="08:30", validation_alias="GOLIVE_WEEKLY_DIGEST_TIME")
    board_review_day: str = Field(default="mon", validation_alias="GOLIVE_BOARD_REVIEW_DAY")
    board_review_time: str = Field(default="09:00", validation_alias="GOLIVE_BOARD_REVIEW_TIME")
    monthly_review_day: int = Field(
        default=1, ge=1, le=28, validation_alias="GOLIVE_MONTHLY_REVIEW_DAY"
    )
    monthly_review_time: str = Field(default="09:00", validation_alias="GOLIVE_MONTHLY_REVIEW_TIME")
    reminder_time: str = Field(default="09:00", validation_alias="GOLIVE_REMINDER_TIME")
    escalation_every_minutes: int = Field(
        default=15, ge=1, le=60, validation_alias="GOLIVE_ESCALATION_EVERY_MINUTES"
    )
    daily_digest_channel: str | None = Field(
        default=None, validation_alias="GOLIVE_DAILY_DIGEST_CHANNEL"
    )
    weekly_digest_channel: str | None = Field(
        default=None, validation_alias="GOLIVE_WEEKLY_DIGEST_CHANNEL"
    )
    board_review_channel: str | None = Field(
        default=None, validation_alias="GOLIVE_BOARD_REVIEW_CHANNEL"
    )
    monthly_review_channel: str | None = Field(
        default=None, validation_alias="GOLIVE_MONTHLY_REVIEW_CHANNEL"
    )
    theme_min_issues: int = Field(default=3, ge=2, validation_alias="GOLIVE_THEME_MIN_ISSUES")
    theme_window_days: int = Field(default=7, ge=1, validation_alias="GOLIVE_THEME_WINDOW_DAYS")
    escalation_hours_golive: int = Field(
        default=24, ge=1, validation_alias="GOLIVE_ESCALATION_HOURS_GOLIVE"
    )
    escalation_hours: int = Field(default=72, ge=1, validation_alias="GOLIVE_ESCALATION_HOURS")
    reminders_before_escalation: int = Field(
        default=2, ge=1, validation_alias="GOLIVE_REMINDERS_BEFORE_ESCALATION"
    )
    # Hardening (issue 7): days after closure before an issue's free text is removed (about
    # seven years by default; 0 keeps it for ever), and how many app replicas share the
    # database (more than one needs PostgreSQL).
    retention_days: int = Field(default=2555, ge=0, validation_alias="GOLIVE_RETENTION_DAYS")
    replicas: int = Field(default=1, ge=1, validation_alias="GOLIVE_REPLICAS")
    # Care safeguards (issue 8): how soon an ineffective control's risk must be rescored, how
    # far a control may slip before the board hears, the default shift-change times for
    # handover summaries, a provider's own fallback procedures, the commissioner's channel.
    rescore_within_days: int = Field(
        default=7, ge=1, le=90, validation_alias="GOLIVE_RESCORE_WITHIN_DAYS"
    )
    control_delay_escalation_days: int = Field(
        default=14, ge=1, validation_alias="GOLIVE_CONTROL_DELAY_ESCALATION_DAYS"
    )
    handover_times: str = Field(default="07:30,19:30", validation_alias="GOLIVE_HANDOVER_TIMES")
    fallback_dir: str | None = Field(default=None, validation_alias="GOLIVE_FALLBACK_DIR")
    commissioner_channel: str | None = Field(
        default=None, validation_alias="GOLIVE_COMMISSIONER_CHANNEL"
    )
    # Evidence (issue 14): the provider's name, as the evidence pack, the workbook and the
    # board review show it to an inspector.
    provider_name: str = Field(default="", max_length=120, validation_alias="GOLIVE_PROVIDER_NAME")

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_ends_with_slash(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith(("http://", "https://")):
            raise ValueError("SLACK_API_URL must start with https:// (or http:// for a local test)")
        return value if value.endswith("/") else value + "/"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)

    @field_validator(
        "daily_digest_time",
        "weekly_digest_time",
        "board_review_time",
        "monthly_review_time",
        "reminder_time",
    )
    @classmethod
    def _clock_time(cls, value: str) -> str:
        hours, _, minutes = value.strip().partition(":")
        if not (
            hours.isdigit()
            and minutes.isdigit()
            and 0 <= int(hours) < 24
            and 0 <= int(minutes) < 60
            and len(minutes) == 2
        ):
            raise ValueError(f"'{value}' is not a time like 08:30 (24-hour clock)")
        return f"{int(hours):02d}:{minutes}"

    @field_validator("weekly_digest_day", "board_review_day")
    @classmethod
    def _weekday(cls, value: str) -> str:
        day = value.strip().lower()[:3]
        if day not in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
            raise ValueError(f"'{value}' is not a day of the week like mon or friday")
        return day

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def admin_ids(self) -> list[str]:
        return [part.strip() for part in self.admins.replace(";", ",").split(",") if part.strip()]

    def require(self, *names: str) -> None:
        """Fail early, naming each missing setting, before anything talks to Slack."""
        fields = type(self).model_fields
        missing = [
            name
            for name in names
            for field, info in fields.items()
            if info.validation_alias == name and getattr(self, field) is None
        ]
        if missing:
            raise SettingsError(f"{', '.join(missing)} is not set; {README_HINT}")

    def require_shared_database(self) -> None:
        """Replicas each hold their own copy of a SQLite file (or fight over one on a network
        share, where SQLite's locks do not hold): only PostgreSQL gives them one database."""
        if self.replicas > 1 and self.database_url.startswith("sqlite"):
            raise SettingsError(
                f"GOLIVE_REPLICAS is {self.replicas}, but DATABASE_URL is SQLite, which only "
                "one replica can use safely. Use PostgreSQL (DATABASE_URL=postgresql://...) "
                f"to run more than one replica, or set GOLIVE_REPLICAS=1; {README_HINT}"
            )


class SettingsError(Exception):
    """A setting golive cannot start without; the message names it."""
