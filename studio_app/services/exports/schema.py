"""The archive's format, documented: the schema of each file, the files in their order, the tables left out and
why, and the README written from them. Tests check that the archive holds no field not documented here."""

from __future__ import annotations

from datetime import datetime

from studio_app import routes

SCHEMA_VERSION = 1
SCHEMA_PREFIX = "azekia-studio/export"

# Tables with nothing of a person to hand over, and why.
NOT_EXPORTED: dict[str, str] = {
    "user_data_key": "the wrapped key that seals your data: useless outside our servers",
    "project_data_key": "the wrapped key that seals a project's content: useless outside our servers",
    "audit_event": "our security log (pseudonymous ids only), kept to protect accounts; ask us for it in writing",
    "policy_document": "the published privacy policy, the same for everyone",
    "announcement": "product news written by Azekia Studio, the same for everyone who receives it",
    "form_submission": "random keys that stop a double click from creating things twice; what they created is exported",
    "job_failure": "background jobs that failed (what they worked on, by id, and the error): nothing about you",
    "publication_step": "the calls made to TikTok and Discord while publishing (their progress): how each "
                        "publication ended is in publications.json",
    "oauth_attempt": "a connection to Discord or TikTok you started and did not finish: deleted after 10 minutes",
    "security_alert": "alerts our detection rules raised (pseudonymous ids only), kept to protect accounts; ask us for "
                      "them in writing",
    "security_signal": "short-lived counts of failed sign-ins and downloads under keyed pseudonyms, deleted within "
                       "hours",
    "known_device": "for admins only: keyed hashes of the browsers and networks they signed in from, which cannot be "
                    "turned back into either; kept to spot a sign-in from a new device",
    "admin_role_request": "requests between admins to grant the admin role (account ids only)",
    "admin_project_access": "an admin reading a project's content: shown, with the reason, in that project's activity",
    "legal_disclosure": "the register of disclosures to authorities, kept as the studio's legal record; you are told "
                        "of a disclosure about you unless the law forbids it",
    "inbound_mail": "messages sent to our privacy address: the text of one you confirmed is in your request "
                    "(requests file); one you did not confirm may not be from you",
    "mailbox_cursor": "where reading our privacy mailbox stopped: nothing about you",
    "incident": "our record of a security incident, kept for the data protection authority (GDPR art. 33(5)); it "
                "names no one",
    "incident_event": "the timeline of how we handled a security incident, written by admins; it names no one",
    "incident_person": "that a security incident affected your account: when it put you at high risk, our notice is "
                       "among your notifications (content.json); ask us in writing for the rest",
    "app_flag": "studio-wide switches such as read-only mode during an incident: nothing about you",
}

# Personal columns deliberately left out of the archive, and why (tests check each one's value never appears).
WITHHELD_COLUMNS: dict[tuple[str, str], str] = {
    ("connected_account", "access_token_encrypted"):
        "the access token of a connected account: a key to your account there, which an archive must not carry",
    ("connected_account", "refresh_token_encrypted"):
        "the refresh token of a connected account: a key to your account there, which an archive must not carry",
    **{("inbound_mail", column): "a message sent to our privacy address from yours: once you confirm it, its text is "
       "exported with your request; until then it may have been sent by someone else in your name"
       for column in ("sender_encrypted", "subject_encrypted", "body_encrypted")},
}

# The files of the archive, in the order they are written, with what each holds.
FILES: dict[str, str] = {
    "identity": "Who you are on Azekia Studio: your account, and any suspension of it with its reason.",
    "profile": "Your public editor profile (empty unless you are an editor).",
    "contact": "Your email address, pending email changes, and invitations sent to your address.",
    "technical": "Your signed-in browsers (sessions) and the one-time links we emailed you.",
    "content": "Your projects, their milestones, your activity and notifications, every message you wrote, your "
               "derush selections and decisions on suggestions, and your review comments.",
    "files": "An index of the files you uploaded, of the rushes and versions among them, and of uploads still in "
             "progress; the files themselves are in the files/ folder.",
    "preferences": "Your notification choices, consents with their history, and the privacy policy you accepted.",
    "requests": "Your privacy requests (including this export) and data exports.",
    "publications": "The videos you scheduled for publication on TikTok or a project's Discord channel: caption, "
                    "time, and where each went and how it ended.",
    "connections": "Your connected Discord and TikTok accounts (never their tokens), the Discord channels you "
                   "connected to projects, and the Discord messages the studio sent or was to send you.",
}


_WHEN = "date and time (ISO 8601, UTC)"
_WHEN_OR_NULL = _WHEN + ", or null"
_PROJECT = "id of the project (see the project items of content.json)"

# Every item type of every file, with every field: the README is written from this, and tests check
# that the archive holds no field that is not documented here.
FIELDS: dict[str, dict[str, dict[str, str]]] = {
    "identity": {"account": {"id": "your account id", "display_name": "the name shown to the people you work with",
                             "role": "producer, editor or admin", "created_at": "when you signed up: " + _WHEN},
                 "suspension": {"suspended_at": "when an admin suspended your account: " + _WHEN,
                                "reason": "why it was suspended",
                                "restored_at": "when it was restored: " + _WHEN_OR_NULL,
                                "restore_reason": "why it was restored, or null"}},
    "profile": {"editor_profile": {
        "headline": "your headline in the editors' directory", "portfolio_links": "links to your work",
        "skills": "skills you listed", "languages": "languages you work in", "software": "software you use",
        "day_rate_cents": "your day rate in cents, or null", "currency": "currency of the day rate",
        "availability": "available, limited or unavailable", "listed": "whether producers can find you",
        "updated_at": "last change: " + _WHEN}},
    "contact": {
        "email": {"email": "your email address", "verified_at": "when you confirmed it: " + _WHEN_OR_NULL},
        "email_change": {"new_email": "the new address you asked for", "created_at": "when: " + _WHEN,
                         "expires_at": "when the confirmation link expires: " + _WHEN,
                         "used_at": "when you confirmed it: " + _WHEN_OR_NULL},
        "invitation_received": {"id": "invitation id", "project_id": _PROJECT,
                                "email": "the address the invitation was sent to (yours), or null",
                                "status": "pending, accepted, declined or revoked", "created_at": "sent: " + _WHEN,
                                "responded_at": "your answer: " + _WHEN_OR_NULL}},
    "technical": {
        "session": {"id": "session id", "created_at": "sign-in: " + _WHEN, "last_used_at": "last use: " + _WHEN,
                    "idle_expires_at": "ends if unused until: " + _WHEN, "absolute_expires_at": "ends at the latest: "
                    + _WHEN, "revoked_at": "signed out: " + _WHEN_OR_NULL,
                    "reauthenticated_at": "last password confirmation: " + _WHEN_OR_NULL,
                    "ip_address": "the address the browser signed in from (erased after the retention period)",
                    "user_agent": "the browser's description of itself (erased after the retention period)"},
        "one_time_link": {"purpose": "verify_email, reset_password, change_email or sign_in",
                          "created_at": "sent: " + _WHEN,
                          "expires_at": "expiry: " + _WHEN, "used_at": "opened: " + _WHEN_OR_NULL}},
    "content": {
        "project": {"id": "project id", "your_role": "producer or editor", "joined_at": "you joined: " + _WHEN,
                    "removed_at": "you were removed: " + _WHEN_OR_NULL, "title": "the project's title",
                    "brief_markdown": "the brief, Markdown (only in projects you produce; null otherwise)",
                    "stage": "the project's stage", "platforms": "where the video is published",
                    "video_format": "format of the video", "deadline": "deadline (ISO date), or null",
                    "created_at": "created: " + _WHEN},
        "invitation_sent": {"id": "invitation id", "project_id": _PROJECT,
                            "status": "pending, accepted, declined or revoked (who you invited is left out: it is "
                                      "their data)", "created_at": "sent: " + _WHEN,
                            "responded_at": "answered: " + _WHEN_OR_NULL},
        "milestone": {"id": "milestone id", "project_id": _PROJECT, "title": "what is due",
                      "due_on": "due date (ISO date)", "assigned_to_you": "true if you own this milestone",
                      "done_at": "completed: " + _WHEN_OR_NULL, "created_at": "created: " + _WHEN},
        "activity": {"project_id": _PROJECT, "kind": "what you did (a project timeline event)",
                     "created_at": _WHEN},
        "thread_read": {"project_id": _PROJECT, "last_read_at": "when you last read the thread: " + _WHEN},
        "notification": {"kind": "what happened", "project_id": _PROJECT + ", or null", "created_at": _WHEN,
                         "read_at": _WHEN_OR_NULL, "emailed_at": "sent in an email summary: " + _WHEN_OR_NULL},
        "message": {"id": "message id", "project_id": _PROJECT, "reply_to_id": "id of the message it answers, or null",
                    "body": "what you wrote (Markdown); null once deleted", "created_at": "posted: " + _WHEN,
                    "edited_at": "last edit: " + _WHEN_OR_NULL, "deleted_at": "deleted: " + _WHEN_OR_NULL},
        "derush_selection": {"id": "selection id", "project_id": _PROJECT, "rush_id": "id of the rush (a video)",
                             "in_frame": "first frame of the segment, in the rush's frame rate",
                             "out_frame": "frame just after the segment", "label": "keep, maybe or reject",
                             "rating": "0 to 5 stars", "note": "your note, or null",
                             "from_suggestion": "scene or silence when accepted from a suggestion, or null",
                             "created_at": _WHEN, "updated_at": "last change: " + _WHEN},
        "derush_decision": {"rush_id": "id of the rush (a video)",
                            "suggestion": "the suggested segment: its kind and frames (scene:<in>-<out>)",
                            "accepted": "true if you accepted it, false if you discarded it", "decided_at": _WHEN},
        "review_comment": {"id": "comment id", "project_id": _PROJECT, "version_id": "id of the version (a video)",
                           "reply_to_id": "id of the comment it answers, or null",
                           "at_ms": "the moment of the video it is about, in milliseconds",
                           "end_ms": "end of the range it is about, in milliseconds, or null",
                           "body": "what you wrote", "resolved_at": "marked resolved: " + _WHEN_OR_NULL,
                           "created_at": "posted: " + _WHEN}},
    "files": {"file": {"id": "file id", "name": "the name you gave the file", "content_type": "its media type",
                       "size_bytes": "size in bytes", "sha256": "SHA-256 of its content (to check the copy)",
                       "project_id": _PROJECT + ", or null for a personal file", "created_at": "uploaded: " + _WHEN,
                       "path": "where the file is in this archive"},
              "media": {"id": "media id", "file_id": "id of its file (in the file list above), or null once a "
                                                     "file we could not use was removed",
                        "refused_name": "the name of that removed file, or null",
                        "failure_reason": "why processing failed, or null",
                        "project_id": _PROJECT, "kind": "rush (raw footage) or version (an edited cut)",
                        "version_number": "1, 2, ... for versions, null for rushes",
                        "status": "queued, processing, ready or failed",
                        "duration_ms": "length in milliseconds, or null", "width": "in pixels, or null",
                        "height": "in pixels, or null", "frame_rate": "frames per second as a fraction, or null",
                        "approved_at": "approved by the producer: " + _WHEN_OR_NULL,
                        "created_at": "uploaded: " + _WHEN},
              "upload_in_progress": {
                  "id": "upload id", "project_id": _PROJECT, "name": "the name of the file you were sending",
                  "kind": "rush or version", "size_bytes": "the file's size in bytes",
                  "received_bytes": "how much had arrived", "state": "receiving or complete",
                  "created_at": "started: " + _WHEN, "expires_at": "removed if nothing more arrives by: " + _WHEN}},
    "preferences": {
        "privacy_policy_accepted": {"version": "the privacy policy version you accepted at sign-up",
                                    "accepted_at": _WHEN},
        "notification_preference": {"kind": "kind of notification",
                                    "channel": "in_app, email (in the app and by email) or none",
                                    "chosen_by_you": "false where the default applies"},
        "consent": {"kind": "what you consented to", "given_at": _WHEN, "withdrawn_at": _WHEN_OR_NULL},
        "policy_notice": {"policy": "which policy", "version": "its version", "emailed_at": _WHEN_OR_NULL,
                          "acknowledged_at": _WHEN_OR_NULL},
        "announcement_received": {"announcement_id": "id of the product news email", "sent_at": _WHEN}},
    "requests": {
        "privacy_request": {"id": "request id", "kind": "what the request was about",
                            "self_served": "true for what you did yourself (export, deletion)",
                            "status": "open, done or refused", "details": "what you wrote, or null",
                            "answer": "our answer, or null", "created_at": _WHEN,
                            "due_at": "our deadline to answer: " + _WHEN, "closed_at": _WHEN_OR_NULL},
        "data_export": {"id": "export id", "status": "queued, running, ready, failed or expired",
                        "created_at": "asked: " + _WHEN, "finished_at": _WHEN_OR_NULL,
                        "expires_at": "download possible until: " + _WHEN_OR_NULL,
                        "downloaded_at": "last download: " + _WHEN_OR_NULL}},
    "publications": {
        "publication": {"id": "publication id", "project_id": _PROJECT,
                        "version_id": "id of the approved version that was published",
                        "caption": "the caption you wrote", "scheduled_for": "when it was due: " + _WHEN,
                        "time_zone": "the time zone you chose the time in",
                        "status": "scheduled, running, done, partly_failed, failed or cancelled",
                        "cover_ms": "the cover frame, in milliseconds from the start", "created_at": _WHEN,
                        "destinations": "where it went: each with destination (tiktok or discord), status, sandbox "
                                        "(true for the local test stand-in), privacy_level (TikTok), post_url and "
                                        "failure_reason (in plain words), or null"}},
    "connections": {
        "connected_account": {"provider": "discord or tiktok", "account_id": "your id on that service",
                              "name": "your name there (Discord pseudonym, TikTok display name)",
                              "scopes": "what you allowed the studio to do there",
                              "status": "active, or needs_reconnect", "sandbox": "true for the local test stand-in",
                              "name_shown_to_coworkers": "whether people you work with see your Discord name",
                              "connected_at": _WHEN, "refreshed_at": "access last renewed: " + _WHEN_OR_NULL},
        "project_channel": {"project_id": _PROJECT, "channel_name": "the Discord webhook's name",
                            "status": "active, or dead (Discord no longer accepts it)",
                            "sandbox": "true for the local test stand-in", "connected_at": _WHEN},
        "discord_message": {"kind": "the notification it carries", "text": "the message",
                            "status": "pending, sent, failed or cancelled", "created_at": _WHEN,
                            "sent_at": _WHEN_OR_NULL}},
}


def readme(generated_at: datetime, public_url: str = "") -> str:
    lines = [
        "# Your data from Azekia Studio", "",
        f"Made on {generated_at.strftime('%d %B %Y at %H:%M UTC')} at your request, from everything we hold "
        "about you. It holds nothing about other people: their names, emails and messages are left out; "
        "projects you work on appear with their title (and the brief, for projects you produce).", "",
        "## Format", "",
        "Each `.json` file is UTF-8 JSON of this shape:", "",
        "```json",
        f'{{"schema": "{SCHEMA_PREFIX}/<file name>", "version": {SCHEMA_VERSION}, '
        '"generated_at": "<ISO 8601>", "items": [{"type": "<item type>", "...": "..."}]}',
        "```", "",
        f"`version` changes only when a field changes meaning or disappears; new fields may be added within version "
        f"{SCHEMA_VERSION}. Dates and times are ISO 8601 in UTC. Ids are opaque: they link items across files "
        "(for example a message's `project_id` to a project in content.json).", "",
        "The `files/` folder holds the files you uploaded, byte for byte, at the `path` given in files.json "
        "(check them with their `sha256`).", "",
        "## Files", "",
    ]
    for name, description in FILES.items():
        lines += [f"### {name}.json", "", description, ""]
        for item_type, fields in FIELDS[name].items():
            lines += [f"Items of type `{item_type}`:", ""]
            lines += [f"- `{field}`: {meaning}" for field, meaning in fields.items()]
            lines.append("")
    lines += ["## Not included", ""]
    lines += [f"- `{table}`: {reason}" for table, reason in NOT_EXPORTED.items()]
    lines += [f"- `{table}.{column}`: {reason}" for (table, column), reason in WITHHELD_COLUMNS.items()]
    lines += ["", f"Questions? Write to us from your privacy center: {public_url}{routes.PRIVACY_CENTER}", ""]
    return "\n".join(lines)
