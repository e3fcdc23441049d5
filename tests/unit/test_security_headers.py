import base64
import hashlib

from studio_app.security.headers import content_security_policy, inline_script_hashes, security_headers
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


def sha256_source(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def test_inline_scripts_of_the_built_pages_run_by_hash_and_nothing_else_inline(tmp_path):
    build = tmp_path / "client"
    (build / "signup").mkdir(parents=True)
    (build / "index.html").write_text(
        '<html><head><script>window.__ctx = {"a": "é"};</script><script src="/assets/app.js"></script>'
        '<SCRIPT type="module" async="">import "/assets/entry.js";</SCRIPT></head></html>', encoding="utf-8")
    (build / "signup" / "index.html").write_text("<script>window.__ctx = 2;</script>", encoding="utf-8")
    settings = load_settings({"STUDIO_DATA_DIR": str(tmp_path / "data")})

    hashes = inline_script_hashes(build)
    script_src = next(d for d in content_security_policy(settings, hashes).split("; ") if d.startswith("script-src"))

    expected = {sha256_source(script) for script in
                ('window.__ctx = {"a": "é"};', 'import "/assets/entry.js";', "window.__ctx = 2;")}
    assert set(script_src.split()[1:]) == {"'self'"} | expected
    assert inline_script_hashes(tmp_path / "never-built") == []


def test_forms_may_go_to_the_providers_consent_pages_only():
    from studio_app.security.headers import content_security_policy
    from studio_app.settings import load_settings

    real = load_settings({"STUDIO_DISCORD_CLIENT_ID": "1", "STUDIO_DISCORD_CLIENT_SECRET": "s",
                          "STUDIO_TIKTOK_CLIENT_KEY": "k", "STUDIO_TIKTOK_CLIENT_SECRET": "s",
                          "STUDIO_DATA_DIR": "/tmp/studio-headers-test"})
    directive = next(part for part in content_security_policy(real).split("; ") if part.startswith("form-action"))
    assert directive == "form-action 'self' https://discord.com https://www.tiktok.com"
    sandboxed = load_settings({"STUDIO_SANDBOX_URL": "http://127.0.0.1:3999", "STUDIO_DATA_DIR": "/tmp/studio-h"})
    assert "form-action 'self' http://127.0.0.1:3999;" in content_security_policy(sandboxed)
