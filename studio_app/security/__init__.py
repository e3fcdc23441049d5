"""Security mechanisms shared by the HTTP side and the services (never imports reflex)."""
