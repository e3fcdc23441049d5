"""Clients of external providers (Discord, TikTok, SMTP, object storage).

They read configuration from settings only.
"""
