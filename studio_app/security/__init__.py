"""Keys, field encryption, blind indexes, password hashing and the personal-data register.

Framework-free: nothing here imports reflex, and nothing raises at import time.
"""
