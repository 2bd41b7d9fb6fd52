"""When scheduled work falls, in the provider's own time zone.

Every function takes the moment it is asked about (``now``) rather than reading a clock, so
a job run "as if at" a time and the scheduler's own firing agree on the period, and the
March and October clock changes move the UTC instant but never the local wall-clock time.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Every(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    MINUTES = "minutes"


def parse_time(text: str) -> time:
    """A local time written 08:30."""
    hours, _, minutes = text.strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit()):
        raise ValueError(f"'{text}' is not a time like 08:30")
    return time(int(hours), int(minutes))


def parse_weekday(text: str) -> int:
    day = text.strip().lower()[:3]
    if day not in WEEKDAYS:
        raise ValueError(f"'{text}' is not a day of the week like mon")
    return WEEKDAYS.index(day)


def at_local(day: date, when: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time (a time skipped in March falls an hour later)."""
    return datetime.combine(day, when, tzinfo=zone).astimezone(UTC)


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def _month_day(year: int, month: int, day: int) -> date:
    return date(year, month, day)


def _previous_month(day: date) -> tuple[int, int]:
    return (day.year - 1, 12) if day.month == 1 else (day.year, day.month - 1)


def _next_month(day: date) -> tuple[int, int]:
    return (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)


@dataclass(frozen=True)
class Schedule:
    """A recurring time: every day, one weekday, one day of the month, or every N minutes."""

    every: Every
    zone: ZoneInfo
    at: time = time(0, 0)
    weekday: int = 0
    month_day: int = 1
    minutes: int = 15

    def last_at(self, now: datetime) -> datetime:
        """The most recent occurrence at or before ``now`` (UTC)."""
        if self.every == Every.MINUTES:
            moment = now.astimezone(UTC)
            floored = moment.minute - moment.minute % self.minutes
            return moment.replace(minute=floored, second=0, microsecond=0)
        today = local_date(now, self.zone)
        candidate = self._on_or_before(today)
        while candidate > now:
            candidate = self._on_or_before(self._day_of(candidate) - timedelta(days=1))
        return candidate

    def previous(self, occurrence: datetime) -> datetime:
        """The occurrence before this one: where a period's window starts."""
        if self.every == Every.MINUTES:
            return occurrence - timedelta(minutes=self.minutes)
        return self._on_or_before(self._day_of(occurrence) - timedelta(days=1))

    def next_after(self, now: datetime) -> datetime:
        if self.every == Every.MINUTES:
            return self.last_at(now) + timedelta(minutes=self.minutes)
        day = local_date(now, self.zone)
        for _ in range(400):
            candidate = self._on_or_before(day)
            if candidate > now:
                return candidate
            day = self._step_forward(day)
        raise RuntimeError("no next occurrence within a year")

    def period(self, occurrence: datetime) -> str:
        """The name of the period an occurrence opens; part of every post's key."""
        if self.every == Every.MINUTES:
            return occurrence.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
        day = self._day_of(occurrence)
        if self.every == Every.WEEK:
            year, week, _ = day.isocalendar()
            return f"{year}-W{week:02d}"
        if self.every == Every.MONTH:
            return f"{day.year}-{day.month:02d}"
        return day.isoformat()

    def cron(self) -> dict[str, str]:
        """The same times as cron fields, for APScheduler's CronTrigger in ``zone``."""
        if self.every == Every.MINUTES:
            return {"minute": f"*/{self.minutes}"}
        fields = {"hour": str(self.at.hour), "minute": str(self.at.minute)}
        if self.every == Every.WEEK:
            fields["day_of_week"] = WEEKDAYS[self.weekday]
        if self.every == Every.MONTH:
            fields["day"] = str(self.month_day)
        return fields

    def describe(self) -> str:
        at = self.at.strftime("%H:%M")
        if self.every == Every.DAY:
            return f"daily at {at}"
        if self.every == Every.WEEK:
            return f"{WEEKDAYS[self.weekday].capitalize()}days at {at}"
        if self.every == Every.MONTH:
            return f"monthly on day {self.month_day} at {at}"
        return f"every {self.minutes} minutes"

    def _day_of(self, occurrence: datetime) -> date:
        return local_date(occurrence, self.zone)

    def _on_or_before(self, day: date) -> datetime:
        """The occurrence on the latest schedule day at or before ``day``."""
        if self.every == Every.WEEK:
            day -= timedelta(days=(day.weekday() - self.weekday) % 7)
        elif self.every == Every.MONTH:
            if day.day < self.month_day:
                year, month = _previous_month(day)
                day = _month_day(year, month, self.month_day)
            else:
                day = _month_day(day.year, day.month, self.month_day)
        return at_local(day, self.at, self.zone)

    def _step_forward(self, day: date) -> date:
        if self.every == Every.MONTH:
            year, month = _next_month(day)
            return _month_day(year, month, self.month_day)
        if self.every == Every.WEEK:
            return day + timedelta(days=7 - (day.weekday() - self.weekday) % 7 or 7)
        return day + timedelta(days=1)
