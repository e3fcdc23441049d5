import pytest

from tests.support.app_env import app_environment


@pytest.fixture
def app(monkeypatch, tmp_path, sandbox):
    """The app's settings pointed at the sandbox, on a SQLite database of the test's own."""
    variables = {name.removeprefix("STUDIO_"): value for name, value in sandbox.settings_env().items()}
    with app_environment(monkeypatch, tmp_path / "data", f"sqlite:///{tmp_path / 'studio.db'}",
                         **variables) as settings:
        yield settings
