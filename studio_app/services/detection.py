"""Detection: rules over security events open alerts in the admin console and mail the security contact.

Where events are recorded and evaluated:
- high-volume failures (wrong passwords, downloads, integrity failures) are counted in the fast counter store
  (``security_counters``: Redis when configured, else the database) by the code where they happen, which calls the
  hooks below; each hook compares a cheap moving-window count with its threshold (``STUDIO_DETECT_*``) at once;
- durable events live in the audit log: admin role changes are seen as they are recorded (``audit.record_event``
  calls :func:`audit_event_recorded`), and a periodic job verifies the whole chain (``jobs/detection.py``).

One alert per rule and subject while it is not closed: a rule firing again counts on it, and only a new alert is
mailed (at most ``STUDIO_DETECT_MAILS_PER_HOUR`` a moving hour), so an attack makes no storm. Alerts hold plain
words and pseudonymous ids only: user ids, keyed pseudonyms of a network or an account, never an email, a name or
an IP address (:func:`raise_alert` refuses them, like the audit log does).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import ipaddress
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Session, select

from studio_app.errors import NotFound
from studio_app.integrations.mail import send_mail
from studio_app.models.accounts import Role, User
from studio_app.models.audit import AuditEvent
from studio_app.models.base import is_row_id, utcnow
from studio_app.models.security import AlertSeverity, AlertStatus, KnownDevice, SecurityAlert
from studio_app.security.keyring import current_keys
from studio_app.security.policy import Action, Actor, require
from studio_app.services import audit, background, mail_templates, security_counters
from studio_app.settings import Settings, current_settings

if TYPE_CHECKING:
    from studio_app.services.sessions import ClientInfo

LISTED = 200
USER_IDS_KEPT = 100
MAIL_WINDOW_SECONDS = 3600


@dataclasses.dataclass(frozen=True)
class Rule:
    name: str
    title: str
    severity: AlertSeverity


RULES = {rule.name: rule for rule in (
    Rule("signin_failures_account", "Repeated failed sign-ins on one account", AlertSeverity.MEDIUM),
    Rule("signin_failures_network", "Repeated failed sign-ins from one network", AlertSeverity.MEDIUM),
    Rule("credential_stuffing", "Failed sign-ins spread over many accounts", AlertSeverity.HIGH),
    Rule("mass_downloads", "Many downloads by one person", AlertSeverity.MEDIUM),
    Rule("integrity_failures", "Decryption or integrity check failures", AlertSeverity.HIGH),
    Rule("admin_role_change", "Admin role changed", AlertSeverity.MEDIUM),
    Rule("admin_new_device", "Admin signed in from a new device", AlertSeverity.MEDIUM),
    Rule("audit_chain_broken", "Audit log failed verification", AlertSeverity.HIGH),
)}

# Audit kinds that change who is an admin (``services/admin_users.py`` records the last two).
ADMIN_ROLE_KINDS = {"account.admin_created": "created", "admin.role_granted": "granted",
                    "admin.role_removed": "removed"}
# Where a decryption or integrity failure can come from (the subject of ``integrity_failures``).
INTEGRITY_COMPONENTS = ("field", "state_store", "media", "export", "session_cookie")


@dataclasses.dataclass(frozen=True)
class AlertView:
    id: str
    rule: str
    title: str
    severity: str
    status: str
    opened_at: datetime
    last_seen_at: datetime
    summary: str
    details: dict[str, Any]
    subject_id: str
    user_ids: tuple[str, ...]
    count: int
    mailed: bool
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    closed_at: datetime | None


# -- the console ----------------------------------------------------------------------------------


def open_alerts(session: Session, actor: Actor | None) -> list[AlertView]:
    """Alerts not closed yet (open or acknowledged), the newest first."""
    require(actor, Action.ADMINISTER_SECURITY)
    rows = session.exec(select(SecurityAlert).where(SecurityAlert.status != AlertStatus.CLOSED)
                        .order_by(SecurityAlert.last_seen_at.desc(), SecurityAlert.id).limit(LISTED)).all()
    return [_view(row) for row in rows]


def closed_alerts(session: Session, actor: Actor | None, *, limit: int = 50) -> list[AlertView]:
    require(actor, Action.ADMINISTER_SECURITY)
    rows = session.exec(select(SecurityAlert).where(SecurityAlert.status == AlertStatus.CLOSED)
                        .order_by(SecurityAlert.closed_at.desc(), SecurityAlert.id).limit(min(limit, LISTED))).all()
    return [_view(row) for row in rows]


def get_alert(session: Session, actor: Actor | None, alert_id: object) -> AlertView:
    require(actor, Action.ADMINISTER_SECURITY)
    return _view(_alert(session, alert_id))


def acknowledge(session: Session, actor: Actor | None, alert_id: object) -> AlertView:
    """Someone is looking at it; it stays in the open list, and repeats still count on it."""
    actor = require(actor, Action.ADMINISTER_SECURITY)
    row = _alert(session, alert_id, for_update=True)
    if row.status == AlertStatus.OPEN:
        row.status, row.acknowledged_at, row.acknowledged_by = AlertStatus.ACKNOWLEDGED, utcnow(), actor.user_id
        session.add(row)
        audit.record_event(session, "security.alert_acknowledged", actor_id=actor.user_id, subject_id=row.id,
                           details={"rule": row.rule})
    return _view(row)


def close(session: Session, actor: Actor | None, alert_id: object) -> AlertView:
    """Done with it: the next time its rule fires for the same subject, a new alert opens (and is mailed)."""
    actor = require(actor, Action.ADMINISTER_SECURITY)
    row = _alert(session, alert_id, for_update=True)
    if row.status != AlertStatus.CLOSED:
        row.status, row.closed_at, row.open_key = AlertStatus.CLOSED, utcnow(), None
        session.add(row)
        audit.record_event(session, "security.alert_closed", actor_id=actor.user_id, subject_id=row.id,
                           details={"rule": row.rule})
    return _view(row)


def _alert(session: Session, alert_id: object, *, for_update: bool = False) -> SecurityAlert:
    row = session.get(SecurityAlert, alert_id, with_for_update=for_update) if is_row_id(alert_id) else None
    if row is None:
        raise NotFound("This alert does not exist.")
    return row


def _view(row: SecurityAlert) -> AlertView:
    rule = RULES.get(row.rule)
    return AlertView(id=row.id, rule=row.rule, title=rule.title if rule else row.rule, severity=row.severity,
                     status=row.status, opened_at=row.opened_at, last_seen_at=row.last_seen_at, summary=row.summary,
                     details=dict(row.details), subject_id=row.subject_id, user_ids=tuple(row.user_ids),
                     count=row.count, mailed=row.mailed, acknowledged_at=row.acknowledged_at,
                     acknowledged_by=row.acknowledged_by, closed_at=row.closed_at)


# -- opening alerts -------------------------------------------------------------------------------


def raise_alert(session: Session, rule: str, subject_id: str, summary: str, *, details: dict[str, Any] | None = None,
                user_ids: tuple[str, ...] | list[str] = ()) -> SecurityAlert:
    """Open the rule's alert for this subject, or count on the one already open; in the caller's transaction.

    A new alert is mailed to the security contact once the transaction commits."""
    details = dict(details or {})
    audit.check_no_personal_data({"summary": summary, "subject": subject_id, "details": details})
    open_key = f"{RULES[rule].name} {subject_id}"
    row = _open_alert(session, open_key)
    if row is None:
        try:
            with session.begin_nested():
                row = SecurityAlert(rule=rule, severity=RULES[rule].severity, summary=summary[:300], details=details,
                                    subject_id=subject_id[:64], user_ids=list(user_ids)[:USER_IDS_KEPT],
                                    open_key=open_key)
                session.add(row)
        except sa.exc.IntegrityError:  # the same rule fired for the same subject in another transaction just now
            row = None
        if row is not None:
            _mail_new_alert(session, row)
            return row
        row = _open_alert(session, open_key)
    row.count += 1
    row.last_seen_at, row.summary, row.details = utcnow(), summary[:300], {**row.details, **details}
    row.user_ids = list(dict.fromkeys([*row.user_ids, *user_ids]))[:USER_IDS_KEPT]
    session.add(row)
    return row


def _open_alert(session: Session, open_key: str) -> SecurityAlert | None:
    return session.exec(select(SecurityAlert).where(SecurityAlert.open_key == open_key).with_for_update()).first()


def _mail_new_alert(session: Session, row: SecurityAlert) -> None:
    settings = current_settings()
    if not settings.security_contact:
        return
    sent = security_counters.add(session, settings, "alert_mails", security_counters.unique_member(),
                                 MAIL_WINDOW_SECONDS)
    if sent > settings.detect_mails_per_hour:
        row.details = {**row.details, "mail": "not sent: too many alerts this hour"}
        return
    row.mailed = True
    mail = mail_templates.security_alert(settings, RULES[row.rule].title, row.severity, row.summary)
    to = settings.security_contact
    # After the answer, on the background thread: a failed sign-in must not wait for (or reveal) a mail.
    background.after_response(session, lambda _later: send_mail(settings, to, mail.subject, mail.text),
                              "security alert mail")


# -- rules: failed sign-ins -----------------------------------------------------------------------


def signin_failed(session: Session, *, user_id: str | None, account_index: str, address: str | None) -> None:
    """A refused sign-in (wrong password, unknown account, or throttled); ``account_index`` is the email's blind
    index (unknown accounts count too: credential stuffing tries addresses that have none)."""
    settings = current_settings()
    window = settings.detect_window_minutes * 60
    network = network_pseudonym(address)
    account = f"u:{user_id}" if user_id else f"x:{pseudonym('account', account_index)}"

    def count(key: str, member: str) -> int:
        return security_counters.add(session, settings, key, member, window)

    if user_id and count(f"signin_account:{user_id}", security_counters.unique_member()) \
            >= settings.detect_signin_account_failures:
        raise_alert(session, "signin_failures_account", user_id,
                    f"At least {settings.detect_signin_account_failures} failed sign-ins on one account within "
                    f"{settings.detect_window_minutes} minutes.", user_ids=[user_id],
                    details={"threshold": settings.detect_signin_account_failures})
    failures = count(f"signin_network:{network}", security_counters.unique_member())
    if failures >= settings.detect_signin_network_failures:
        raise_alert(session, "signin_failures_network", network,
                    f"{failures} failed sign-ins from one network within {settings.detect_window_minutes} minutes.",
                    details={"network": network, "failures": failures})
    accounts = count(f"stuffing_network:{network}", account)
    if accounts >= settings.detect_stuffing_network_accounts:
        _stuffing(session, settings, f"stuffing_network:{network}", network, accounts,
                  f"Failed sign-ins on {accounts} different accounts from one network within "
                  f"{settings.detect_window_minutes} minutes.")
    accounts = count("stuffing_all", account)
    if accounts >= settings.detect_stuffing_total_accounts:
        _stuffing(session, settings, "stuffing_all", "all", accounts,
                  f"Failed sign-ins on {accounts} different accounts within {settings.detect_window_minutes} "
                  "minutes, from any network.")


def _stuffing(session: Session, settings: Settings, key: str, subject: str, accounts: int, summary: str) -> None:
    listed = security_counters.members(session, settings, key, settings.detect_window_minutes * 60)
    user_ids = [member[2:] for member in listed if member.startswith("u:")]
    raise_alert(session, "credential_stuffing", subject, summary, user_ids=user_ids,
                details={"accounts": accounts, "known_accounts": len(user_ids),
                         **({"network": subject} if subject != "all" else {})})


# -- rules: downloads, integrity ------------------------------------------------------------------


def downloaded(session: Session, user_id: str, item_id: str, kind: str) -> None:
    """A person read a file or an export (``kind`` names which); distinct items count, so a player's many range
    requests for one video count once."""
    settings = current_settings()
    window = settings.detect_download_window_minutes * 60
    items = security_counters.add(session, settings, f"downloads:{user_id}", f"{kind}:{item_id}"[:64], window)
    if items >= settings.detect_downloads:
        raise_alert(session, "mass_downloads", user_id,
                    f"{items} different files or exports downloaded by one person within "
                    f"{settings.detect_download_window_minutes} minutes.", user_ids=[user_id],
                    details={"items": items, "last_kind": kind})


def integrity_failure(session: Session, component: str) -> None:
    """Sealed data that did not open, or a check that failed (``component`` is one of ``INTEGRITY_COMPONENTS``):
    altered rows or blobs, a wrong key, forged cookies or stored states."""
    if component not in INTEGRITY_COMPONENTS:
        raise ValueError(f"unknown integrity component {component!r}")
    settings = current_settings()
    failures = security_counters.add(session, settings, f"integrity:{component}", security_counters.unique_member(),
                                     settings.detect_window_minutes * 60)
    if failures >= settings.detect_integrity_failures:
        raise_alert(session, "integrity_failures", component,
                    f"{failures} decryption or integrity failures ({component.replace('_', ' ')}) within "
                    f"{settings.detect_window_minutes} minutes.", details={"component": component,
                                                                          "failures": failures})


def report_integrity_failure(component: str) -> None:
    """:func:`integrity_failure` from code without a database session (the state store, an async handler): recorded
    on the background thread, never blocking the caller."""
    background.soon(lambda session: integrity_failure(session, component), "integrity failure")


# -- rules: admins --------------------------------------------------------------------------------


def audit_event_recorded(session: Session, event: AuditEvent) -> None:
    """Called by ``audit.record_event`` for every event: the durable ones some rules watch."""
    change = ADMIN_ROLE_KINDS.get(event.kind)
    if change is None or event.subject_id is None:
        return
    by = {"by": event.actor_id} if event.actor_id else {}
    raise_alert(session, "admin_role_change", event.subject_id,
                f"The admin role was {change} for an account.", user_ids=[event.subject_id],
                details={"change": change, **by})


def signed_in(session: Session, user: User, client: ClientInfo) -> None:
    """An admin's sign-in from a device (browser and network, keyed-hashed) none of their earlier sign-ins used
    opens an alert. Their very first device is only remembered: there is nothing yet to compare it with."""
    if user.role != Role.ADMIN:
        return
    fingerprint = device_fingerprint(client)
    known = session.exec(select(KnownDevice).where(KnownDevice.user_id == user.id)).all()
    device = next((row for row in known if row.fingerprint == fingerprint), None)
    if device is not None:
        device.last_seen_at = utcnow()
        session.add(device)
        return
    session.add(KnownDevice(user_id=user.id, fingerprint=fingerprint))
    if known:
        raise_alert(session, "admin_new_device", user.id, "An admin account signed in from a device and network it "
                    "had not used before.", user_ids=[user.id], details={"known_devices": len(known)})


# -- rules: the audit chain -----------------------------------------------------------------------


def check_audit_chain(session: Session) -> audit.ChainReport:
    """The periodic job's check: a broken chain (an edited, inserted or deleted row) opens an alert."""
    report = audit.verify_chain(session)
    if not report.ok:
        raise_alert(session, "audit_chain_broken", "audit_log",
                    f"The audit log does not verify from event {report.first_broken_sequence} on: a past row was "
                    "altered, inserted or deleted.",
                    details={"first_broken_sequence": report.first_broken_sequence, "checked": report.checked})
    return report


def sweep(session: Session, settings: Settings) -> None:
    """Counts older than every window; devices unused for as long as technical data is kept."""
    longest = max(settings.detect_window_minutes, settings.detect_download_window_minutes) * 60
    security_counters.sweep(session, max(longest, MAIL_WINDOW_SECONDS))
    unused_since = utcnow() - timedelta(days=settings.technical_data_days)
    session.execute(sa.delete(KnownDevice).where(KnownDevice.last_seen_at < unused_since))


# -- pseudonyms -----------------------------------------------------------------------------------


def pseudonym(purpose: str, value: str) -> str:
    """16 hex characters standing for ``value``: keyed (an address's 2**32 values cannot be tried), stable across
    processes, and unrelated to the log pseudonyms and the blind indexes."""
    key = hmac.new(current_keys().index_key, f"studio detection {purpose}".encode(), hashlib.sha256).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:16]


def network_pseudonym(address: str | None) -> str:
    """The pseudonym of the address's network: an IPv4 /24 or an IPv6 /64 (what one subscriber usually holds),
    so an attacker moving through neighbouring addresses stays one subject."""
    try:
        ip = ipaddress.ip_address((address or "").strip().strip("[]"))
    except ValueError:
        return pseudonym("network", "unknown")
    prefix = 24 if ip.version == 4 else 64
    return pseudonym("network", str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False)))


_VERSION = re.compile(r"[\d._]+")


def device_fingerprint(client: ClientInfo) -> str:
    """Browser and network, keyed-hashed; version numbers are left out so a browser update is not a new device."""
    browser = _VERSION.sub("", client.user_agent or "")[:300]
    key = hmac.new(current_keys().index_key, b"studio detection device", hashlib.sha256).digest()
    return hmac.new(key, f"{browser}|{network_pseudonym(client.ip_address)}".encode(), hashlib.sha256).hexdigest()
