"""Every page route, in one place."""

HOME = "/"
SIGN_UP = "/signup"
SIGN_IN = "/signin"
VERIFY_EMAIL = "/verify"
FORGOT_PASSWORD = "/forgot"
RESET_PASSWORD = "/reset"
CONFIRM_EMAIL_CHANGE = "/verify-email-change"
ACCOUNT = "/account"
DASHBOARD = "/dashboard"
PROJECTS = "/projects"
NEW_PROJECT = "/projects/new"
PROJECT = "/projects/[project_id]"
INVITATIONS = "/invitations"
INVITATION_LINK = "/invitations/[token]"
DIRECTORY = "/directory"
EDITOR_PROFILE = "/profile"
NOTIFICATIONS = "/notifications"
SESSIONS = "/account/sessions"
PRIVACY_POLICY = "/privacy"
PRIVACY_POLICY_VERSION = "/privacy/versions/[policy_version]"
COOKIES = "/cookies"
PRIVACY_CENTER = "/privacy-center"
ADMIN_PRIVACY = "/admin/privacy"

# HTTP routes (api/) that forms post to: they set and clear the HttpOnly session cookie.
SIGN_IN_POST = "/api/auth/signin"
SIGN_OUT_POST = "/api/auth/signout"
# Where a tab goes after deleting its account: clears the dead session cookie, then the landing page.
ACCOUNT_DELETED = "/api/auth/deleted"


def project_page(project_id: str) -> str:
    return f"{PROJECTS}/{project_id}"


def policy_version_page(version: int) -> str:
    return f"{PRIVACY_POLICY}/versions/{version}"
