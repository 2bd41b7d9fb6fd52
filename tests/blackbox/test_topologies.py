"""The other ways a provider runs golive: ``golive socket`` (no public URL) with its scheduler,
and on PostgreSQL two ``golive serve --no-scheduler`` replicas beside one ``golive
scheduler``. Whichever way, each digest is posted once."""

import datetime as dt
import signal
import threading

from tests.blackbox.harness import BOARD, TRIAGE, Provider, free_port, wait_until
from tests.blackbox.test_serve import (
    LONDON,
    errors_logged,
    posts_for,
    report_an_issue,
    set_up_provider,
)
from tests.slack_requests import slash_command
from tests.test_socket_mode import SlackSocketServer, envelope

APP_TOKEN = "xapp-1-A0001-1-blackbox"


def this_week() -> str:
    week = dt.datetime.now(LONDON).date().isocalendar()
    return f"{week.year}-W{week.week:02d}"


def test_golive_socket_serves_slack_and_posts_the_missed_board_review_once(
    provider: Provider,
) -> None:
    fake = provider.fake
    set_up_provider(provider)
    with SlackSocketServer() as slack:
        fake.socket_mode_url = slack.url
        # The board meets on Mondays at 09:00 by default: this week's review is already owed.
        served = provider.start("socket", SLACK_APP_TOKEN=APP_TOKEN)
        connection = slack.next_connection()
        command = envelope(
            "slash_commands", slash_command("help", user_id="U0STAFF", hooks_url=fake.hooks_url)
        )
        connection.send(command)
        connection.ack_for(command)
        wait_until(
            "the help",
            lambda: [c for c in fake.calls("response_url") if "/golive risk" in str(c.args)],
            within=5,
        )
        week = this_week()
        wait_until(f"the {week} board review", lambda: posts_for(fake, BOARD, week), within=15)
        served.signal(signal.SIGTERM)
        served.wait_gone(within=10)
    assert len(posts_for(fake, BOARD, week)) == 1
    assert errors_logged(served) == []


def test_two_replicas_and_one_scheduler_on_postgresql_post_each_digest_once(
    postgresql_provider: Provider,
) -> None:
    provider = postgresql_provider
    fake = provider.fake
    provider.env["GOLIVE_REPLICAS"] = "2"
    set_up_provider(provider)
    replicas = [provider.serve("--no-scheduler"), provider.serve("--no-scheduler")]
    scheduler = provider.start("scheduler")

    week = this_week()
    wait_until(f"the {week} board review", lambda: posts_for(fake, BOARD, week), within=15)

    # The same job typed on two shells at once still owes, and posts, one review.
    two_weeks_ago = (dt.datetime.now(LONDON) - dt.timedelta(days=14)).replace(tzinfo=None)
    period = two_weeks_ago.date().isocalendar()
    earlier = f"{period.year}-W{period.week:02d}"
    shells = [
        threading.Thread(
            target=provider.run, args=("job", "board_review", "--at", two_weeks_ago.isoformat())
        )
        for _ in range(2)
    ]
    for shell in shells:
        shell.start()
    for shell in shells:
        shell.join()
    wait_until(f"the {earlier} board review", lambda: posts_for(fake, BOARD, earlier), within=5)

    # Both replicas serve Slack.
    report_an_issue(provider, replicas[0])
    assert [m for m in fake.messages(TRIAGE) if "GL-0001" in str(m)]
    assert provider.driver(replicas[1]).command("mine", user_id="U0STAFF").status == 200

    for served in (*replicas, scheduler):
        served.signal(signal.SIGTERM)
    for served in (*replicas, scheduler):
        served.wait_gone(within=10)
        assert errors_logged(served) == []
    assert len(posts_for(fake, BOARD, week)) == 1
    assert len(posts_for(fake, BOARD, earlier)) == 1


def test_golive_serve_refuses_two_replicas_on_sqlite_in_one_line(provider: Provider) -> None:
    if provider.env.get("DATABASE_URL", "").startswith("postgresql"):
        return
    set_up_provider(provider)
    refused = provider.run("serve", "--port", str(free_port()), GOLIVE_REPLICAS="2")
    assert refused.status == 2
    assert len(refused.err.strip().splitlines()) == 1
    assert "PostgreSQL" in refused.err
