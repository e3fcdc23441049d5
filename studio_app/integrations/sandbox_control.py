"""The provider sandbox's control API (``studio_app/sandbox/app.py``): its record of calls, the faults armed, and
arming or clearing them. Used by the admin console; the tests drive the same API (tests/support/sandbox.py)."""

from __future__ import annotations

from typing import Any

import httpx

from studio_app.settings import Settings

SECRET_HEADER = "X-Sandbox-Secret"
TIMEOUT = httpx.Timeout(5.0)


class SandboxUnavailable(Exception):
    """The sandbox did not answer, or refused (no or wrong shared secret); the message says which, plainly."""


class SandboxControl:
    def __init__(self, settings: Settings, *, http: httpx.Client | None = None):
        self.base_url = settings.sandbox_base_url
        self._secret = settings.sandbox_secret or ""
        self.http = http or httpx.Client(timeout=TIMEOUT)

    def _request(self, method: str, path: str, json: dict[str, Any] | None = None) -> Any:
        if not self._secret:
            raise SandboxUnavailable("STUDIO_SANDBOX_SECRET is not set, so the sandbox's controls are out of reach.")
        try:
            response = self.http.request(method, f"{self.base_url}/_sandbox/{path}", json=json,
                                         headers={SECRET_HEADER: self._secret})
        except httpx.HTTPError:
            raise SandboxUnavailable(f"The sandbox at {self.base_url} does not answer.") from None
        if response.status_code == 403:
            raise SandboxUnavailable("The sandbox refused the shared secret (STUDIO_SANDBOX_SECRET differs).")
        if response.status_code == 400:
            raise ValueError(response.json().get("error", "refused"))
        response.raise_for_status()
        return response.json() if response.content else None

    def state(self) -> dict[str, Any]:
        return self._request("GET", "state")

    def faults(self) -> dict[str, Any]:
        """``faults`` armed, and the ``routes`` and ``kinds`` a fault may name."""
        return self._request("GET", "faults")

    def inject(self, route: str, kind: str, times: int = 1, **extra: Any) -> dict[str, Any]:
        return self._request("POST", "faults", {"route": route, "kind": kind, "times": times, **extra})

    def clear_faults(self) -> None:
        self._request("DELETE", "faults")
