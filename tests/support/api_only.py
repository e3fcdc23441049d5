"""Our HTTP routes in front of an empty app instead of Reflex: serves ``api/`` tests in seconds."""

from starlette.applications import Starlette

from studio_app.api import with_studio_routes

app = with_studio_routes(Starlette())
