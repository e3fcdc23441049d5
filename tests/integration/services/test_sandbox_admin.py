"""The admin console's sandbox panel service, against a real sandbox: admins only, faults armed and cleared."""

import pytest

from studio_app.database import session_scope
from studio_app.errors import UserError
from studio_app.integrations.providers import ProviderError
from studio_app.integrations.tiktok import TikTokClient
from studio_app.security.policy import NotAllowed
from studio_app.services import accounts, sandbox_admin
from studio_app.services.validation import InvalidInput
from tests.support.accounts import STRONG_PASSWORD, signed_in
from tests.support.app_env import app_environment
from tests.support.projects import call, person


@pytest.fixture
def sandboxed_settings(monkeypatch, tmp_path, sandbox):
    env = {name.removeprefix("STUDIO_"): value for name, value in sandbox.settings_env().items()}
    with app_environment(monkeypatch, tmp_path / "data", f"sqlite:///{tmp_path / 'studio.db'}", **env) as settings:
        yield settings


def admin(settings):
    with session_scope() as session:
        accounts.create_admin(session, "admin@example.com", STRONG_PASSWORD, "Ada Admin")
    return signed_in(settings, "admin@example.com")[1]


def test_admin_sees_calls_and_arms_and_clears_faults(sandboxed_settings, sandbox):
    ada = admin(sandboxed_settings)
    overview = call(sandbox_admin.sandbox_overview, ada)
    assert overview.uses_sandbox and not overview.problem and overview.faults == ()
    assert [(mode.name, mode.is_sandbox) for mode in overview.providers] == [("Discord", True), ("TikTok", True)]
    assert "tiktok.init" in overview.routes and "drop_connection" in overview.kinds

    overview = call(sandbox_admin.inject_fault, ada, "tiktok.creator_info", "server_error", "2")
    assert [(fault["route"], fault["kind"], fault["times"]) for fault in overview.faults] == [
        ("tiktok.creator_info", "server_error", 2)]
    client = TikTokClient(sandboxed_settings.tiktok)
    with pytest.raises(ProviderError):
        client.creator_info("unknown-token")
    assert call(sandbox_admin.sandbox_overview, ada).calls[0]["route"] == "tiktok.creator_info"

    assert call(sandbox_admin.clear_faults, ada).faults == ()
    assert sandbox.state()["faults"] == []


@pytest.mark.parametrize(("route", "kind", "times", "field"), [
    ("tiktok.nowhere", "timeout", "1", "route"),
    ("tiktok.init", "meteor", "1", "kind"),
    ("tiktok.init", "publish_failed", "1", "kind"),
    ("tiktok.init", "timeout", "0", "times"),
    ("tiktok.init", "timeout", "many", "times"),
])
def test_wrong_fault_names_its_field(sandboxed_settings, route, kind, times, field):
    with pytest.raises(InvalidInput) as wrong:
        call(sandbox_admin.inject_fault, admin(sandboxed_settings), route, kind, times)
    assert wrong.value.field == field


def test_only_admins(sandboxed_settings):
    producer = person(sandboxed_settings, "pat@example.com")
    with pytest.raises(NotAllowed):
        call(sandbox_admin.sandbox_overview, producer)
    with pytest.raises(NotAllowed):
        call(sandbox_admin.inject_fault, producer, "tiktok.init", "timeout", "1")


def test_a_wrong_secret_is_said_plainly(monkeypatch, tmp_path, sandbox):
    with app_environment(monkeypatch, tmp_path / "data", f"sqlite:///{tmp_path / 'studio.db'}",
                         SANDBOX_URL=sandbox.url, SANDBOX_SECRET="wrong") as settings:
        ada = admin(settings)
        assert "secret" in call(sandbox_admin.sandbox_overview, ada).problem
        with pytest.raises(UserError):
            call(sandbox_admin.clear_faults, ada)


def test_real_credentials_leave_nothing_to_administer(monkeypatch, tmp_path):
    with app_environment(monkeypatch, tmp_path / "data", f"sqlite:///{tmp_path / 'studio.db'}",
                         DISCORD_CLIENT_ID="1", DISCORD_CLIENT_SECRET="s", TIKTOK_CLIENT_KEY="k",
                         TIKTOK_CLIENT_SECRET="s") as settings:
        overview = call(sandbox_admin.sandbox_overview, admin(settings))
        assert not overview.uses_sandbox and overview.routes == ()
