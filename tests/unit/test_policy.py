import pytest

from studio_app.models.accounts import Role
from studio_app.security.policy import Action, Actor, NotAllowed, may, require

ZOE = Actor(user_id="a" * 32, role=Role.PRODUCER, session_id="s" * 32)
ADMIN = Actor(user_id="b" * 32, role=Role.ADMIN, session_id="t" * 32)


def test_signed_out_may_do_nothing():
    assert not any(may(None, action, owner_id=ZOE.user_id) for action in Action)
    with pytest.raises(NotAllowed, match="sign in"):
        require(None, Action.VIEW_OWN_ACCOUNT)


def test_own_account_and_sessions_only():
    assert may(ZOE, Action.REVOKE_SESSION, owner_id=ZOE.user_id)
    assert not may(ZOE, Action.REVOKE_SESSION, owner_id=ADMIN.user_id)
    assert not may(ZOE, Action.EDIT_OWN_ACCOUNT, owner_id=ADMIN.user_id)
    with pytest.raises(NotAllowed, match="not allowed"):
        require(ZOE, Action.REVOKE_SESSION, owner_id=ADMIN.user_id)


def test_admins_may_end_anyones_session_but_not_edit_their_account():
    assert may(ADMIN, Action.REVOKE_SESSION, owner_id=ZOE.user_id)
    assert not may(ADMIN, Action.EDIT_OWN_ACCOUNT, owner_id=ZOE.user_id)


def test_only_admins_see_operations():
    assert may(ADMIN, Action.VIEW_OPERATIONS)
    assert not may(ZOE, Action.VIEW_OPERATIONS)
    with pytest.raises(NotAllowed):
        require(ZOE, Action.VIEW_OPERATIONS)
