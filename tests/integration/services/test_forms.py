"""Create forms create once per key (services/forms.py), whatever sends them again."""

import uuid
from datetime import timedelta

import pytest
from sqlmodel import func, select

from studio_app.database import session_scope
from studio_app.errors import UserError
from studio_app.models.accounts import FormSubmission
from studio_app.models.projects import Project
from studio_app.services import forms, projects
from tests.support.projects import person


def create(actor, form_key, title="Once"):
    with session_scope() as session:
        return forms.once(session, actor, form_key,
                          lambda: projects.create_project(session, actor, title=title, brief_markdown="",
                                                          platforms=[], video_format="vertical_9_16", deadline=None),
                          replay=lambda project_id: projects.get_project(session, actor, project_id))


def count_projects() -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(Project)).one()


def test_the_same_form_sent_twice_creates_once_and_answers_with_the_first(settings):
    producer = person(settings, "forms@example.com")
    key = uuid.uuid4().hex
    first, again = create(producer, key), create(producer, key, title="Changed meanwhile")
    assert again.id == first.id and again.title == "Once" and count_projects() == 1
    assert create(producer, uuid.uuid4().hex).id != first.id and count_projects() == 2  # a new form, a new one


def test_keys_are_per_person_and_must_be_well_formed(settings):
    alice, bob = person(settings, "alice-forms@example.com"), person(settings, "bob-forms@example.com")
    key = uuid.uuid4().hex
    assert create(alice, key).id != create(bob, key).id  # someone else's key is not an oracle nor a collision
    for bad in ("", "x" * 32, None, 42, key.upper()):
        with pytest.raises(UserError):
            create(alice, bad)
    assert count_projects() == 2


def test_old_keys_are_forgotten(sqlite_settings):
    producer = person(sqlite_settings, "old-forms@example.com")
    old, recent = uuid.uuid4().hex, uuid.uuid4().hex
    create(producer, old)
    create(producer, recent)
    with session_scope() as session:
        session.get(FormSubmission, (producer.user_id, old)).created_at -= forms.KEPT_FOR + timedelta(minutes=1)
    with session_scope() as session:
        assert forms.forget_old_submissions(session) == 1
        assert session.get(FormSubmission, (producer.user_id, recent)) is not None
