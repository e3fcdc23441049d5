"""Every page route, in one place."""

from urllib.parse import urlencode

HOME = "/"
SIGN_UP = "/signup"
SIGN_IN = "/signin"
VERIFY_EMAIL = "/verify"
FORGOT_PASSWORD = "/forgot"
RESET_PASSWORD = "/reset"
SIGN_IN_LINK = "/signin/link"  # opened from the mailed one-time sign-in link; its button posts to SIGN_IN_LINK_POST
CONFIRM_EMAIL_CHANGE = "/verify-email-change"
ACCOUNT = "/account"
DASHBOARD = "/dashboard"
PROJECTS = "/projects"
NEW_PROJECT = "/projects/new"
PROJECT = "/projects/[project_id]"
RUSH = "/projects/[project_id]/rushes/[asset_id]"
VERSION = "/projects/[project_id]/versions/[asset_id]"
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
ADMIN_JOBS = "/admin/jobs"
ADMIN_SANDBOX = "/admin/sandbox"
ADMIN_OPERATIONS = "/admin/operations"
READY = "/api/ready"
ADMIN_ALERTS = "/admin/alerts"
ADMIN_PEOPLE = "/admin/people"
ADMIN_DISCLOSURES = "/admin/disclosures"
ADMIN_INCIDENTS = "/admin/incidents"
ADMIN_INCIDENT = ADMIN_INCIDENTS + "/[incident_id]"
INCIDENT_REPORT = "/api/admin/incidents/{incident_id}/report.{format}"
CONNECTIONS = "/account/connections"
# Opened from the link that acknowledges a request sent by email; its button posts to MAIL_REQUEST_CONFIRM_POST.
MAIL_REQUEST_CONFIRM = "/privacy-request/confirm"
NOT_FOUND = "404"  # Reflex's name for the page any unknown address shows

# HTTP routes (api/) that forms post to: they set and clear the HttpOnly session cookie.
SIGN_IN_POST = "/api/auth/signin"
SIGN_OUT_POST = "/api/auth/signout"
SIGN_IN_LINK_POST = "/api/auth/signin-link"
MAIL_REQUEST_CONFIRM_POST = "/api/privacy/mail-requests/confirm"
# A plain link (GET) to the person's data archive; the route checks the session and a recent password.
EXPORT_DOWNLOAD = "/api/privacy/exports/{export_id}/download"
# tus 1.0 resumable uploads of media (api/uploads.py), and reading media back with ranges (api/media.py).
UPLOADS = "/api/uploads"
UPLOAD = "/api/uploads/{upload_id}"
MEDIA_ORIGINAL = "/api/media/{file_id}"
MEDIA_PROXY = "/api/media/{file_id}/proxy"
# Where a tab goes after deleting its account: clears the dead session cookie, then the landing page.
ACCOUNT_DELETED = "/api/auth/deleted"
# Media served to members: the derush list as edit lists (by the rush's file id), the scrubber's thumbnails.
DERUSH_EDIT_LIST = "/api/media/{file_id}/derush.{format}"
THUMBNAILS_VTT = "/api/media/{media_id}/thumbnails.vtt"  # the asset's id, or its original's file id
THUMBNAILS_SPRITE = "/api/media/{media_id}/sprite.jpg"
# Connecting Discord or TikTok (api/oauth.py): the page's form posts to start, the provider redirects to callback.
CONNECTION_START = "/api/connections/{provider}/start"
CONNECTION_CALLBACK = "/api/connections/{provider}/callback"
# The ZIP of exactly what a disclosure to an authority handed over (admins, recent password).
DISCLOSURE_EXPORT = "/api/admin/disclosures/{disclosure_id}/export"


def project_page(project_id: str) -> str:
    return f"{PROJECTS}/{project_id}"


def rush_page(project_id: str, asset_id: str) -> str:
    return f"{PROJECTS}/{project_id}/rushes/{asset_id}"


def version_page(project_id: str, asset_id: str) -> str:
    return f"{PROJECTS}/{project_id}/versions/{asset_id}"


def derush_edit_list(file_id: str, format: str) -> str:
    return DERUSH_EDIT_LIST.format(file_id=file_id, format=format)


def thumbnails_vtt(asset_id: str) -> str:
    return THUMBNAILS_VTT.format(media_id=asset_id)


def thumbnails_sprite(asset_id: str) -> str:
    return THUMBNAILS_SPRITE.format(media_id=asset_id)


def media_original(file_id: str) -> str:
    return MEDIA_ORIGINAL.format(file_id=file_id)


def media_proxy(file_id: str) -> str:
    return MEDIA_PROXY.format(file_id=file_id)


def connection_start(provider: str) -> str:
    return CONNECTION_START.format(provider=provider)


def connection_callback(provider: str) -> str:
    return CONNECTION_CALLBACK.format(provider=provider)


def disclosure_export(disclosure_id: str) -> str:
    return DISCLOSURE_EXPORT.format(disclosure_id=disclosure_id)


def export_download(export_id: str) -> str:
    return EXPORT_DOWNLOAD.format(export_id=export_id)


def policy_version_page(version: int) -> str:
    return f"{PRIVACY_POLICY}/versions/{version}"


def invitation_page(token: str) -> str:
    return INVITATION_LINK.replace("[token]", token)


def incident_page(incident_id: str) -> str:
    return f"{ADMIN_INCIDENTS}/{incident_id}"


def incident_report(incident_id: str, format: str) -> str:
    return INCIDENT_REPORT.format(incident_id=incident_id, format=format)


def absolute(public_url: str, path: str, *, section: str = "", **query: str) -> str:
    """A link for a mail: the public origin, a route of this module, its query and the section of the page."""
    return f"{public_url}{path}" + (f"?{urlencode(query)}" if query else "") + (f"#{section}" if section else "")
