"""Every setting golive reads, in one place, from the environment or a ``.env`` file."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a time zone name like Europe/London") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def admin_ids(self) -> list[str]:
        return [part.strip() for part in self.admins.replace(";", ",").split(",") if part.strip()]

    def require_slack(self, *, socket_mode: bool = False) -> None:
        """Fail early, naming the missing setting, before anything talks to Slack."""
        missing = [
            name
            for name, value in (
                ("SLACK_BOT_TOKEN", self.slack_bot_token),
                ("SLACK_SIGNING_SECRET", None if socket_mode else self.slack_signing_secret),
                ("SLACK_APP_TOKEN", self.slack_app_token if socket_mode else "n/a"),
            )
            if value is None and not (name == "SLACK_SIGNING_SECRET" and socket_mode)
        ]
        if missing:
            raise SettingsError(f"{', '.join(missing)} is not set; {README_HINT}")


class SettingsError(Exception):
    """A setting golive cannot start without; the message names it."""
