import stat
from email import policy
from email.parser import BytesParser

import pytest

from studio_app.integrations.mail import MailError, footer, read_outbox, send_mail
from studio_app.settings import Settings, load_settings
from tests.support.servers import free_port
from tests.support.smtp import running_smtp_server
from tests.support.tls import write_self_signed_certificate

MAIL_FROM = "Azekia Studio <no-reply@studio.example>"


def settings_for(tmp_path, smtp_url: str | None = None) -> Settings:
    environ = {"STUDIO_DATA_DIR": str(tmp_path), "STUDIO_MAIL_FROM": MAIL_FROM}
    if smtp_url:
        environ["STUDIO_SMTP_URL"] = smtp_url
    return load_settings(environ)


def mode_of(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_without_smtp_the_mail_lands_in_the_outbox_and_reads_back(tmp_path):
    settings = settings_for(tmp_path)

    send_mail(settings, "ada@example.com", "Confirm your address", "Open this link: https://x.test/c/1\n")
    send_mail(settings, "bob@example.com", "Réinitialiser", "Deuxième message é\n")

    mails = read_outbox(settings)
    assert [(mail.to, mail.subject, mail.text) for mail in mails] == [
        ("ada@example.com", "Confirm your address", "Open this link: https://x.test/c/1\n" + footer(settings)),
        ("bob@example.com", "Réinitialiser", "Deuxième message é\n" + footer(settings)),
    ]
    assert mails[0].sent_at.tzinfo is not None
    assert mails[0].sent_at <= mails[1].sent_at


def test_outbox_files_are_complete_messages_with_sender_id_and_date(tmp_path):
    settings = settings_for(tmp_path)

    send_mail(settings, "ada@example.com", "Hello", "Body")

    [mail] = read_outbox(settings)
    message = BytesParser(policy=policy.default).parsebytes(mail.path.read_bytes())
    assert message["From"] == MAIL_FROM
    assert message["Message-ID"].endswith("@studio.example>")
    assert message["Date"]
    assert mail.path.name.endswith(".eml") and mail.path.name[:8].isdigit()


def test_outbox_folder_and_files_are_private_and_no_temporary_file_stays(tmp_path):
    settings = settings_for(tmp_path)

    send_mail(settings, "ada@example.com", "Reset link", "secret link")

    assert mode_of(settings.outbox_dir) == 0o700
    [path] = settings.outbox_dir.iterdir()
    assert path.suffix == ".eml"
    assert mode_of(path) == 0o600


def test_an_empty_or_missing_outbox_reads_as_no_mail(tmp_path):
    assert read_outbox(settings_for(tmp_path)) == []


def test_a_line_break_in_the_subject_cannot_inject_headers(tmp_path):
    with pytest.raises(ValueError):
        send_mail(settings_for(tmp_path), "ada@example.com", "Hi\nBcc: eve@example.com", "Body")


def test_with_smtp_the_mail_reaches_the_server(tmp_path):
    with running_smtp_server() as server:
        settings = settings_for(tmp_path, f"smtp://127.0.0.1:{server.server_address[1]}")

        send_mail(settings, "ada@example.com", "Your new version", "Version 3 is ready.\n.\nEnd.\n")

    [received] = server.received
    assert received.sender == "no-reply@studio.example"
    assert received.recipients == ["ada@example.com"]
    message = BytesParser(policy=policy.default).parsebytes(received.data.replace(b"\r\n", b"\n"))
    assert message["Subject"] == "Your new version"
    assert message["To"] == "ada@example.com"
    assert message["Message-ID"] and message["Date"]
    assert message.get_content() == "Version 3 is ready.\n.\nEnd.\n" + footer(settings)
    assert read_outbox(settings) == []


def test_with_starttls_the_password_and_the_mail_travel_encrypted(tmp_path, monkeypatch):
    certificate = write_self_signed_certificate(tmp_path)
    # The client verifies certificates as in production; the test's own CA is the only one it trusts.
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    with running_smtp_server(certificate) as server:
        port = server.server_address[1]
        settings = settings_for(tmp_path, f"smtp://mailer%40studio:p%40ss%3Aword@127.0.0.1:{port}")

        send_mail(settings, "ada@example.com", "Signed in", "A new sign-in.\n")

    assert server.logins == [("mailer@studio", "p@ss:word")]
    [received] = server.received
    assert received.encrypted and received.recipients == ["ada@example.com"]


def test_a_certificate_that_is_not_trusted_stops_the_mail(tmp_path):
    with running_smtp_server(write_self_signed_certificate(tmp_path)) as server:
        settings = settings_for(tmp_path, f"smtp://mailer:hunter2-S3cret@127.0.0.1:{server.server_address[1]}")

        with pytest.raises(MailError) as raised:
            send_mail(settings, "ada@example.com", "Hello", "Body")

    assert "hunter2-S3cret" not in str(raised.value)
    assert server.logins == [] and server.received == []


def test_an_unreachable_smtp_server_raises_one_mail_error_without_the_password(tmp_path):
    port = free_port()
    settings = settings_for(tmp_path, f"smtp://mailer:hunter2-S3cret@127.0.0.1:{port}")

    with pytest.raises(MailError) as raised:
        send_mail(settings, "ada@example.com", "Hello", "Body")

    assert f"127.0.0.1:{port}" in str(raised.value)
    assert "hunter2-S3cret" not in str(raised.value)
    assert raised.value.__cause__ is None


def test_a_password_is_never_sent_to_a_server_without_tls(tmp_path):
    with running_smtp_server() as server:
        settings = settings_for(tmp_path, f"smtp://mailer:hunter2-S3cret@127.0.0.1:{server.server_address[1]}")

        with pytest.raises(MailError) as raised:
            send_mail(settings, "ada@example.com", "Hello", "Body")

    assert "STARTTLS" in str(raised.value)
    assert "hunter2-S3cret" not in str(raised.value)
    assert server.received == []
