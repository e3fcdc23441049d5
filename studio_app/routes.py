"""Every page route, in one place."""

HOME = "/"
SIGN_UP = "/signup"
SIGN_IN = "/signin"
PRIVACY_POLICY = "/privacy"
