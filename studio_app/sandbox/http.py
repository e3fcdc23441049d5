"""Small ASGI pieces the emulators share: a dropped connection, the consent page's HTML."""

from __future__ import annotations

import html
from collections.abc import Iterable

from starlette.responses import HTMLResponse, Response

PARTIAL_BYTES = 10


class DroppedResponse(Response):
    """Starts an answer, sends a few bytes, then ends the request: the client sees the connection close
    mid-answer (httpx: RemoteProtocolError), as when a provider's edge drops it."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"1000"), (b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b"{" * PARTIAL_BYTES, "more_body": True})
        raise ConnectionAbortedError("sandbox fault: connection dropped on purpose")


def consent_page(*, title: str, app_name: str, provider: str, action: str, hidden: dict[str, str],
                 persona: str, scopes: Iterable[str], extra_fields: str = "") -> HTMLResponse:
    """A plain form a person (or Playwright) clicks through: Authorize or Cancel."""
    esc = html.escape
    hidden_inputs = "".join(f'<input type="hidden" name="{esc(name)}" value="{esc(value)}">'
                            for name, value in hidden.items())
    scope_items = "".join(f"<li>{esc(text)}</li>" for text in scopes)
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}
label{{display:block;margin:.75rem 0 .25rem}}button{{font-size:1rem;padding:.5rem 1rem;margin-right:.5rem}}
.note{{background:#fff3cd;padding:.5rem;border-radius:4px}}</style></head>
<body><main>
<p class="note">Sandbox {esc(provider)}: a local stand-in for the real service. Nothing leaves this machine.</p>
<h1>{esc(title)}</h1>
<p><strong>{esc(app_name)}</strong> wants to:</p>
<ul>{scope_items}</ul>
<form method="post" action="{esc(action)}">
{hidden_inputs}
<label for="persona">Signed in as</label>
<input id="persona" name="persona" value="{esc(persona)}" required maxlength="32" autocomplete="off">
{extra_fields}
<p><button type="submit" name="decision" value="authorize">Authorize</button>
<button type="submit" name="decision" value="cancel" formnovalidate>Cancel</button></p>
</form></main></body></html>"""
    return HTMLResponse(body)


def error_page(message: str, status: int = 400) -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><html lang=\"en\"><head><title>Sandbox error</title></head>"
                        f"<body><main><h1>Something is wrong with this request</h1><p>{html.escape(message)}</p>"
                        f"</main></body></html>", status_code=status)
