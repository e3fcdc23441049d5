from pathlib import Path

import pytest

from studio_app.settings import PROJECT_ROOT, SettingsError, load_settings


def settings_with(tmp_path: Path, **values: str):
    env = {"STUDIO_DATA_DIR": str(tmp_path)} | {f"STUDIO_{name}": value for name, value in values.items()}
    return load_settings(env)


def test_embedded_defaults_need_no_variable(tmp_path):
    settings = settings_with(tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path / 'studio.db'}"
    assert settings.redis_url is None
    assert settings.public_url == "http://localhost:3000"
    assert settings.allowed_origins == ("http://localhost:3000",)
    assert settings.media_dir == tmp_path / "media"


def test_default_data_folder_is_inside_the_project():
    assert load_settings({}).data_dir == PROJECT_ROOT / "data"


def test_allowed_origins_default_to_the_public_origin(tmp_path):
    settings = settings_with(tmp_path, PUBLIC_URL="https://studio.example.com/")
    assert settings.public_url == "https://studio.example.com"
    assert settings.allowed_origins == ("https://studio.example.com",)
    assert settings.is_https


def test_several_allowed_origins(tmp_path):
    settings = settings_with(tmp_path, ALLOWED_ORIGINS="https://a.example, http://b.example:8080")
    assert settings.allowed_origins == ("https://a.example", "http://b.example:8080")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ALLOWED_ORIGINS", "*", "would let any web site"),
        ("ALLOWED_ORIGINS", "https://a.example,*", "would let any web site"),
        ("PUBLIC_URL", "*", "would let any web site"),
        ("PUBLIC_URL", "studio.example.com", "is not an http(s) URL"),
        ("PUBLIC_URL", "ftp://studio.example.com", "is not an http(s) URL"),
        ("PUBLIC_URL", "https://studio.example.com/app", "without a path"),
        ("PUBLIC_URL", "https://studio.example.com:99999", "invalid port"),
        ("DATABASE_URL", "mysql://root@localhost/studio", "is not a sqlite:/// or postgresql:// URL"),
        ("DATABASE_URL", "not a url", "is not a sqlite:/// or postgresql:// URL"),
        ("DATABASE_URL", "postgresql:///studio", "needs a host"),
        ("QUEUE_NAME", "studio queue", "is not 1-40 letters"),
        ("REDIS_URL", "localhost:6379", "is not a redis:// URL"),
        ("PORT", "eighty", "is not a TCP port"),
        ("PORT", "70000", "is not a TCP port"),
        ("LOG_LEVEL", "loud", "is not one of"),
        ("SESSION_IDLE_MINUTES", "0", "is not a positive whole number"),
        ("SESSION_MAX_DAYS", "a month", "is not a positive whole number"),
        ("TECHNICAL_DATA_DAYS", "-5", "is not a positive whole number"),
    ],
)
def test_a_wrong_value_names_its_variable(tmp_path, variable, value, message):
    with pytest.raises(SettingsError) as raised:
        settings_with(tmp_path, **{variable: value})
    assert raised.value.variable == f"STUDIO_{variable}"
    assert str(raised.value).startswith(f"STUDIO_{variable}: ")
    assert message in str(raised.value)


def test_passwords_in_urls_are_never_echoed(tmp_path):
    with pytest.raises(SettingsError) as raised:
        settings_with(tmp_path, DATABASE_URL="mysql://root:hunter2@db/studio")
    assert "hunter2" not in str(raised.value)
    assert ":***@" in str(raised.value)


def test_an_unwritable_data_folder_is_refused(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(SettingsError) as raised:
        load_settings({"STUDIO_DATA_DIR": str(blocker / "data")})
    assert raised.value.variable == "STUDIO_DATA_DIR"
    assert "not writable" in str(raised.value)


def test_mail_goes_to_the_outbox_unless_smtp_is_configured(tmp_path):
    assert settings_with(tmp_path).smtp_url is None
    assert settings_with(tmp_path, SMTP_URL="smtps://u:p@mail.example:465").smtp_url == "smtps://u:p@mail.example:465"
    with pytest.raises(SettingsError) as raised:
        settings_with(tmp_path, SMTP_URL="http://u:secret@mail.example")
    assert raised.value.variable == "STUDIO_SMTP_URL" and "secret" not in str(raised.value)


def test_a_given_mapping_is_the_only_source(tmp_path, monkeypatch):
    """Workers and tools pass the variables they mean: the process's own environment does not leak in."""
    monkeypatch.setenv("STUDIO_PORT", "4444")
    monkeypatch.setenv("STUDIO_LOG_LEVEL", "loud")
    assert settings_with(tmp_path).port == 3000
    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path))
    with pytest.raises(SettingsError, match="STUDIO_LOG_LEVEL"):
        load_settings()  # without a mapping, the process's environment is read
