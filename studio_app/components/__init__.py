"""Reusable UI pieces: small functions returning ``rx.Component``."""
