"""Privacy requests: written by the person, listed with their deadline, answered by an admin who mails them."""

from datetime import timedelta

import pytest
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.privacy import PrivacyRequest, RequestKind
from studio_app.security.policy import NotAllowed
from studio_app.services import privacy_requests
from studio_app.services.validation import InvalidInput
from tests.integration.services.test_policies import admin
from tests.support.accounts import last_mail_to
from tests.support.projects import call, person


def test_a_written_request_is_logged_with_a_thirty_day_deadline_and_answered(settings):
    zoe = person(settings, "zoe@example.com", name="Zoé Martin")
    ada = admin(settings)
    view = call(privacy_requests.submit_request, zoe, "objection", "Please stop using my data for the directory.")
    assert view.status == "open" and not view.self_served and view.label == "Object to how my data is used"
    assert view.due_at - view.created_at == timedelta(days=30)
    with session_scope() as session:
        privacy_requests.record_self_served(session, zoe.user_id, RequestKind.PORTABILITY)
    mine = call(privacy_requests.my_requests, zoe)
    assert [row.kind for row in mine] == ["portability", "objection"]
    (queued,) = call(privacy_requests.open_requests, ada)
    assert queued.id == view.id and queued.details == "Please stop using my data for the directory."
    assert queued.person == "Zoé Martin <zoe@example.com>" and mine[1].person == ""  # who asked: admins only
    answered = call(privacy_requests.answer_request, settings, ada, view.id, "done", "Done: you are hidden now.")
    assert answered.status == "done" and answered.closed_at is not None
    mail = last_mail_to(settings, "zoe@example.com")
    assert mail.subject == "We answered your privacy request"
    assert "Hello Zoé Martin" in mail.text and "Done: you are hidden now." in mail.text
    assert f"{settings.public_url}/privacy-center" in mail.text
    assert call(privacy_requests.my_requests, zoe)[1].answer == "Done: you are hidden now."
    assert call(privacy_requests.open_requests, ada) == []
    with pytest.raises(NotAllowed):  # already closed
        call(privacy_requests.answer_request, settings, ada, view.id, "refused", "No.")


def test_requests_are_checked_and_rate_limited(sqlite_settings):
    zoe = person(sqlite_settings, "zoe@example.com")
    with pytest.raises(InvalidInput) as kind:
        call(privacy_requests.submit_request, zoe, "erasure", "Delete me")  # self-served, not written
    assert kind.value.field == "kind"
    with pytest.raises(InvalidInput) as empty:
        call(privacy_requests.submit_request, zoe, "question", "   ")
    assert empty.value.field == "details"
    with pytest.raises(InvalidInput):
        call(privacy_requests.submit_request, zoe, "question", "x" * 4001)
    with pytest.raises(NotAllowed):
        call(privacy_requests.submit_request, None, "question", "Who are you?")
    for index in range(10):
        call(privacy_requests.submit_request, zoe, "question", f"Question {index}")
    with pytest.raises(InvalidInput) as limited:
        call(privacy_requests.submit_request, zoe, "question", "One more")
    assert limited.value.field == "details" and "tomorrow" in limited.value.message
    assert len(call(privacy_requests.my_requests, zoe)) == 10


def test_only_admins_see_and_answer_the_queue(sqlite_settings):
    zoe = person(sqlite_settings, "zoe@example.com")
    eddie = person(sqlite_settings, "eddie@example.com", role="editor")
    ada = admin(sqlite_settings)
    view = call(privacy_requests.submit_request, zoe, "question", "What do you keep?")
    for outsider in (zoe, eddie, None):
        with pytest.raises(NotAllowed):
            call(privacy_requests.open_requests, outsider)
        with pytest.raises(NotAllowed):
            call(privacy_requests.answer_request, sqlite_settings, outsider, view.id, "done", "Everything.")
    with pytest.raises(InvalidInput) as status:
        call(privacy_requests.answer_request, sqlite_settings, ada, view.id, "maybe", "Hm.")
    assert status.value.field == "status"
    with pytest.raises(InvalidInput) as answer:
        call(privacy_requests.answer_request, sqlite_settings, ada, view.id, "refused", "")
    assert answer.value.field == "answer"
    assert call(privacy_requests.my_requests, eddie) == []  # one's own requests only
    with session_scope() as session:
        assert session.exec(select(PrivacyRequest)).one().status == "open"


def test_the_queue_puts_the_nearest_deadline_first_and_marks_overdue(sqlite_settings):
    zoe = person(sqlite_settings, "zoe@example.com")
    ada = admin(sqlite_settings)
    recent = call(privacy_requests.submit_request, zoe, "question", "Recent")
    old = call(privacy_requests.submit_request, zoe, "question", "Old")
    with session_scope() as session:
        row = session.get(PrivacyRequest, old.id)
        row.created_at -= timedelta(days=40)
        row.due_at -= timedelta(days=40)
        session.add(row)
    queue = call(privacy_requests.open_requests, ada)
    assert [item.id for item in queue] == [old.id, recent.id]
    assert queue[0].overdue and not queue[1].overdue
