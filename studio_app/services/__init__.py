"""The domain: plain functions taking a DB session and the acting user.

They check authorization through ``security.policy`` and return plain data. Never imports reflex.
"""
