from starlette.responses import Response

from studio_app.api.auth import _set_session_cookie
from studio_app.security.cookies import cookie_register, read_session_secret, session_cookie_name
from studio_app.settings import load_settings


def settings_for(tmp_path, public_url):
    return load_settings({"STUDIO_DATA_DIR": str(tmp_path), "STUDIO_PUBLIC_URL": public_url})


def test_over_https_the_cookie_is_secure_and_host_prefixed(tmp_path):
    settings = settings_for(tmp_path, "https://studio.example.com")
    response = Response()
    _set_session_cookie(response, settings, "s" * 43)
    header = response.headers["set-cookie"]
    assert header.startswith("__Host-studio_session=")
    assert "Secure" in header and "HttpOnly" in header and "Path=/" in header and "Domain" not in header
    assert "SameSite=lax" in header


def test_the_register_lists_the_session_cookie_with_its_flags(tmp_path):
    settings = settings_for(tmp_path, "https://studio.example.com")
    (spec,) = cookie_register(settings)
    assert spec.name == session_cookie_name(settings) == "__Host-studio_session"
    assert spec.flags == "HttpOnly; SameSite=Lax; Path=/; Secure"


def test_reading_the_secret_ignores_other_and_broken_cookies(tmp_path):
    settings = settings_for(tmp_path, "http://localhost:3000")
    assert read_session_secret(settings, "theme=dark; studio_session=abc") == "abc"
    assert read_session_secret(settings, "__Host-studio_session=abc") is None
    assert read_session_secret(settings, None) is None
    assert read_session_secret(settings, 'studio_session="unterminated') is None
