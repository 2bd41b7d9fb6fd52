"""``golive serve`` as the README tells a provider to run it: ``golive init``, then ``golive
serve`` with default flags on the default database, with Slack's requests signed and its Web
API played by the fake on loopback."""

import datetime as dt
import signal
import time
from zoneinfo import ZoneInfo

from tests.blackbox.forms import fill
from tests.blackbox.harness import BOARD, TRIAGE, Provider, Served, wait_until
from tests.fakeslack import FakeSlack

LONDON = ZoneInfo("Europe/London")
STAFF = "U0STAFF"
MANAGER = "U0MANAGER"
SETTLE_S = 25
"""Seconds a test leaves between starting golive and a digest's due time: start-up and its
catch-up are over by then, so the post at the due time is the scheduler's own."""


def set_up_provider(provider: Provider) -> None:
    """What the README's set-up section has a provider type: schema, a service, a manager."""
    provider.run("init").ok()
    today = dt.datetime.now(LONDON).date().isoformat()
    provider.run("service", "add", "Oakwood House", "--key", "oakwood", "--go-live", today).ok()
    provider.run("person", "add", MANAGER, "Rita Okafor", "--service", "oakwood").ok()
    provider.run("role", "grant", MANAGER, "registered-manager", "--service", "oakwood").ok()


def board_review_due_soon() -> tuple[dt.datetime, dict[str, str]]:
    """A weekly board review due today, at the first whole minute at least SETTLE_S ahead,
    and the settings that put it there."""
    now = dt.datetime.now(LONDON)
    due = (now + dt.timedelta(seconds=SETTLE_S + 60)).replace(second=0, microsecond=0)
    return due, {
        "GOLIVE_BOARD_REVIEW_DAY": due.strftime("%a").lower(),
        "GOLIVE_BOARD_REVIEW_TIME": due.strftime("%H:%M"),
    }


def posts_for(fake: FakeSlack, channel: str, period: str) -> list[dict[str, object]]:
    """golive's posts in ``channel`` whose idempotency key names ``period``."""
    return [
        message
        for message in fake.messages(channel)
        if period in str(((message.get("metadata") or {}).get("event_payload") or {}).get("key"))
    ]


def errors_logged(served: Served) -> list[str]:
    return [
        line
        for line in served.output().splitlines()
        if '"level": "error"' in line or "Traceback" in line or "[ERROR]" in line
    ]


def report_an_issue(provider: Provider, served: Served) -> str:
    """Staff type /golive, fill the modal the bot opened and send it; the triage post's ts."""
    fake = provider.fake
    slack = provider.driver(served)
    opened = len(fake.calls("views.open"))
    assert slack.command("", user_id=STAFF).status == 200
    view_id = fake.wait_for("views.open", opened + 1, timeout=5)[-1].answered["view"]["id"]
    view = fake.view(view_id)
    values = fill(
        view,
        {
            "Service": "Oakwood House",
            "What happened?": "eMAR tablet on the first floor logged everyone out at 08:05",
            "Impact on care": "Some impact on care",
        },
        user=STAFF,
    )
    answer = slack.submit(view=view, values=values, user_id=STAFF)
    assert answer.status == 200
    assert "errors" not in (answer.body or "{}"), answer.body
    triage = wait_until(
        "the triage post",
        lambda: [m for m in fake.messages(TRIAGE) if "GL-0001" in str(m)],
        within=10,
    )
    wait_until(
        "the reporter's confirmation",
        lambda: [
            c
            for c in fake.calls("chat.postMessage")
            if c.accepted and "GL-0001" in str(c.args) and c.args.get("channel") != TRIAGE
        ],
        within=10,
    )
    return str(triage[0]["ts"])


def test_provider_runs_golive_serve_from_init_to_a_scheduled_digest(provider: Provider) -> None:
    fake = provider.fake
    set_up_provider(provider)
    due, when = board_review_due_soon()
    provider.env.update(when)

    served = provider.serve()

    # Staff report, and a manager opens a triage form from the triage post.
    triage_ts = report_an_issue(provider, served)
    post = fake.find_message(TRIAGE, triage_ts)
    assert post is not None
    buttons = [
        element
        for block in post.get("blocks", [])
        if block.get("type") == "actions"
        for element in block["elements"]
        if element.get("type") == "button"
    ]
    assert buttons, f"the triage post has no buttons: {post}"
    opened = len(fake.calls("views.open"))
    click = provider.driver(served).action(
        buttons[0]["action_id"],
        buttons[0].get("value"),
        user_id=MANAGER,
        message=post,
        channel_id=TRIAGE,
    )
    assert click.status == 200
    fake.wait_for("views.open", opened + 1, timeout=5)

    # A job run from the shell while golive serves: its post is delivered within 5 s.
    two_weeks_ago = (due - dt.timedelta(days=14)).replace(tzinfo=None).isoformat()
    queued = provider.run("job", "board_review", "--at", two_weeks_ago).ok()
    assert "owed" in queued.out, queued.out
    period = (due - dt.timedelta(days=14)).date().isocalendar()
    earlier = f"{period.year}-W{period.week:02d}"
    ran = time.monotonic()
    wait_until(f"the {earlier} board review", lambda: posts_for(fake, BOARD, earlier), within=5)
    assert time.monotonic() - ran <= 5

    # The scheduler inside golive serve posts this week's board review when it falls due.
    week = due.date().isocalendar()
    this_week = f"{week.year}-W{week.week:02d}"
    assert not posts_for(fake, BOARD, this_week), "posted before it was due"
    wait_seconds = (due - dt.datetime.now(LONDON)).total_seconds() + 20
    wait_until(
        f"the {this_week} board review",
        lambda: posts_for(fake, BOARD, this_week),
        within=wait_seconds,
        every=0.5,
    )
    assert dt.datetime.now(LONDON) >= due
    time.sleep(3)  # a second post, if one were coming, would come with the first
    assert len(posts_for(fake, BOARD, this_week)) == 1
    assert len(posts_for(fake, BOARD, earlier)) == 1

    # SIGTERM stops the master, its workers and the scheduler within 10 s.
    wait_until("the workers and the scheduler", lambda: len(served.children()) >= 3, within=5)
    served.signal(signal.SIGTERM)
    served.wait_gone(within=10)
    assert errors_logged(served) == []


def test_no_worker_outlives_a_killed_master(provider: Provider) -> None:
    set_up_provider(provider)
    served = provider.serve()
    # two workers and the scheduler
    wait_until("the workers and the scheduler", lambda: len(served.children()) >= 3, within=5)
    served.signal(signal.SIGKILL)
    served.wait_gone(within=10)


def test_golive_serve_is_healthy_within_15_seconds_and_stays_so(provider: Provider) -> None:
    set_up_provider(provider)
    served = provider.serve()
    # The scheduler's start-up catch-up writes while the workers serve: health holds.
    for _ in range(30):
        assert served.health() == 200, served.tail()
        time.sleep(0.2)
    assert errors_logged(served) == []
