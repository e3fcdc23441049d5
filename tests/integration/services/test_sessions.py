import pytest

from studio_app.database import session_scope
from studio_app.errors import NotFound
from studio_app.security.policy import NotAllowed
from studio_app.services import sessions
from studio_app.services.sessions import ClientInfo
from tests.support.accounts import signed_in, verified_account

PHONE = ClientInfo(ip_address="2001:db8:85a3::8a2e:370:7334",
                   user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1")


@pytest.fixture
def zoe(settings):
    verified_account(settings, "zoe@example.com")
    return settings


def test_the_list_shows_devices_and_approximate_places_only(zoe):
    _, laptop = signed_in(zoe, "zoe@example.com")
    signed_in(zoe, "zoe@example.com", client=PHONE)
    with session_scope() as session:
        views = sessions.list_sessions(session, laptop)
    assert {(view.device, view.approximate_ip) for view in views} == {
        ("Chrome on Linux", "203.0.113.x"),
        ("Safari on iOS", "2001:db8:85a3::/48"),
    }
    assert [view.is_current for view in views if view.device == "Chrome on Linux"] == [True]


def test_revoking_a_session_stops_it_at_once(zoe):
    phone_secret, phone = signed_in(zoe, "zoe@example.com", client=PHONE)
    _, laptop = signed_in(zoe, "zoe@example.com")
    with session_scope() as session:
        sessions.revoke_session(session, laptop, phone.session_id)
    with session_scope() as session:
        assert sessions.resolve_session(session, zoe, phone_secret) is None
        assert [view.device for view in sessions.list_sessions(session, laptop)] == ["Chrome on Linux"]


def test_nobody_else_can_see_or_end_my_sessions(zoe):
    verified_account(zoe, "sam@example.com", name="Sam")
    _, mine = signed_in(zoe, "zoe@example.com")
    sam_secret, sam = signed_in(zoe, "sam@example.com")
    with pytest.raises(NotFound), session_scope() as session:
        sessions.revoke_session(session, mine, sam.session_id)
    for bogus in ("", "x" * 500, None, 42, "../../etc"):
        with pytest.raises(NotFound), session_scope() as session:
            sessions.revoke_session(session, mine, bogus)
    with pytest.raises(NotAllowed), session_scope() as session:
        sessions.revoke_session(session, None, sam.session_id)
    with pytest.raises(NotAllowed), session_scope() as session:
        sessions.list_sessions(session, None)
    with session_scope() as session:
        assert sessions.resolve_session(session, zoe, sam_secret) is not None
        assert all(view.id != sam.session_id for view in sessions.list_sessions(session, mine))


def test_sign_out_everywhere(zoe):
    secrets = [signed_in(zoe, "zoe@example.com")[0] for _ in range(3)]
    with session_scope() as session:
        actor = sessions.resolve_session(session, zoe, secrets[0])
        assert sessions.revoke_all_sessions(session, actor.user_id, actor_id=actor.user_id) == 3
    with session_scope() as session:
        assert all(sessions.resolve_session(session, zoe, secret) is None for secret in secrets)


@pytest.mark.parametrize("secret", [None, "", "unknown", "a" * 1000])
def test_unknown_cookies_resolve_to_nobody(zoe, secret):
    with session_scope() as session:
        assert sessions.resolve_session(session, zoe, secret) is None
