"""Reading a message sent to the privacy address: its kind, its sender, its text, and what is never answered."""

import pytest

from studio_app.models.privacy import RequestKind
from studio_app.services.mail_requests import Automatic, NotALetter, guess_kind, read_letter
from studio_app.settings import SettingsError, load_settings


@pytest.fixture
def settings(tmp_path):
    return load_settings({"STUDIO_DATA_DIR": str(tmp_path), "STUDIO_PRIVACY_CONTACT": "privacy@studio.example",
                          "STUDIO_MAIL_FROM": "Studio <robot@studio.example>"})


@pytest.mark.parametrize(("subject", "body", "kind"), [
    ("Withdrawing Consent", "", RequestKind.CONSENT),
    ("Hello", "I am withdrawing consent to everything, please delete my data", RequestKind.CONSENT),
    ("Please delete my account", "", RequestKind.ERASURE),
    ("Demande de suppression", "", RequestKind.ERASURE),
    ("Data portability", "", RequestKind.PORTABILITY),
    ("My name is wrong", "please correct it", RequestKind.CORRECTION),
    ("Access request", "", RequestKind.ACCESS),
    ("Hello", "What do you hold about me?", RequestKind.ACCESS),
    ("Hello", "Do you sell data?", RequestKind.QUESTION),
])
def test_the_kind_comes_from_the_subject_then_the_text(subject, body, kind):
    assert guess_kind(subject, body) == kind


def raw(headers: str, body: str = "Hello") -> bytes:
    return (headers.strip().replace("\n", "\r\n") + "\r\n\r\n" + body).encode()


def test_the_sender_subject_and_text_are_read_and_html_is_flattened(settings):
    letter = read_letter(raw("From: Zoé <Zoe@Example.COM>\nSubject: =?utf-8?q?Acc=C3=A8s?=\nMessage-ID: <1@x>\n"
                             "Content-Type: text/html; charset=utf-8", "<p>See <b>my</b> data</p><script>x()</script>"),
                         settings)
    assert (letter.sender, letter.subject, letter.body) == ("zoe@example.com", "Accès", "See my data")
    assert letter.message_key == read_letter(raw("From: other@example.com\nMessage-ID: <1@x>"), settings).message_key
    assert letter.message_key != read_letter(raw("From: zoe@example.com"), settings).message_key


@pytest.mark.parametrize("headers", [
    "From: a@example.com\nAuto-Submitted: auto-replied",
    "From: a@example.com\nPrecedence: junk",
    "From: a@example.com\nX-Autoreply: yes",
    "From: a@example.com\nList-Id: <news.example.com>",
    "From: a@example.com\nReturn-Path: <>",
    "From: Privacy@Studio.example",
    "From: robot@studio.example",
    "From: MAILER-DAEMON@example.com",
    "From: no-reply@example.com",
])
def test_automatic_mail_and_our_own_are_never_answered(settings, headers):
    with pytest.raises(Automatic):
        read_letter(raw(headers), settings)
    assert read_letter(raw("From: a@example.com\nAuto-Submitted: no"), settings).sender == "a@example.com"


@pytest.mark.parametrize("data", [b"", b"\x00\x01\x02", raw("Subject: no sender"),
                                  raw("From: a@example.com, b@example.com"), raw("From: not an address")])
def test_what_has_not_exactly_one_sender_address_is_not_a_letter(settings, data):
    with pytest.raises(NotALetter):
        read_letter(data, settings)


@pytest.mark.parametrize(("variable", "value"), [
    ("STUDIO_IMAP_URL", "imap://user:pass@mail.example.com/INBOX"),  # not over TLS
    ("STUDIO_IMAP_URL", "imaps://mail.example.com/INBOX"),  # no credentials
    ("STUDIO_PRIVACY_CONTACT", "not an address"),
])
def test_mailbox_settings_are_checked(tmp_path, variable, value):
    with pytest.raises(SettingsError) as error:
        load_settings({"STUDIO_DATA_DIR": str(tmp_path), variable: value})
    assert error.value.args[0].startswith(variable) and "pass@" not in str(error.value)


def test_every_mail_names_the_privacy_contact_in_its_footer(settings):
    from studio_app.integrations.mail import build_message

    message = build_message(settings, "zoe@example.com", "Subject", "Text\n")
    assert message.get_content().endswith("write to privacy@studio.example\n")
    assert message["Auto-Submitted"] == "auto-generated"
