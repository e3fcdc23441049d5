"""Privacy requests sent by email, read from a real IMAP server (Debian's dovecot, over TLS) or from the drop folder:
one request per message whatever happens, the same acknowledgment for everyone, nothing done for an account before
its link is followed (over real HTTP), a confirmed "Withdrawing Consent" withdraws at once, and loops are avoided."""

import re
import threading
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import httpx
import pytest
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.integrations.inbox import ImapMailbox, MailboxError
from studio_app.integrations.mail import read_outbox
from studio_app.models.accounts import ConsentKind
from studio_app.models.mail_requests import InboundMail, MailboxCursor
from studio_app.models.privacy import PrivacyRequest
from studio_app.services import mail_inbox, mail_requests, privacy, privacy_requests
from studio_app.services.validation import InvalidInput
from tests.integration.services.test_policies import admin
from tests.support.accounts import last_mail_to, link_token, mails_to
from tests.support.app_env import app_environment, new_session
from tests.support.dovecot import dovecot
from tests.support.projects import call, person
from tests.support.servers import api_server

CONFIRM = "/privacy-request/confirm"


def letter(sender: str, subject: str, body: str, *, message_id: str | None = None, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "studio@azekia.fr"
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="example.com")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


@pytest.fixture
def mailbox():
    with dovecot() as box:
        yield box


@pytest.fixture
def imap_settings(monkeypatch, tmp_path, database_url, mailbox):
    with app_environment(monkeypatch, tmp_path / "data", database_url, IMAP_URL=mailbox.url(),
                         IMAP_CA=str(mailbox.ca)) as settings:
        yield settings


def requests_in_database() -> list[PrivacyRequest]:
    with session_scope() as session:
        return list(session.exec(select(PrivacyRequest)).all())


def acknowledgment(settings, address: str, count: int = 1):
    return last_mail_to(settings, address, containing=CONFIRM, count=count)


def test_a_message_from_an_account_waits_for_its_link_then_becomes_the_persons_request(imap_settings, mailbox,
                                                                                       tmp_path, database_url):
    zoe = person(imap_settings, "zoe@example.com", name="Zoé Martin")
    ada = admin(imap_settings)
    mailbox.deliver(letter("Zoé <Zoe@Example.com>", "Please delete my account", "I no longer use Azekia Studio."))

    report = mail_inbox.poll(imap_settings)
    assert report.outcomes == {"created": 1} and report.acknowledged == 1
    assert "\\Seen" in mailbox.flags()[0]
    (queued,) = call(privacy_requests.open_requests, ada)
    assert queued.kind == "erasure" and queued.due_at - queued.created_at == timedelta(days=30)
    assert queued.person == "zoe@example.com (matches an account)"
    assert queued.by_email == "waiting for its sender to confirm"
    assert "Please delete my account" in queued.details and "I no longer use Azekia Studio." in queued.details
    assert call(privacy_requests.my_requests, zoe) == []  # nothing is the account's before the link is followed
    with session_scope() as session:  # sealed under the message's own key: no plaintext in the row
        row = session.exec(select(InboundMail)).one()
        assert b"zoe@example.com" not in bytes(row.sender_encrypted) and b"delete" not in bytes(row.body_encrypted)

    token = link_token(acknowledgment(imap_settings, "zoe@example.com"), CONFIRM)
    with api_server(tmp_path, database_url) as base:
        origin = "http://localhost:" + base.rsplit(":", 1)[1]
        with httpx.Client() as client:
            client.get(f"{base}{CONFIRM}", params={"token": token})  # the link itself (a mail scanner) acts on nothing
            assert call(privacy_requests.my_requests, zoe) == []
            refused = client.post(f"{base}/api/privacy/mail-requests/confirm", data={"token": token},
                                  headers={"origin": "https://evil.example"})
            assert refused.status_code == 403 and call(privacy_requests.my_requests, zoe) == []
            confirmed = client.post(f"{base}/api/privacy/mail-requests/confirm", data={"token": token},
                                    headers={"origin": origin}, follow_redirects=False)
            assert confirmed.status_code == 303 and confirmed.headers["location"] == f"{CONFIRM}?outcome=confirmed"
            again = client.post(f"{base}/api/privacy/mail-requests/confirm", data={"token": token},
                                headers={"origin": origin}, follow_redirects=False)
            assert again.headers["location"] == f"{CONFIRM}?outcome=invalid"

    (mine,) = call(privacy_requests.my_requests, zoe)
    assert mine.id == queued.id and mine.by_email and "I no longer use Azekia Studio." in mine.details
    (queued,) = call(privacy_requests.open_requests, ada)
    assert queued.person == "Zoé Martin <zoe@example.com>"  # now the account's request
    assert queued.by_email == "confirmed by its sender"
    call(privacy_requests.answer_request, imap_settings, ada, queued.id, "done", "Your account is deleted.")
    answer = last_mail_to(imap_settings, "zoe@example.com", containing="Your account is deleted.")
    assert "Hello Zoé Martin" in answer.text
    assert call(privacy_requests.my_requests, zoe)[0].answer == "Your account is deleted."


def test_a_confirmed_withdrawing_consent_withdraws_every_consent_at_once(imap_settings, mailbox):
    zoe = person(imap_settings, "zoe@example.com")
    call(privacy.give_consent, zoe, ConsentKind.MARKETING_EMAIL)
    mailbox.deliver(letter("zoe@example.com", "Withdrawing Consent", "Stop everything please."))
    mail_inbox.poll(imap_settings)
    with session_scope() as session:
        assert privacy.has_consent(session, zoe.user_id, ConsentKind.MARKETING_EMAIL)  # not before the link

    token = link_token(acknowledgment(imap_settings, "zoe@example.com"), CONFIRM)
    call(mail_requests.confirm, imap_settings, token)
    with session_scope() as session:
        assert not privacy.has_consent(session, zoe.user_id, ConsentKind.MARKETING_EMAIL)
    (request,) = call(privacy_requests.my_requests, zoe)
    assert request.kind == "consent" and request.status == "done"
    assert request.answer == "We withdrew your consents: Product news by email. This took effect at once."
    answer = last_mail_to(imap_settings, "zoe@example.com", containing="We withdrew your consents")
    assert answer.subject == "We answered your privacy request"


def test_the_answer_to_an_address_without_account_is_word_for_word_the_same(imap_settings, mailbox):
    person(imap_settings, "zoe@example.com")
    ada = admin(imap_settings)
    for sender in ("zoe@example.com", "nobody@example.org"):
        mailbox.deliver(letter(sender, "My data", "What do you hold about me?"))
    assert mail_inbox.poll(imap_settings).acknowledged == 2

    with_account, without = acknowledgment(imap_settings, "zoe@example.com"), acknowledgment(
        imap_settings, "nobody@example.org")
    masked = [re.sub(r"token=[A-Za-z0-9_\-]+", "token=…", mail.text) for mail in (with_account, without)]
    assert with_account.subject == without.subject and masked[0] == masked[1]
    assert "studio@azekia.fr" in masked[0]

    # Confirming an address with no account changes nothing anyone else can see, and the admin answers by email.
    call(mail_requests.confirm, imap_settings, link_token(without, CONFIRM))
    queued = {view.person: view for view in call(privacy_requests.open_requests, ada)}
    stranger = queued["nobody@example.org (no account matched)"]
    assert stranger.kind == "access" and stranger.by_email == "confirmed by its sender"
    call(privacy_requests.answer_request, imap_settings, ada, stranger.id, "done", "We hold nothing about you.")
    answer = last_mail_to(imap_settings, "nobody@example.org", containing="We hold nothing about you.")
    assert answer.text.startswith("Hello,\n") and "privacy center" not in answer.text


def test_each_message_makes_one_request_even_when_the_poller_dies_half_way(imap_settings, mailbox, monkeypatch):
    mailbox.deliver(letter("nobody@example.org", "Question", "Do you sell data?", message_id="<once@example.org>"))

    def crash(self, uid):
        raise MailboxError("the connection dropped")

    monkeypatch.setattr(ImapMailbox, "mark_seen", crash)
    with pytest.raises(MailboxError):
        mail_inbox.poll(imap_settings)  # committed, but the message is not marked read
    monkeypatch.undo()
    assert "\\Seen" not in mailbox.flags()[0]
    with session_scope() as session:  # a new UIDVALIDITY (a rebuilt mailbox) makes the poller read everything again
        session.delete(session.get(MailboxCursor, session.exec(select(MailboxCursor.mailbox)).one()))
    assert mail_inbox.poll(imap_settings).outcomes == {"duplicate": 1}
    mailbox.deliver(letter("nobody@example.org", "Question", "Do you sell data?", message_id="<once@example.org>"))
    assert mail_inbox.poll(imap_settings).outcomes == {"duplicate": 1}  # the same message delivered twice
    assert len(requests_in_database()) == 1
    assert len(mails_to(imap_settings, "nobody@example.org")) == 1
    assert mail_inbox.poll(imap_settings).outcomes == {}  # the cursor moved past everything


@pytest.mark.postgres
def test_two_pollers_taking_in_one_message_at_once_make_one_request(monkeypatch, tmp_path, migrated_postgres_url):
    with app_environment(monkeypatch, tmp_path / "data", migrated_postgres_url) as settings:
        parsed = mail_requests.read_letter(letter("nobody@example.org", "Question", "Hello?"), settings)
        first = new_session()
        assert mail_requests.take_in(first, settings, parsed) == "created"  # written, not committed yet
        outcome = {}

        def second_poller() -> None:
            with session_scope() as session:
                outcome["second"] = mail_requests.take_in(session, settings, parsed)

        thread = threading.Thread(target=second_poller)
        thread.start()
        thread.join(1)
        assert thread.is_alive()  # it did not see the first one's row: it waits on the unique Message-ID
        first.commit()
        first.close()
        thread.join(10)
        assert outcome == {"second": "duplicate"} and len(requests_in_database()) == 1


def test_auto_replies_our_own_mail_and_loops_get_no_answer(imap_settings, mailbox):
    for raw in (
        letter("nobody@example.org", "Out of office", "Back Monday.", Auto_Submitted="auto-replied"),
        letter("list@example.org", "News", "Our newsletter", Precedence="bulk"),
        letter("studio@azekia.fr", "Withdrawing Consent", "A mail of ours coming back"),
        letter("MAILER-DAEMON@example.org", "Undelivered Mail", "Bounce"),
        letter("first@example.org, second@example.org", "Two senders", "Who answers?"),
    ):
        mailbox.deliver(raw)
    outcomes = mail_inbox.poll(imap_settings).outcomes
    assert outcomes == {"ignored": 4, "rejected": 1} and requests_in_database() == []
    assert read_outbox(imap_settings) == []
    assert "\\Seen" not in mailbox.flags()[-1]  # a message we could not read stays unread for a person

    # Two autoresponders without the headers answering each other: requests still logged, answers stop.
    for number in range(5):
        mailbox.deliver(letter("robot@example.org", f"Re: request {number}", "Thank you for your message."))
    assert mail_inbox.poll(imap_settings).outcomes == {"created": 5}
    assert len(requests_in_database()) == 5
    assert len(mails_to(imap_settings, "robot@example.org")) == mail_requests.REPLIES_PER_ADDRESS_PER_DAY


def test_the_mailbox_is_reached_over_verified_tls_only(monkeypatch, tmp_path, mailbox):
    other_ca = tmp_path / "other-ca"
    other_ca.mkdir()
    from tests.support.tls import write_self_signed_certificate

    wrong_ca, _ = write_self_signed_certificate(other_ca)
    for url, ca in ((mailbox.url(), wrong_ca), (mailbox.url(password="wrong password"), mailbox.ca)):
        with app_environment(monkeypatch, tmp_path / "data", f"sqlite:///{tmp_path / 'studio.db'}", IMAP_URL=url,
                             IMAP_CA=str(ca)) as settings:
            with pytest.raises(MailboxError) as failed:
                mail_inbox.poll(settings)
            assert "wrong password" not in str(failed.value) and "mailbox pass" not in str(failed.value)


def test_the_drop_folder_takes_each_file_once_and_sets_bad_ones_aside(settings):
    inbox = settings.inbox_dir
    inbox.mkdir(parents=True)
    (inbox / "a.eml").write_bytes(letter("nobody@example.org", "Correction", "My name is wrong",
                                         message_id="<a@example.org>"))
    (inbox / "copy.eml").write_bytes(letter("nobody@example.org", "Correction", "My name is wrong",
                                            message_id="<a@example.org>"))
    (inbox / "junk.eml").write_bytes(b"\x00\x01 not a message")
    (inbox / ".arriving.eml").write_bytes(b"still being written")
    report = mail_inbox.poll(settings)
    assert report.outcomes == {"created": 1, "duplicate": 1, "rejected": 1}
    assert sorted(path.name for path in inbox.iterdir()) == [".arriving.eml", "rejected"]
    assert [path.name for path in (inbox / "rejected").iterdir()] == ["junk.eml"]
    (request,) = requests_in_database()
    assert request.kind == "correction" and request.user_id is None
    assert mail_inbox.poll(settings).outcomes == {}


def test_a_link_works_once_and_not_after_a_week(sqlite_settings):
    inbox = sqlite_settings.inbox_dir
    inbox.mkdir(parents=True)
    (inbox / "m.eml").write_bytes(letter("nobody@example.org", "Portability", "Send me a copy of my data"))
    mail_inbox.poll(sqlite_settings)
    token = link_token(acknowledgment(sqlite_settings, "nobody@example.org"), CONFIRM)
    with session_scope() as session:
        row = session.exec(select(InboundMail)).one()
        row.confirm_expires_at = row.received_at + timedelta(seconds=1) - timedelta(days=8)
        session.add(row)
    with pytest.raises(InvalidInput):
        call(mail_requests.confirm, sqlite_settings, token)
    for wrong in ("", "x" * 200, None, "not-a-token"):
        with pytest.raises(InvalidInput):
            call(mail_requests.confirm, sqlite_settings, wrong)
