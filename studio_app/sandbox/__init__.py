"""Local emulators of the provider APIs, used when no real credentials are set and by the tests.

Imports nothing of ours, like the real providers it stands in for.
"""
