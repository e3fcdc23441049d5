"""Every mail's links point at the public origin and at a route of ``routes.py``."""

import inspect
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from studio_app import routes
from studio_app.services import mail_templates
from studio_app.settings import load_settings

PUBLIC_URL = "https://studio.example.com"
ARGUMENTS = {"secret": "tok-en_1", "inviter": "Paula", "proof_years": 3, "name": "Zoe", "label": "A question",
             "asked_at": datetime(2026, 11, 2, tzinfo=UTC), "done": True, "answer": "Done.", "version": 2,
             "published_at": datetime(2026, 11, 3, tzinfo=UTC), "effective_at": datetime(2026, 12, 3, tzinfo=UTC),
             "change_summary": "Shorter.", "subject": "News", "body": "Hello", "total": 3,
             "title": "Audit log failed verification", "severity": "high", "summary": "Event 3 was altered.",
             "authority": "A court", "legal_basis": "Article 60-1", "disclosed_on": datetime(2026, 11, 4, tzinfo=UTC),
             "categories": ["your email address"], "valid_days": 7, "nature": "A backup was public.",
             "consequences": "Phishing.", "measures": "We removed it.", "advice": "Be wary.",
             "items": [("A milestone is due", routes.project_page("p1")), ("Your archive is ready",
                                                                          routes.PRIVACY_CENTER)]}


def page_patterns() -> list[re.Pattern]:
    paths = [value for name, value in vars(routes).items() if name.isupper() and isinstance(value, str)]
    return [re.compile(re.sub(r"\\\[[a-z_]+\\\]", "[^/]+", re.escape(path)) + "$") for path in paths]


def every_mail(tmp_path):
    settings = load_settings({"STUDIO_DATA_DIR": str(tmp_path), "STUDIO_PUBLIC_URL": PUBLIC_URL})
    for name, template in inspect.getmembers(mail_templates, inspect.isfunction):
        if template.__module__ == mail_templates.__name__ and not name.startswith("_"):
            wanted = [parameter for parameter in inspect.signature(template).parameters if parameter != "settings"]
            yield name, template(settings, *[ARGUMENTS[parameter] for parameter in wanted])


def test_every_link_of_every_mail_is_a_route(tmp_path):
    patterns = page_patterns()
    mails = dict(every_mail(tmp_path))
    assert {"verify_email", "reset_password", "invitation", "digest", "policy_notice"} <= set(mails)
    for name, mail in mails.items():
        assert isinstance(mail, mail_templates.Mail) and mail.subject and mail.text.endswith("\n"), name
        for link in re.findall(r"https?://\S+", mail.text):
            assert link.startswith(PUBLIC_URL + "/"), (name, link)
            path = urlsplit(link).path
            assert any(pattern.match(path) for pattern in patterns), (name, link)


def test_links_carry_their_token_as_a_query(tmp_path):
    mails = dict(every_mail(tmp_path))
    assert f"{PUBLIC_URL}{routes.RESET_PASSWORD}?token=tok-en_1" in mails["reset_password"].text
    assert f"{PUBLIC_URL}{routes.invitation_page('tok-en_1')}" in mails["invitation"].text
    assert f"{PUBLIC_URL}{routes.ACCOUNT}#notifications" in mails["digest"].text
    assert f"{PUBLIC_URL}{routes.MAIL_REQUEST_CONFIRM}?token=tok-en_1" in mails["privacy_mail_received"].text
