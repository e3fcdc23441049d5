"""Random key material for tests, in the formats the settings accept."""

import base64
import os


def encoded_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()
