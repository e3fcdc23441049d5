"""The retention periods people read (privacy center, privacy policy) are the ones the code applies."""

from studio_app.database import session_scope
from studio_app.security.personal_data import Category
from studio_app.services import erasure, policies, privacy
from tests.support.app_env import app_environment
from tests.support.projects import call, person


def shown_periods(settings) -> tuple[str, str]:
    """(the privacy center's line for technical data, the policy's text)."""
    held = {item.category: item for item in call(privacy.what_we_hold, person(settings, "zoe@example.com"))}
    with session_scope() as session:
        policy = policies.current_policy(session).body_markdown
    return held[Category.TECHNICAL].retention, policy


def test_changing_the_technical_data_period_changes_what_people_read(monkeypatch, tmp_path):
    with app_environment(monkeypatch, tmp_path / "data", f"sqlite:///{tmp_path / 'studio.db'}",
                         TECHNICAL_DATA_DAYS="45") as settings:
        center, policy = shown_periods(settings)
    assert center == "Erased after 45 days"
    assert "Erased after 45 days" in policy and "90 days" not in policy
    assert f"{erasure.PROOF_YEARS} years after the answer" in policy
    assert "{" not in policy  # every placeholder is filled


def test_the_default_period_is_the_setting_s_default(sqlite_settings):
    center, policy = shown_periods(sqlite_settings)
    assert center == f"Erased after {sqlite_settings.technical_data_days} days"
    assert f"Erased after {sqlite_settings.technical_data_days} days" in policy
