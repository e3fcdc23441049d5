import pytest

from tests.support.app_env import app_environment


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'studio.db'}"
    return request.getfixturevalue("migrated_postgres_url")


@pytest.fixture
def settings(monkeypatch, tmp_path, database_url):
    with app_environment(monkeypatch, tmp_path / "data", database_url) as settings:
        yield settings


@pytest.fixture
def sqlite_settings(monkeypatch, tmp_path):
    """For the many rule tests that do not depend on the database engine."""
    with app_environment(monkeypatch, tmp_path / "data", f"sqlite:///{tmp_path / 'studio.db'}") as settings:
        yield settings
