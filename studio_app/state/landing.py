"""The landing page's one interactive piece: which audience's benefits are shown."""

import reflex as rx

AUDIENCES = ("producers", "editors")


class LandingState(rx.State):
    audience: str = "producers"

    @rx.event
    def show_audience(self, audience: str | list[str]):
        # Any websocket client may call this with any value: keep only the known ones.
        if isinstance(audience, str) and audience in AUDIENCES:
            self.audience = audience
