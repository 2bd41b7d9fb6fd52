"""The Teams face's settings, read once from the environment or ``.env`` beside golive's own.

The endpoints golive trusts (the OpenID metadata that names Bot Framework's signing keys, the
issuer, the token endpoint) are settings with Microsoft's addresses as defaults, so a test can
point them at a local stand-in while the validation itself stays the same code.
"""

from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from store.infra.clock import known_zone

BOT_FRAMEWORK_OPENID = "https://login.botframework.com/v1/.well-known/openidconfiguration"
BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
BOT_FRAMEWORK_SCOPE = "https://api.botframework.com/.default"
TEAMS_SERVICE_URL = "https://smba.trafficmanager.net/teams/"
README_HINT = "see 'Microsoft Teams' in the README"


class TeamsSettings(BaseSettings):
    """Built once by the CLI and handed to the Teams face."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    app_id: str | None = Field(default=None, validation_alias="TEAMS_APP_ID")
    app_password: SecretStr | None = Field(default=None, validation_alias="TEAMS_APP_PASSWORD")
    tenant_id: str | None = Field(default=None, validation_alias="TEAMS_TENANT_ID")
    # Where golive posts in Teams: a channel's conversation id (19:...@thread.tacv2), for
    # the purposes GOLIVE_TRIAGE_CHANNEL and the others name on Slack.
    triage_channel: str | None = Field(default=None, validation_alias="TEAMS_TRIAGE_CHANNEL")
    project_channel: str | None = Field(default=None, validation_alias="TEAMS_PROJECT_CHANNEL")
    board_channel: str | None = Field(default=None, validation_alias="TEAMS_BOARD_CHANNEL")
    service_url: str = Field(default=TEAMS_SERVICE_URL, validation_alias="TEAMS_SERVICE_URL")
    port: int = Field(default=3978, validation_alias="TEAMS_PORT")
    # Where people's browsers reach this server (https://golive.example.org): an export is a
    # link to a file it serves there. Unset, exports say so instead of giving a dead link.
    public_url: str | None = Field(default=None, validation_alias="TEAMS_PUBLIC_URL")
    # Minutes an export's link works for; a link forwarded later finds it expired.
    file_link_minutes: int = Field(
        default=15, ge=1, le=24 * 60, validation_alias="TEAMS_FILE_LINK_MINUTES"
    )
    # Slack's settings of the same names, which the same commands read in Teams.
    provider_name: str = Field(default="", max_length=120, validation_alias="GOLIVE_PROVIDER_NAME")
    handover_times: str = Field(default="07:30,19:30", validation_alias="GOLIVE_HANDOVER_TIMES")
    theme_window_days: int = Field(default=7, ge=1, validation_alias="GOLIVE_THEME_WINDOW_DAYS")
    openid_url: str = Field(default=BOT_FRAMEWORK_OPENID, validation_alias="TEAMS_OPENID_URL")
    issuer: str = Field(default=BOT_FRAMEWORK_ISSUER, validation_alias="TEAMS_ISSUER")
    token_url: str | None = Field(default=None, validation_alias="TEAMS_TOKEN_URL")
    scope: str = Field(default=BOT_FRAMEWORK_SCOPE, validation_alias="TEAMS_TOKEN_SCOPE")
    # Seconds between two messages to one conversation: Teams allows a bot 1800 messages an
    # hour in one conversation, which is one every two seconds kept up for the hour.
    pace_seconds: float = Field(default=2.0, ge=0, validation_alias="TEAMS_PACE_SECONDS")
    # Azure AD object ids of the people who are golive admins from the start.
    admins: str = Field(default="", validation_alias="TEAMS_ADMINS")
    # The provider's time zone, the one Slack's face reads: the day a reminder is answered on
    # (a snooze lasts to the day after tomorrow there) and the times golive states in it.
    timezone: str = Field(default="Europe/London", validation_alias="GOLIVE_TIMEZONE")

    @field_validator("service_url")
    @classmethod
    def _ends_with_slash(cls, value: str) -> str:
        value = value.strip()
        return value if value.endswith("/") else value + "/"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def admin_ids(self) -> list[str]:
        return [part.strip() for part in self.admins.replace(";", ",").split(",") if part.strip()]

    @property
    def token_endpoint(self) -> str:
        """Azure AD's token endpoint for the bot's tenant (single-tenant bots, as Azure now
        creates them), unless a setting names another."""
        if self.token_url:
            return self.token_url
        return f"https://login.microsoftonline.com/{self.tenant_id}/oauth2/v2.0/token"

    def require(self) -> None:
        """Fail early, naming each missing setting, before anything talks to Teams."""
        missing = [
            name
            for name, value in (
                ("TEAMS_APP_ID", self.app_id),
                ("TEAMS_APP_PASSWORD", self.app_password),
                ("TEAMS_TENANT_ID", self.tenant_id),
            )
            if not value
        ]
        if missing:
            raise TeamsSettingsError(f"{', '.join(missing)} is not set; {README_HINT}")


class TeamsSettingsError(Exception):
    """A Teams setting golive cannot start without; the message names it."""
