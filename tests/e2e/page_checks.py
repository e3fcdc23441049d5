"""Checks every page the browser journeys reach, without the journeys asking for it: axe-core (WCAG 2.0/2.1 A and
AA rules and best practices) once per route and test run, and no Content-Security-Policy violation at all.

Every browser context comes from the ``browser`` fixture, which adds axe-core and ``page_checks.js`` to it as init
scripts. They are injected through the browser protocol, which the page's CSP does not govern: a script tag
(``page.add_script_tag``) is inline script, which our CSP refuses. A serious or critical violation, a CSP violation or
a check that could not run fails the test that met it (at its teardown)."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, Error, Page

from studio_app import routes
from studio_app.settings import PROJECT_ROOT

AXE = PROJECT_ROOT / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
WATCHER = Path(__file__).with_name("page_checks.js")
BINDING = "__studioPageCheck"
NOT_FOUND = "(page not found)"


def _route_patterns() -> list[tuple[str, re.Pattern]]:
    pages = [value for value in vars(routes).values()
             if isinstance(value, str) and value.startswith("/") and not value.startswith("/api/")]
    # Fixed routes first: /projects/new is not the page of a project called "new".
    pages.sort(key=lambda route: "[" in route)
    return [(route, re.compile(re.sub(r"\\\[\w+\\\]", "[^/]+", re.escape(route.rstrip("/"))) + "/?"))
            for route in pages]


ROUTES = _route_patterns()


def route_of(url: str) -> str | None:
    """The page route a URL shows (a project's page for every project), or None outside the app's pages."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.path.startswith("/api/"):
        return None
    return next((route for route, pattern in ROUTES if pattern.fullmatch(parts.path)), NOT_FOUND)


class PageChecks:
    """What the pages of the run reported: the routes already checked, and the problems of the current test."""

    def __init__(self):
        if not AXE.exists():
            raise FileNotFoundError(f"{AXE} is missing: `make test-e2e` installs axe-core into .tools")
        self.checked: set[str] = set()
        self.problems: list[str] = []
        self.open_contexts: list[BrowserContext] = []

    def attach(self, context: BrowserContext) -> None:
        context.expose_binding(BINDING, self._on_message)
        context.add_init_script(path=AXE)
        context.add_init_script(path=WATCHER)
        context.on("page", self._check_before_leaving)
        self.open_contexts.append(context)

    def _check_before_leaving(self, page: Page) -> None:
        """A test that opens the next page at once leaves a route before it settled: check it first."""
        for name in ("goto", "reload"):
            navigate = getattr(page, name)

            def checked(*args, _navigate=navigate, **kwargs):
                self.check_now(page)
                return _navigate(*args, **kwargs)

            setattr(page, name, checked)

    def check_now(self, page: Page) -> None:
        with contextlib.suppress(Error):  # a tab closing or navigating has nothing settled to check
            page.evaluate("() => window.__studioCheckNow && window.__studioCheckNow()")

    def _on_message(self, _source, message: dict):
        route = route_of(message["url"])
        if message["kind"] == "wanted":
            return route is not None and route not in self.checked
        if message["kind"] == "axe":
            self.checked.add(route)
            self.problems += [_describe_violation(route, message["url"], violation)
                              for violation in message["violations"]]
        elif message["kind"] == "csp":
            self.problems.append(f"Content-Security-Policy violation on {message['url']}: {message['directive']} "
                                 f"blocked {message['blocked']!r} ({message['source']}; sample {message['sample']!r})")
        else:
            self.problems.append(f"The accessibility check could not run on {message['url']}: {message['message']}")
        return None

    def finish(self, context: BrowserContext) -> None:
        """Check the page each tab is on before the context goes (its route may not have settled yet)."""
        for page in context.pages:
            self.check_now(page)
        if context in self.open_contexts:
            self.open_contexts.remove(context)

    def take(self, prefix: str) -> list[str]:
        """Remove and return the problems reported so far that start with ``prefix`` (a test that expects them)."""
        taken = [problem for problem in self.problems if problem.startswith(prefix)]
        self.problems = [problem for problem in self.problems if not problem.startswith(prefix)]
        return taken

    def take_problems(self) -> list[str]:
        for context in list(self.open_contexts):
            self.finish(context)
        problems, self.problems = self.problems, []
        return problems


def _describe_violation(route: str, url: str, violation: dict) -> str:
    nodes = "".join(f"\n    {node['target']}: {node['html']}" for node in violation["nodes"][:5])
    more = len(violation["nodes"]) - 5
    return (f"axe-core on {route} ({url}): {violation['id']} ({violation['impact']}), {violation['help']}, "
            f"{len(violation['nodes'])} element(s):{nodes}" + (f"\n    ... and {more} more" if more > 0 else ""))


class CheckedBrowser:
    """The session's browser: every context it makes is checked, and checks its tabs once more as it closes."""

    def __init__(self, browser: Browser, checks: PageChecks):
        self._browser = browser
        self._checks = checks

    def new_context(self, **options) -> CheckedContext:
        context = self._browser.new_context(**options)
        self._checks.attach(context)
        return CheckedContext(context, self._checks)

    def __getattr__(self, name: str):
        return getattr(self._browser, name)


class CheckedContext:
    def __init__(self, context: BrowserContext, checks: PageChecks):
        self._context = context
        self._checks = checks

    def close(self, **options) -> None:
        self._checks.finish(self._context)
        self._context.close(**options)

    def __getattr__(self, name: str):
        return getattr(self._context, name)
