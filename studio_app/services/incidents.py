"""Breach response: an admin opens an incident (by hand or from a detection alert), assesses it, contains it,
reports it to the authority within 72 hours of awareness, notifies the affected people when the risk is high,
and closes it with a post-incident review. Every step is a line of the incident's append-only timeline and an
audit event.

The rules followed are GDPR articles 33 (report to the authority: what, when, late reasons) and 34 (the notice to
the people: plain words, nature, contact, consequences, measures; not needed when the data was encrypted and the
keys are safe): https://eur-lex.europa.eu/eli/reg/2016/679/oj (art. 33, 34).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from studio_app.database import after_commit, get_engine, session_scope
from studio_app.errors import NotFound, UserError
from studio_app.integrations.mail import MailError, send_mail
from studio_app.models.accounts import User, UserSession
from studio_app.models.base import is_row_id, utcnow
from studio_app.models.connections import ConnectedAccount, Provider
from studio_app.models.incidents import Incident, IncidentEvent, IncidentPerson, IncidentStatus, RiskLevel
from studio_app.models.projects import ProjectMember
from studio_app.models.security import SecurityAlert
from studio_app.security import read_only
from studio_app.security.blind_index import email_index
from studio_app.security.keyring import KeyRingError, current_keys
from studio_app.security.personal_data import Category, personal_fields
from studio_app.security.policy import Action, Actor, require
from studio_app.services import (
    accounts,
    admin_users,
    audit,
    connections,
    detection,
    mail_templates,
    mailing,
    notifications,
    sessions,
)
from studio_app.services.key_rotation import rewrap_all_data_keys
from studio_app.services.validation import InvalidInput, check_line
from studio_app.settings import Settings, current_settings

AUTHORITY_DEADLINE = timedelta(hours=72)  # GDPR art. 33(1)
MAX_TEXT = 4000
MAX_LISTED = 1000
LIST_LIMIT = 200
TIMELINE_LIMIT = 500
RULES = {
    "signed_in_between": "Everyone who signed in between two moments",
    "project_members": "The members of a project",
    "connection": "Everyone with a connected account of a provider",
    "everyone": "Every account",
    "list": "A list of email addresses",
    "alert": "The accounts of the detection alert",
}
CATEGORY_WORDS = {
    Category.IDENTITY: "Identity (names)", Category.CONTACT: "Contact details (email addresses)",
    Category.CREDENTIALS: "Credentials (password hashes, provider tokens)",
    Category.TECHNICAL: "Technical data (IP addresses, browsers)",
    Category.THIRD_PARTY_IDS: "Third-party identifiers (Discord, TikTok)",
    Category.CONTENT: "Content (messages, briefs)",
    Category.FILES: "Files (videos, rushes)", Category.PREFERENCES: "Preferences and consents",
    Category.REQUESTS: "Privacy requests",
}
CONTAINMENT = {
    "end_sessions": "Ended the sessions of the affected people",
    "revoke_tokens": "Revoked the provider tokens of the affected people",
    "rotate_key": "Rotated the master key",
    "suspend": "Suspended the accounts of the affected people",
    "read_only": "Put the studio in read-only mode",
}


@dataclasses.dataclass(frozen=True)
class Clock:
    """The 72-hour clock to the authority: its deadline, and whether the report is made or overdue."""

    deadline: datetime
    reported: bool
    overdue: bool

    @property
    def hours_left(self) -> int:
        return max(0, int((self.deadline - utcnow()).total_seconds() // 3600))


@dataclasses.dataclass(frozen=True)
class IncidentSummary:
    id: str
    title: str
    status: str
    opened_at: datetime
    aware_at: datetime
    risk_level: str | None
    affected_count: int
    clock: Clock


@dataclasses.dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    text: str


@dataclasses.dataclass(frozen=True)
class PersonStatus:
    user_id: str
    email_status: str | None
    in_app: bool


@dataclasses.dataclass(frozen=True)
class IncidentDetail:
    incident: Incident
    clock: Clock
    timeline: tuple[TimelineEntry, ...]
    people: tuple[PersonStatus, ...]
    read_only: bool


def clock_of(incident: Incident) -> Clock:
    deadline = incident.aware_at + AUTHORITY_DEADLINE
    reported_at = incident.reported_at
    overdue = (reported_at or utcnow()) > deadline
    return Clock(deadline=deadline, reported=reported_at is not None, overdue=overdue)


@sa.event.listens_for(IncidentEvent, "before_update")
@sa.event.listens_for(IncidentEvent, "before_delete")
def _append_only(*_args) -> None:
    raise TypeError("an incident's timeline is append-only: add a line instead")


def clock_words(clock: Clock, status: str = "open") -> str:
    """The clock in words, wherever an incident appears (list, page, the console's header badge)."""
    if clock.reported:
        return "Reported to the authority" + (" (late)" if clock.overdue else "")
    if status != "open":
        return "Closed without a report"
    if clock.overdue:
        return "Report to the authority overdue"
    return f"{clock.hours_left} h left to report to the authority"


# -- reading -----------------------------------------------------------------------------------------------------


def list_incidents(session: Session, actor: Actor | None) -> list[IncidentSummary]:
    """Open incidents first (nearest deadline first), then closed ones, newest first; closed ones stay readable."""
    _authorize(session, actor)
    rows = session.exec(select(Incident).order_by(Incident.status.desc(), Incident.aware_at.desc())
                        .limit(LIST_LIMIT)).all()
    return sorted((_summary(row) for row in rows), key=_list_order)


def _list_order(row: IncidentSummary) -> tuple[int, float]:
    if row.status == IncidentStatus.OPEN:
        return 0, row.clock.deadline.timestamp()
    return 1, -row.aware_at.timestamp()


def _summary(row: Incident) -> IncidentSummary:
    return IncidentSummary(id=row.id, title=row.title, status=row.status, opened_at=row.opened_at,
                           aware_at=row.aware_at, risk_level=row.risk_level, affected_count=row.affected_count,
                           clock=clock_of(row))


def pending_clock(session: Session, actor: Actor | None) -> IncidentSummary | None:
    """For the console's header badge: the open incident whose report to the authority is due first, if any
    report is still to be made."""
    if actor is None or not actor.is_admin:
        return None
    row = session.exec(select(Incident).where(Incident.status == IncidentStatus.OPEN, Incident.reported_at.is_(None))
                       .order_by(Incident.aware_at).limit(1)).first()
    return None if row is None else _summary(row)


def incident_detail(session: Session, actor: Actor | None, incident_id: object) -> IncidentDetail:
    _authorize(session, actor)
    incident = _incident(session, incident_id)
    events = session.exec(select(IncidentEvent).where(IncidentEvent.incident_id == incident.id)
                          .order_by(IncidentEvent.at, IncidentEvent.id).limit(TIMELINE_LIMIT)).all()
    people = session.exec(select(IncidentPerson).where(IncidentPerson.incident_id == incident.id)
                          .order_by(IncidentPerson.user_id).limit(MAX_LISTED)).all()
    return IncidentDetail(
        incident=incident, clock=clock_of(incident),
        timeline=tuple(TimelineEntry(event.at, event.kind, event.text) for event in events),
        people=tuple(PersonStatus(person.user_id, person.email_status, person.in_app_at is not None)
                     for person in people),
        read_only=read_only.read_only_flag(session) is not None,
    )


def category_choices() -> list[tuple[str, str]]:
    """The categories of the personal-data register (those some column holds), in its order."""
    held = dict.fromkeys(field.category for field in personal_fields())
    return [(str(category), CATEGORY_WORDS.get(category, str(category))) for category in held]


# -- opening and assessing ---------------------------------------------------------------------------------------


def open_incident(session: Session, actor: Actor | None, title: object, nature: object, aware_at: object = None,
                  *, alert_id: object = None) -> str:
    """Opens an incident; ``aware_at`` (when the studio became aware, default now) starts the 72-hour clock.
    From a detection alert, ``alert_id`` links it: its opening time is the moment of awareness by default, its
    accounts are the first list of affected people, and the alert is acknowledged (the incident handles it now;
    repeats still count on it until the incident closes, which closes it)."""
    actor = _authorize(session, actor)
    title = check_line(title, field="title", max_length=200, missing="Give the incident a short title.")
    nature = _text(nature, "nature", "Say what happened, as far as you know.")
    aware = _moment(aware_at, "aware_at") if aware_at else None
    alert = detection.get_alert(session, actor, alert_id) if alert_id else None
    if alert is not None:
        aware = aware or alert.opened_at
    aware = aware or utcnow()
    if aware > utcnow() + timedelta(minutes=5):
        raise InvalidInput("aware_at", "The moment of awareness cannot be in the future.")
    incident = Incident(title=title, nature=nature, opened_by=actor.user_id, aware_at=aware,
                        alert_id=alert.id if alert else None)
    session.add(incident)
    session.flush()
    if alert is None:
        _record(session, actor, incident, "opened", f"Incident opened by hand. Aware since {_when(aware)}.")
        return incident.id
    rule = {"kind": "alert", "alert_id": alert.id}
    people = _resolve(session, rule)
    _set_people(session, incident, people)
    incident.affected_rule, incident.affected_count = rule, len(people)
    session.add(incident)
    detection.acknowledge(session, actor, alert.id)
    _record(session, actor, incident, "opened",
            f"Incident opened from the detection alert “{alert.title}” ({len(people)} accounts concerned; the alert "
            f"is acknowledged). Aware since {_when(aware)}.")
    return incident.id


def add_note(session: Session, actor: Actor | None, incident_id: object, text: object) -> None:
    actor = _authorize(session, actor)
    incident = _open_incident(session, incident_id)
    _record(session, actor, incident, "note", _text(text, "note", "Write what was done or learned."))


def assess(session: Session, actor: Actor | None, incident_id: object, form: dict[str, Any]) -> int:
    """Records the assessment: who is affected (by rule or by list), the data categories, whether the data was
    encrypted and its keys safe, the risk level with its reasoning. Returns how many people are affected."""
    actor = _authorize(session, actor)
    incident = _open_incident(session, incident_id)
    if not isinstance(form, dict):
        raise InvalidInput("form", "Fill in the assessment.")
    categories = form.get("categories")
    categories = [categories] if isinstance(categories, str) else categories
    known = {value for value, _label in category_choices()}
    if not isinstance(categories, list) or not categories or not set(categories) <= known:
        raise InvalidInput("categories", "Choose the categories of data concerned.")
    risk = form.get("risk_level")
    if risk not in tuple(RiskLevel):
        raise InvalidInput("risk_level", "Choose the level of risk to the people.")
    reasoning = _text(form.get("risk_reasoning"), "risk_reasoning", "Say why you chose this level of risk.")
    consequences = _text(form.get("likely_consequences"), "likely_consequences",
                         "Say what could happen to the people concerned.")
    proposed = _optional_text(form.get("measures_proposed"), "measures_proposed")
    encrypted, keys_safe = _yes_no(form.get("data_encrypted"), "data_encrypted"), _yes_no(form.get("keys_safe"),
                                                                                      "keys_safe")
    rule = _rule(form, incident)
    if incident.notified_at is not None and rule != incident.affected_rule:
        raise UserError("The affected people were already notified: their list cannot change any more. Open a new "
                        "incident for the others.", "rule")
    user_ids = _resolve(session, rule)
    if incident.notified_at is None:
        _set_people(session, incident, user_ids)
    incident.affected_rule, incident.affected_count = rule, len(user_ids)
    incident.categories = sorted(set(categories), key=[value for value, _ in category_choices()].index)
    incident.records_estimate = _records(session, incident.id, incident.categories, len(user_ids))
    incident.data_encrypted, incident.keys_safe, incident.risk_level = encrypted, keys_safe, risk
    incident.risk_reasoning, incident.likely_consequences, incident.measures_proposed = reasoning, consequences, \
        proposed
    incident.assessed_at = utcnow()
    session.add(incident)
    _record(session, actor, incident, "assessed",
            f"Assessed: {len(user_ids)} people affected ({_describe_rule(rule)}), about {incident.records_estimate} "
            f"records; categories: {', '.join(incident.categories)}; risk {risk}.")
    return len(user_ids)


def _set_people(session: Session, incident: Incident, user_ids: list[str]) -> None:
    session.execute(sa.delete(IncidentPerson).where(IncidentPerson.incident_id == incident.id))
    if user_ids:
        session.execute(sa.insert(IncidentPerson), [{"incident_id": incident.id, "user_id": user_id}
                                                     for user_id in user_ids])


def _rule(form: dict[str, Any], incident: Incident) -> dict[str, Any]:
    kind = form.get("rule")
    if kind not in RULES:
        raise InvalidInput("rule", "Choose who is affected.")
    if kind == "alert":
        if not incident.alert_id:
            raise InvalidInput("rule", "This incident was not opened from an alert: choose another rule.")
        return {"kind": kind, "alert_id": incident.alert_id}
    if kind == "signed_in_between":
        start, end = _moment(form.get("from"), "from"), _moment(form.get("until"), "until")
        if end <= start:
            raise InvalidInput("until", "The end must come after the start.")
        return {"kind": kind, "from": start.isoformat(), "until": end.isoformat()}
    if kind == "project_members":
        project_id = str(form.get("project_id", "")).strip().rsplit("/", 1)[-1]
        if not is_row_id(project_id):
            raise InvalidInput("project_id", "Give the project's id (the last part of its address).")
        return {"kind": kind, "project_id": project_id}
    if kind == "connection":
        if form.get("provider") not in tuple(Provider):
            raise InvalidInput("provider", "Choose Discord or TikTok.")
        return {"kind": kind, "provider": str(form["provider"])}
    if kind == "list":
        emails = [line.strip() for line in str(form.get("emails", "")).replace(",", "\n").splitlines() if line.strip()]
        if not emails:
            raise InvalidInput("emails", "Give at least one email address, one a line.")
        if len(emails) > MAX_LISTED:
            raise InvalidInput("emails", f"Give at most {MAX_LISTED} addresses; use a rule for more.")
        # Only blind indexes are kept: the list itself would be a new copy of the addresses.
        index_key = current_keys().index_key
        return {"kind": kind, "email_indexes": sorted({email_index(index_key, email) for email in emails}),
                "given": len(emails)}
    return {"kind": kind}


def _resolve(session: Session, rule: dict[str, Any]) -> list[str]:
    kind = rule["kind"]
    if kind == "signed_in_between":
        query = select(UserSession.user_id).where(UserSession.created_at >= datetime.fromisoformat(rule["from"]),
                                                  UserSession.created_at <= datetime.fromisoformat(rule["until"]))
    elif kind == "project_members":
        query = select(ProjectMember.user_id).where(ProjectMember.project_id == rule["project_id"])
    elif kind == "connection":
        query = select(ConnectedAccount.user_id).where(ConnectedAccount.provider == rule["provider"])
    elif kind == "list":
        query = select(User.id).where(User.email_index.in_(rule["email_indexes"]))
    elif kind == "alert":
        alert = session.get(SecurityAlert, rule["alert_id"])
        # Accounts erased since the alert fired are no longer anyone to contain or notify.
        query = select(User.id).where(User.id.in_(list(alert.user_ids) if alert else []))
    else:
        query = select(User.id)
    return sorted(set(session.exec(query.distinct()).all()))


def _describe_rule(rule: dict[str, Any]) -> str:
    kind = rule.get("kind", "")
    if kind == "signed_in_between":
        return f"signed in between {_when(datetime.fromisoformat(rule['from']))} and " \
               f"{_when(datetime.fromisoformat(rule['until']))}"
    if kind == "project_members":
        return f"members of project {rule['project_id']}"
    if kind == "connection":
        return f"with a {rule['provider'].capitalize()} connection"
    if kind == "list":
        return f"a list of {rule['given']} addresses"
    if kind == "alert":
        return "the accounts of the detection alert"
    return RULES.get(kind, "not chosen yet").lower()


def _records(session: Session, incident_id: str, categories: list[str], people: int) -> int:
    """Approximate records: the rows of the affected people in the tables holding the chosen categories."""
    affected = select(IncidentPerson.user_id).where(IncidentPerson.incident_id == incident_id)
    tables = {field.table for field in personal_fields() if field.category in categories}
    total = 0
    for name in sorted(tables):
        table = SQLModel.metadata.tables.get(name)
        if name == User.__tablename__:
            total += people
        elif table is not None and "user_id" in table.c:
            total += session.execute(select(sa.func.count()).select_from(table)
                                     .where(table.c.user_id.in_(affected))).scalar_one()
    return total


# -- containment -------------------------------------------------------------------------------------------------


def contain(session: Session, actor: Actor | None, incident_id: object, step: object) -> str:
    """One containment step, recorded in the timeline; returns what was done, in words. Each acts on many
    accounts or on everyone at once, so like the people console's sensitive actions it needs the admin's password
    entered again in the last minutes (``accounts.reauthenticate``)."""
    actor = _authorize(session, actor)
    incident = _open_incident(session, incident_id)
    accounts.require_recent_reauthentication(session, actor)
    if step not in CONTAINMENT:
        raise InvalidInput("step", "Choose a containment step.")
    if step == "read_only":
        changed = read_only.set_read_only(session, on=True, reason=f"Incident: {incident.title}",
                                          actor_id=actor.user_id, incident_id=incident.id)
        outcome = "The studio is now read-only." if changed else "The studio was already read-only."
    elif step == "rotate_key":
        outcome = _rotate_master_key()
    else:
        people = _people(session, incident.id)
        if not people:
            raise UserError("Assess the incident first: nobody is listed as affected.", "step")
        outcome = STEPS[str(step)](session, actor, people)
    _record(session, actor, incident, f"contain.{step}", f"{CONTAINMENT[str(step)]}: {outcome}")
    return outcome


def _end_sessions(session: Session, actor: Actor, people: list[str]) -> str:
    ended = sum(sessions.revoke_all_sessions(session, user_id, actor_id=actor.user_id) for user_id in people)
    return f"{ended} sessions of {len(people)} people ended."


def _revoke_tokens(session: Session, actor: Actor, people: list[str]) -> str:
    revoked = failed = 0
    for user_id in people:
        for ok in connections.revoke_all(session, user_id):
            revoked, failed = revoked + ok, failed + (not ok)
    unreached = f"; {failed} could not be revoked at the provider (our copies are deleted)" if failed else ""
    return f"{revoked + failed} connected accounts disconnected{unreached}."


def _suspend(session: Session, actor: Actor, people: list[str]) -> str:
    count = admin_users.suspend_users(session, actor, people, "Security incident: containment")
    return f"{count} accounts suspended."


STEPS: dict[str, Callable[[Session, Actor, list[str]], str]] = {
    "end_sessions": _end_sessions, "revoke_tokens": _revoke_tokens, "suspend": _suspend,
}


def _rotate_master_key() -> str:
    keyring = current_keys().keyring
    try:
        added = keyring.add_key().key_id
    except KeyRingError:
        added = None  # keys from STUDIO_MASTER_KEYS: the operator adds one and restarts; re-wrapping still helps

    def own_session() -> Session:
        # Its own commits, batch by batch, as the CLI's ``keys rotate`` does; allowed while read-only.
        session = Session(get_engine())
        read_only.exempt(session)
        return session

    count = rewrap_all_data_keys(own_session, keyring)
    if added is None:
        return (f"master keys come from STUDIO_MASTER_KEYS, so no key was added: append a new one there and restart, "
                f"then rotate again. {count} data keys re-wrapped under {keyring.active_key_id}.")
    return f"new master key {added}; {count} data keys re-wrapped under it. Restart the app to renew its sealed tabs."


def lift_read_only(session: Session, actor: Actor | None, incident_id: object = None) -> bool:
    """Admins lift read-only mode (from the incident that set it, or any page that shows the banner)."""
    actor = _authorize(session, actor)
    changed = read_only.set_read_only(session, on=False, reason="", actor_id=actor.user_id, incident_id=None)
    if incident_id:
        incident = _incident(session, incident_id)
        _record(session, actor, incident, "read_only_lifted",
                "Lifted read-only mode: the studio accepts changes again.")
    elif changed:
        audit.record_event(session, "incident.read_only_lifted", actor_id=actor.user_id)
    return changed


def read_only_notice(session: Session) -> str:
    """What the banner says while the studio is read-only ("" otherwise)."""
    return read_only.MESSAGE if read_only.read_only_flag(session) is not None else ""


# -- the authority report ----------------------------------------------------------------------------------------


def record_late_reason(session: Session, actor: Actor | None, incident_id: object, reason: object) -> None:
    actor = _authorize(session, actor)
    incident = _incident(session, incident_id)
    incident.late_reason = _text(reason, "late_reason", "Say why the report comes after 72 hours.")
    session.add(incident)
    _record(session, actor, incident, "late_reason", "Wrote why the report to the authority is late.")


def authority_report(session: Session, actor: Actor | None, incident_id: object) -> dict[str, Any]:
    """The report to the data protection authority (art. 33(3)), as data. Past 72 hours it needs the late
    reasons first (art. 33(1))."""
    actor = _authorize(session, actor)
    incident = _incident(session, incident_id)
    if incident.assessed_at is None:
        raise UserError("Assess the incident first: the report needs the people, data and risk concerned.")
    clock = clock_of(incident)
    if clock.overdue and not incident.late_reason:
        raise UserError("More than 72 hours have passed since awareness: write why the report is late first.",
                        "late_reason")
    settings = current_settings()
    taken = session.exec(select(IncidentEvent).where(IncidentEvent.incident_id == incident.id,
                                                     IncidentEvent.kind.startswith("contain."))
                         .order_by(IncidentEvent.at).limit(TIMELINE_LIMIT)).all()
    labels = dict(category_choices())
    return {
        "incident": {"id": incident.id, "title": incident.title, "status": incident.status},
        "controller": {"name": "Azekia Studio", "contact_point": settings.privacy_contact,
                       "data_protection_officer": settings.dpo_contact},
        "nature": incident.nature,
        "became_aware_at": incident.aware_at.isoformat(),
        "opened_at": incident.opened_at.isoformat(),
        "deadline": clock.deadline.isoformat(),
        "report_made_at": utcnow().isoformat(),
        "categories_of_data": [labels.get(category, category) for category in incident.categories],
        "approximate_number_of_people": incident.affected_count,
        "approximate_number_of_records": incident.records_estimate,
        "data_encrypted": incident.data_encrypted,
        "keys_safe": incident.keys_safe,
        "risk_level": incident.risk_level,
        "risk_reasoning": incident.risk_reasoning,
        "likely_consequences": incident.likely_consequences,
        "measures_taken": [{"at": event.at.isoformat(), "measure": event.text} for event in taken],
        "measures_proposed": incident.measures_proposed or "",
        "people_notified_at": incident.notified_at.isoformat() if incident.notified_at else None,
        "late": clock.overdue,
        "late_reasons": incident.late_reason if clock.overdue else None,
    }


def mark_reported(session: Session, actor: Actor | None, incident_id: object) -> None:
    """The report was sent to the authority: the clock stops (the report itself checks the late reasons)."""
    authority_report(session, actor, incident_id)
    incident = _incident(session, incident_id)
    incident.reported_at = utcnow()
    session.add(incident)
    _record(session, actor, incident, "reported", "Reported to the data protection authority.")


def report_downloaded(session: Session, actor: Actor | None, incident_id: object, fmt: str) -> dict[str, Any]:
    report = authority_report(session, actor, incident_id)
    _record(session, actor, _incident(session, incident_id), "report", f"Produced the authority report ({fmt}).")
    return report


# -- the notice to the people ------------------------------------------------------------------------------------


def write_notice(session: Session, actor: Actor | None, incident_id: object, form: dict[str, Any]) -> None:
    """The notice the affected people receive, in plain words; it can be edited until it is sent, once."""
    actor = _authorize(session, actor)
    incident = _open_incident(session, incident_id)
    if incident.notified_at is not None:
        raise UserError("The notice was already sent: it cannot change any more.")
    if incident.risk_level != RiskLevel.HIGH:
        raise UserError("People are notified when the risk to them is high: assess the risk as high first.")
    form = form if isinstance(form, dict) else {}
    incident.notice_nature = _text(form.get("notice_nature"), "notice_nature", "Say what happened, in plain words.")
    incident.notice_consequences = _text(form.get("notice_consequences"), "notice_consequences",
                                         "Say what could happen to them.")
    incident.notice_measures = _text(form.get("notice_measures"), "notice_measures", "Say what the studio did.")
    incident.notice_advice = _text(form.get("notice_advice"), "notice_advice", "Say what they should do.")
    session.add(incident)
    _record(session, actor, incident, "notice_written", "Wrote the notice to the affected people.")


def send_notice(session: Session, actor: Actor | None, incident_id: object, *, settings: Settings | None = None
                ) -> int:
    """Sends the notice to exactly the affected people, by email and in the app, once; each person's delivery is
    recorded. Returns how many people it goes to."""
    actor = _authorize(session, actor)
    incident = _open_incident(session, incident_id)
    settings = settings or current_settings()
    if incident.notified_at is not None:
        raise UserError("The notice was already sent.")
    if incident.risk_level != RiskLevel.HIGH or not incident.notice_advice:
        raise UserError("Write the notice first (it is sent when the risk is high).")
    people = _people(session, incident.id)
    if not people:
        raise UserError("Nobody is listed as affected: assess the incident first.")
    now = utcnow()
    notifications.notify(session, user_ids=people, kind="incident_notice", subject_id=incident.id)
    found = mailing.recipients(session, people)
    reachable = {person.user_id for person in found}
    session.execute(sa.update(IncidentPerson).where(IncidentPerson.incident_id == incident.id)
                    .values(in_app_at=now, email_status="pending"))
    if len(reachable) < len(people):
        session.execute(sa.update(IncidentPerson).where(IncidentPerson.incident_id == incident.id,
                                                        IncidentPerson.user_id.not_in(reachable))
                        .values(email_status="no_address"))
    incident.notified_at = now
    session.add(incident)
    mail = mail_templates.incident_notice(settings, incident.notice_nature, incident.notice_consequences,
                                          incident.notice_measures, incident.notice_advice)
    _record(session, actor, incident, "notified",
            f"Sent the notice to the {len(people)} affected people (email and in the app).")
    after_commit(session, lambda: _deliver(settings, incident.id, [(p.user_id, p.email) for p in found], mail))
    return len(people)


def _deliver(settings: Settings, incident_id: str, people: list[tuple[str, str]], mail) -> None:
    outcome: dict[str, str] = {}
    for user_id, email in people:
        try:
            send_mail(settings, email, mail.subject, mail.text)
        except MailError:
            outcome[user_id] = "failed"
        else:
            outcome[user_id] = "sent"
    with session_scope() as session:
        read_only.exempt(session)
        for status in ("sent", "failed"):
            ids = [user_id for user_id, result in outcome.items() if result == status]
            if ids:
                session.execute(sa.update(IncidentPerson).where(IncidentPerson.incident_id == incident_id,
                                                                IncidentPerson.user_id.in_(ids))
                                .values(email_status=status, emailed_at=utcnow() if status == "sent" else None))


# -- closing -----------------------------------------------------------------------------------------------------


def close_incident(session: Session, actor: Actor | None, incident_id: object, form: dict[str, Any]) -> None:
    """Closing needs the post-incident review: cause, fixes, follow-ups. A closed incident stays readable."""
    actor = _authorize(session, actor)
    incident = _open_incident(session, incident_id)
    form = form if isinstance(form, dict) else {}
    incident.review_cause = _text(form.get("review_cause"), "review_cause", "Say what caused the incident.")
    incident.review_fixes = _text(form.get("review_fixes"), "review_fixes", "Say what was fixed.")
    incident.review_follow_ups = _text(form.get("review_follow_ups"), "review_follow_ups",
                                       "Say what follows (or write that nothing does).")
    incident.status, incident.closed_at, incident.closed_by = IncidentStatus.CLOSED, utcnow(), actor.user_id
    session.add(incident)
    _record(session, actor, incident, "closed", "Closed after the post-incident review.")
    if incident.alert_id:
            detection.close(session, actor, incident.alert_id)


# -- helpers -----------------------------------------------------------------------------------------------------


def _authorize(session: Session, actor: Actor | None) -> Actor:
    actor = require(actor, Action.HANDLE_INCIDENTS)
    read_only.exempt(session)  # breach response goes on while the studio is read-only
    return actor


def _incident(session: Session, incident_id: object) -> Incident:
    incident = session.get(Incident, incident_id) if is_row_id(incident_id) else None
    if incident is None:
        raise NotFound("This incident does not exist.")
    return incident


def _open_incident(session: Session, incident_id: object) -> Incident:
    incident = _incident(session, incident_id)
    if incident.status != IncidentStatus.OPEN:
        raise UserError("This incident is closed: it can be read, not changed.")
    return incident


def _people(session: Session, incident_id: str) -> list[str]:
    return list(session.exec(select(IncidentPerson.user_id).where(IncidentPerson.incident_id == incident_id)).all())


def _record(session: Session, actor: Actor, incident: Incident, kind: str, text: str) -> None:
    session.add(IncidentEvent(incident_id=incident.id, actor_id=actor.user_id, kind=kind, text=text, at=utcnow()))
    audit.record_event(session, f"incident.{kind}"[:64], actor_id=actor.user_id, subject_id=incident.id)


def _text(value: object, field: str, missing: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(field, missing)
    if len(value) > MAX_TEXT:
        raise InvalidInput(field, f"Use at most {MAX_TEXT} characters.")
    return value.strip()


def _optional_text(value: object, field: str) -> str | None:
    return _text(value, field, "") if isinstance(value, str) and value.strip() else None


def _yes_no(value: object, field: str) -> bool:
    if value not in ("yes", "no"):
        raise InvalidInput(field, "Answer yes or no.")
    return value == "yes"


def _moment(value: object, field: str) -> datetime:
    """A moment from a form (``2026-11-30T17:45``, taken as UTC) or an aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(field, "Give a date and time.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%d %b %Y %H:%M UTC")
