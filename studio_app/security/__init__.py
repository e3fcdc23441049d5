"""Security mechanisms: keys, field encryption, blind indexes, password hashing, the personal-data
register and HTTP security headers.

Framework-free: nothing here imports reflex, and nothing raises at import time.
"""
