"""What we hold and consents: the privacy center's data."""

import pytest
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.accounts import Consent
from studio_app.models.audit import AuditEvent
from studio_app.security.personal_data import personal_fields
from studio_app.security.policy import NotAllowed
from studio_app.services import privacy, privacy_requests, threads
from studio_app.services.validation import InvalidInput
from tests.support.projects import add_editor, call, new_project, person


def test_what_we_hold_covers_every_registered_category_with_its_terms(sqlite_settings):
    producer = person(sqlite_settings, "pro@example.com", name="Paula Producer")
    editor = person(sqlite_settings, "ed@example.com", role="editor", name="Eddie Editor")
    project = new_project(producer)
    add_editor(producer, editor, project.id)
    call(threads.post_message, producer, project.id, "hello", idempotency_key="p-1")
    held = {item.category: item for item in call(privacy.what_we_hold, producer)}
    registered = {str(field.category) for field in personal_fields()}
    assert registered <= set(held)  # nothing registered is missing from the page
    assert "1 project(s) and 1 message(s)" in held["content"].summary
    assert all(item.legal_basis and item.retention and item.recipients for item in held.values())
    assert "signing in and account notices" in held["contact"].purposes


def test_consent_is_withdrawn_at_once_and_the_history_stays(sqlite_settings):
    zoe = person(sqlite_settings, "zoe@example.com")
    call(privacy.give_consent, zoe, "marketing_email")
    call(privacy.give_consent, zoe, "marketing_email")  # already given: no second row
    with session_scope() as session:
        assert privacy.has_consent(session, zoe.user_id, "marketing_email")
    call(privacy.withdraw_consent, zoe, "marketing_email")
    with session_scope() as session:
        assert not privacy.has_consent(session, zoe.user_id, "marketing_email")
    call(privacy.give_consent, zoe, "marketing_email")
    view = next(view for view in call(privacy.consents, zoe) if view.kind == "marketing_email")
    assert view.active and len(view.history) == 2 and view.history[1][1] is not None
    with session_scope() as session:
        assert len(session.exec(select(Consent)).all()) == 2
        kinds = session.exec(select(AuditEvent.kind).where(AuditEvent.kind.like("consent.%"))
                             .order_by(AuditEvent.sequence)).all()
    assert kinds == ["consent.given", "consent.withdrawn", "consent.given"]


def test_consents_are_ones_own_and_known(sqlite_settings):
    zoe = person(sqlite_settings, "zoe@example.com")
    with pytest.raises(InvalidInput):
        call(privacy.withdraw_consent, zoe, "sell_my_data")
    with pytest.raises(NotAllowed):
        call(privacy.give_consent, None, "marketing_email")
    with pytest.raises(NotAllowed):
        call(privacy.what_we_hold, None)


def test_provider_consents_are_given_when_connecting_and_withdrawn_here(sqlite_settings):
    zoe = person(sqlite_settings, "zoe@example.com")
    with pytest.raises(InvalidInput):
        call(privacy.give_consent, zoe, "tiktok_publication")  # only the TikTok connection gives it
    call(privacy.record_consent, zoe.user_id, "tiktok_publication")
    views = {view.kind: view for view in call(privacy.consents, zoe)}
    assert set(views) == {"marketing_email", "discord_notifications", "tiktok_publication"}
    assert views["tiktok_publication"].active and views["tiktok_publication"].given_on_connect
    assert not views["marketing_email"].given_on_connect
    call(privacy.withdraw_consent, zoe, "tiktok_publication")
    with session_scope() as session:
        assert not privacy.has_consent(session, zoe.user_id, "tiktok_publication")
    (logged,) = call(privacy_requests.my_requests, zoe)
    assert logged.kind == "consent" and logged.self_served and logged.status == "done"
    assert logged.label == "Withdrew consent: Publishing on your TikTok"  # says which one
