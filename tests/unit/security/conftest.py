import pytest

from studio_app.settings import Settings, load_settings


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Embedded-default settings: no key variables, so keys live in files under tmp_path."""
    return load_settings({"STUDIO_DATA_DIR": str(tmp_path)})
