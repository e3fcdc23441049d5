"""Queue tasks: media processing, scheduled publication, notifications, retention sweeps.

They call services.
"""
