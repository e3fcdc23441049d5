"""Polling the privacy mailbox (a queue job runs it every minute): each message is taken in within one transaction,
then marked in the mailbox (IMAP ``\\Seen`` and the UID cursor, or the file removed). A crash in between leaves a
message that is read again next time and found already taken in, so it never makes two requests."""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter

from sqlmodel import Session

from studio_app.database import session_scope
from studio_app.integrations.inbox import DropFolder, ImapMailbox, mailbox_id
from studio_app.models.mail_requests import MailboxCursor
from studio_app.services import mail_requests
from studio_app.services.mail_requests import IGNORED, REJECTED, Automatic, NotALetter
from studio_app.settings import Settings

logger = logging.getLogger(__name__)
# Messages taken in per poll at most: a flood waits for the next minute instead of holding the round.
POLL_BATCH = 200


@dataclasses.dataclass(frozen=True)
class PollReport:
    outcomes: Counter
    acknowledged: int


def poll(settings: Settings) -> PollReport:
    """Take in what arrived, then send the acknowledgments that are due (from this poll or an earlier one whose
    mail could not leave). Raises MailboxError when the IMAP server cannot be read."""
    outcomes = _poll_imap(settings) if settings.imap_url else _poll_folder(settings)
    acknowledged = mail_requests.send_acknowledgments(settings)
    if outcomes:
        logger.info("privacy mailbox polled: %s", ", ".join(f"{count} {what}" for what, count in outcomes.items()),
                    extra={"event": "privacy mailbox polled"})
    return PollReport(outcomes=outcomes, acknowledged=acknowledged)


def _take(session: Session, settings: Settings, raw: bytes | None) -> str:
    if raw is None:
        return REJECTED
    try:
        letter = mail_requests.read_letter(raw, settings)
    except NotALetter:
        return REJECTED
    except Automatic:
        return IGNORED
    return mail_requests.take_in(session, settings, letter)


def _poll_folder(settings: Settings) -> Counter:
    folder, outcomes = DropFolder(settings.inbox_dir), Counter()
    for path in folder.pending()[:POLL_BATCH]:
        with session_scope() as session:
            outcome = _take(session, settings, folder.read(path))
        (folder.reject if outcome == REJECTED else folder.taken)(path)
        outcomes[outcome] += 1
    return outcomes


def _poll_imap(settings: Settings) -> Counter:
    outcomes, box = Counter(), mailbox_id(settings.imap_url or "")
    with ImapMailbox(settings) as mailbox:
        with session_scope() as session:
            cursor = session.get(MailboxCursor, box)
            last_uid = cursor.last_uid if cursor and cursor.uid_validity == mailbox.uid_validity else 0
        for uid in mailbox.uids_after(last_uid)[:POLL_BATCH]:
            raw = mailbox.fetch(uid)
            with session_scope() as session:
                outcome = _take(session, settings, raw)
                session.merge(MailboxCursor(mailbox=box, uid_validity=mailbox.uid_validity, last_uid=uid))
            outcomes[outcome] += 1
            if outcome != REJECTED:  # a rejected message stays unread for a person to look at
                mailbox.mark_seen(uid)
    return outcomes

