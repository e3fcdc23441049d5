"""``python -m studio_app admin create`` and ``keys rotate``, run in-process with real keys and database."""

import pytest
from sqlmodel import Session, select

from studio_app.__main__ import main
from studio_app.database import get_engine, session_scope
from studio_app.models.accounts import User, UserDataKey
from studio_app.models.base import new_id
from studio_app.models.projects import Project, ProjectDataKey
from studio_app.security.crypto import sealed_key_id
from studio_app.security.keyring import current_keys, load_keyring
from studio_app.services import accounts, key_rotation
from studio_app.services.keys import create_project_key, project_key_of
from tests.support.accounts import STRONG_PASSWORD, signed_in, verified_account


def test_admin_create_prompts_for_the_password(sqlite_settings, monkeypatch, capsys):
    answers = iter([STRONG_PASSWORD, STRONG_PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    monkeypatch.setattr("builtins.input", lambda prompt="": "Ops")
    assert main(["admin", "create", "--email", "ops@example.com"]) == 0
    assert "Admin account created" in capsys.readouterr().out
    assert signed_in(sqlite_settings, "ops@example.com")[1].is_admin


def test_admin_create_refuses_a_weak_password(sqlite_settings, monkeypatch, capsys):
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "password123")
    monkeypatch.setattr("builtins.input", lambda prompt="": "")
    assert main(["admin", "create", "--email", "ops@example.com"]) == 1
    assert "too easy to guess" in capsys.readouterr().err
    with session_scope() as session:
        assert session.exec(select(User)).all() == []


def wrapped_key_ids() -> set[str]:
    with session_scope() as session:
        rows = [*session.exec(select(UserDataKey)), *session.exec(select(ProjectDataKey))]
        return {sealed_key_id(bytes(row.wrapped_key)) for row in rows}


def add_project_key() -> str:
    """A project's wrapped key, as creating a project makes one; rotation must move it too."""
    project_id = new_id()
    with session_scope() as session:
        session.add(Project(id=project_id, title_encrypted=b"sealed elsewhere"))
        session.flush()
        create_project_key(session, project_id)
    return project_id


def test_rotation_rewraps_every_data_key_and_data_still_reads(sqlite_settings, capsys):
    for number in range(3):
        verified_account(sqlite_settings, f"user{number}@example.com", name=f"User {number}")
    project_id = add_project_key()
    old_key = current_keys().keyring.active_key_id
    assert wrapped_key_ids() == {old_key}
    assert main(["keys", "rotate"]) == 0
    new_key = load_keyring(sqlite_settings).active_key_id
    assert new_key != old_key and "Re-wrapped 4" in capsys.readouterr().out
    assert wrapped_key_ids() == {new_key}
    current_keys.cache_clear()  # a restarted process reads the new key file
    with session_scope() as session:
        assert project_key_of(session, project_id).secret
    _, actor = signed_in(sqlite_settings, "user1@example.com")
    with session_scope() as session:
        assert accounts.account_view(session, actor).display_name == "User 1"


def test_an_interrupted_rotation_resumes(sqlite_settings, monkeypatch):
    for number in range(5):
        verified_account(sqlite_settings, f"user{number}@example.com")
    keyring = load_keyring(sqlite_settings)
    keyring.add_key()
    monkeypatch.setattr(key_rotation, "BATCH", 2)
    opened = []

    def crashing_after_two_batches():
        opened.append(1)
        if len(opened) > 2:
            raise KeyboardInterrupt
        return Session(get_engine())

    with pytest.raises(KeyboardInterrupt):
        key_rotation.rewrap_all_data_keys(crashing_after_two_batches, keyring)
    assert len(wrapped_key_ids()) == 2  # half done: old and new key ids
    assert key_rotation.rewrap_all_data_keys(lambda: Session(get_engine()), keyring) == 1
    assert wrapped_key_ids() == {keyring.active_key_id}
