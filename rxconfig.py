"""Reflex configuration, derived from the STUDIO_* settings (see studio_app/settings.py)."""

import reflex as rx

from studio_app.settings import load_settings_or_exit

settings = load_settings_or_exit()

config = rx.Config(
    app_name="studio_app",
    # The event websocket accepts only our own origins: Reflex's default "*" lets any site open one.
    cors_allowed_origins=list(settings.allowed_origins),
    deploy_url=settings.public_url,
    api_url=settings.public_url,
    redis_url=settings.redis_url,
    # studio_app.py replaces the state manager Reflex builds from this with our sealed one (state/store.py):
    # "memory" keeps Reflex's own disk manager from creating and listing .states/ first.
    state_manager_mode="redis" if settings.redis_url else "memory",
    # Our privacy policy promises no data sent to third parties.
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(appearance="light", accent_color="violet", gray_color="slate", radius="large")
        )
    ],
    # A private workspace has nothing to list in a sitemap.
    disable_plugins=[rx.plugins.SitemapPlugin],
)
