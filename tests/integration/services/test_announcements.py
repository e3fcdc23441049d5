"""Product news: mailed only to people whose marketing consent is active when each batch is sent."""

import pytest
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.integrations.mail import read_outbox
from studio_app.jobs.digests import run_digest_round
from studio_app.jobs.mailings import send_announcements
from studio_app.models.privacy import Announcement, AnnouncementDelivery
from studio_app.security.policy import NotAllowed
from studio_app.services import announcements, privacy
from studio_app.services.validation import InvalidInput
from tests.integration.services.test_policies import admin
from tests.support.projects import call, person

NEWS = "We shipped **time-coded review**.\n\nTry it on your next project."


def mails_with(settings, subject: str) -> list[str]:
    return sorted(mail.to for mail in read_outbox(settings) if mail.subject == subject)


def test_consent_withdrawal_stops_the_next_notification(settings):
    ada = admin(settings)
    zoe = person(settings, "zoe@example.com")
    eddie = person(settings, "eddie@example.com", role="editor")
    person(settings, "never@example.com")  # never consented
    for someone in (zoe, eddie):
        call(privacy.give_consent, someone, "marketing_email")
    call(announcements.create_announcement, ada, "Time-coded review is here", NEWS)
    call(privacy.withdraw_consent, zoe, "marketing_email")
    assert send_announcements(settings) == 1
    assert mails_with(settings, "Time-coded review is here") == ["eddie@example.com"]
    mail = next(mail for mail in read_outbox(settings) if mail.subject == "Time-coded review is here")
    assert "time-coded review" in mail.text and f"{settings.public_url}/privacy-center" in mail.text
    call(privacy.give_consent, zoe, "marketing_email")  # too late: the news was sent
    assert send_announcements(settings) == 0
    assert run_digest_round(settings, online_user_ids=set()) == 0  # the periodic round sends nothing more
    assert mails_with(settings, "Time-coded review is here") == ["eddie@example.com"]
    with session_scope() as session:
        (row,) = session.exec(select(Announcement)).all()
        deliveries = session.exec(select(AnnouncementDelivery.user_id)).all()
    assert row.sent_at is not None and deliveries == [eddie.user_id]
    (listed,) = call(announcements.announcements, ada)
    assert listed.recipients == 1 and listed.sent_at is not None


def test_consent_is_read_again_for_every_batch(sqlite_settings):
    ada = admin(sqlite_settings)
    people = [person(sqlite_settings, f"p{index}@example.com") for index in range(4)]
    for someone in people:
        call(privacy.give_consent, someone, "marketing_email")
    call(announcements.create_announcement, ada, "News", NEWS)
    with session_scope() as session:
        first = announcements.mail_announcement_batch(session, sqlite_settings, batch_size=2)
    assert first.sent == 2
    served = set(mails_with(sqlite_settings, "News"))
    waiting = [someone for index, someone in enumerate(people) if f"p{index}@example.com" not in served]
    call(privacy.withdraw_consent, waiting[0], "marketing_email")  # between two batches
    assert send_announcements(sqlite_settings) == 1
    assert len(mails_with(sqlite_settings, "News")) == 3


def test_the_periodic_round_sends_the_news(sqlite_settings):
    ada = admin(sqlite_settings)
    zoe = person(sqlite_settings, "zoe@example.com")
    call(privacy.give_consent, zoe, "marketing_email")
    call(announcements.create_announcement, ada, "Round news", NEWS)
    run_digest_round(sqlite_settings, online_user_ids=set())
    assert mails_with(sqlite_settings, "Round news") == ["zoe@example.com"]


def test_only_admins_write_news_and_it_is_checked(sqlite_settings):
    zoe = person(sqlite_settings, "zoe@example.com")
    ada = admin(sqlite_settings)
    with pytest.raises(NotAllowed):
        call(announcements.create_announcement, zoe, "Hi", NEWS)
    with pytest.raises(NotAllowed):
        call(announcements.announcements, zoe)
    with pytest.raises(InvalidInput) as empty:
        call(announcements.create_announcement, ada, "  ", NEWS)
    assert empty.value.field == "subject"
    with pytest.raises(InvalidInput) as no_body:
        call(announcements.create_announcement, ada, "Hi", "")
    assert no_body.value.field == "body_markdown"
    assert call(announcements.announcements, ada) == []
