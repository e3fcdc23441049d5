from studio_app.security.headers import content_security_policy, security_headers
from studio_app.settings import load_settings


def headers_for(tmp_path, public_url: str) -> dict[str, str]:
    settings = load_settings({"STUDIO_DATA_DIR": str(tmp_path), "STUDIO_PUBLIC_URL": public_url})
    return {name.decode(): value.decode() for name, value in security_headers(settings)}


def test_hsts_only_over_https(tmp_path):
    assert "strict-transport-security" in headers_for(tmp_path, "https://studio.example.com")
    assert "strict-transport-security" not in headers_for(tmp_path, "http://localhost:3000")


def test_sockets_may_connect_only_to_our_origins(tmp_path):
    settings = load_settings({
        "STUDIO_DATA_DIR": str(tmp_path),
        "STUDIO_ALLOWED_ORIGINS": "https://studio.example.com,http://localhost:3000",
    })
    policy = content_security_policy(settings)
    assert "connect-src 'self' wss://studio.example.com ws://localhost:3000;" in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
