"""The Content-Security-Policy of the built app: over real HTTP, each page's inline scripts are allowed by their hash
and nothing else inline or eval is; in Chromium, a script injected into a page does not run and is reported (every
journey fails on such a report, see page_checks.py)."""

import base64
import hashlib
import re
import time

import httpx

PAGES = ["/", "/signup", "/signin", "/privacy", "/privacy-center", "/projects/new", "/projects/123", "/no/such/page"]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL)


def script_sources(policy: str) -> list[str]:
    directive = next(part.split() for part in policy.split(";") if part.split()[0] == "script-src")
    return directive[1:]


def test_each_page_runs_its_own_inline_scripts_by_hash_and_no_other(app):
    for path in PAGES:
        response = httpx.get(app.url + path, follow_redirects=True)
        assert response.headers["content-type"].startswith("text/html"), path
        sources = script_sources(response.headers["content-security-policy"])
        assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources
        assert not any(source.startswith(("http", "data:", "blob:", "*")) for source in sources)
        scripts = INLINE_SCRIPT.findall(response.text)
        assert scripts, f"{path}: React Router boots each page with inline scripts"
        for script in scripts:
            digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in sources, f"{path}: inline script not allowed: {script[:80]}"


def test_an_injected_inline_script_does_not_run_and_is_reported(page, app, page_checks):
    page.goto(app.url + "/")
    ran = page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.injected = true";
        document.body.append(script);
        return window.injected === true;
    }""")
    assert ran is False
    deadline = time.monotonic() + 10
    while not (reported := page_checks.take("Content-Security-Policy violation")):
        assert time.monotonic() < deadline, "the page did not report the blocked script"
        page.wait_for_timeout(50)
    assert "script-src-elem blocked 'inline'" in reported[0]
