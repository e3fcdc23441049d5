"""Every page route, in one place."""

HOME = "/"
SIGN_UP = "/signup"
SIGN_IN = "/signin"
VERIFY_EMAIL = "/verify"
FORGOT_PASSWORD = "/forgot"
RESET_PASSWORD = "/reset"
CONFIRM_EMAIL_CHANGE = "/verify-email-change"
ACCOUNT = "/account"
SESSIONS = "/account/sessions"
PRIVACY_POLICY = "/privacy"

# HTTP routes (api/), reached by a full navigation.
SIGN_IN_EXCHANGE = "/api/auth/session"
SIGNED_OUT = "/api/auth/signed-out"
