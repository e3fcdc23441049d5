"""The admin console's incidents: the list with each one's 72-hour clock, and one incident's page (timeline,
assessment, containment, report, notice, review). The services decide who may; the page only hides."""

from __future__ import annotations

import reflex as rx

from studio_app import routes
from studio_app.errors import NotFound, UserError
from studio_app.services import accounts, detection, incidents
from studio_app.services.incidents import IncidentDetail, IncidentSummary, clock_words
from studio_app.state.session import SessionMixin, user_action
from studio_app.state.thread import project_id_from_path


def summary_row(row: IncidentSummary) -> dict:
    return {"id": row.id, "title": row.title, "status": row.status, "link": routes.incident_page(row.id),
            "aware": row.aware_at.strftime("%d %b %Y %H:%M UTC"), "risk": row.risk_level or "not assessed",
            "people": str(row.affected_count), "clock": clock_words(row.clock, row.status),
            "urgent": row.status == "open" and not row.clock.reported}


def _list_and_alert(session, actor, alert_id: str):
    rows = incidents.list_incidents(session, actor)
    try:
        return rows, detection.get_alert(session, actor, alert_id) if alert_id else None
    except NotFound:  # a stale link: the form opens an incident by hand
        return rows, None


class AdminIncidentsState(SessionMixin, rx.State):
    allowed: bool = True
    rows: list[dict] = []
    # The alert the form opens an incident from (``?alert=<id>``, the alert page's button), else empty.
    alert: dict[str, str] = {}
    errors: dict[str, str] = {}

    @rx.event
    @user_action
    async def load(self):
        alert_id = self.router.url.query_parameters.get("alert", "")
        try:
            rows, alert = await self._call(_list_and_alert, alert_id)
        except UserError:  # not an admin
            self.allowed, self.rows, self.alert = False, [], {}
            return
        self.allowed = True
        self.rows = [summary_row(row) for row in rows]
        self.alert = {} if alert is None else {"id": alert.id, "title": alert.title, "summary": alert.summary,
                                               "people": str(len(alert.user_ids))}

    @rx.event
    @user_action(scope="open")
    async def open_incident(self, form: dict):
        incident_id = await self._call(incidents.open_incident, form.get("title"), form.get("nature"),
                                       form.get("aware_at") or None, alert_id=self.alert.get("id") or None)
        return rx.redirect(routes.incident_page(incident_id))


class IncidentState(SessionMixin, rx.State):
    allowed: bool = True
    incident_id: str = ""
    incident: dict = {}
    timeline: list[dict] = []
    people: list[dict] = []
    categories: list[list[str]] = []
    read_only: bool = False
    errors: dict[str, str] = {}
    notice: str = ""

    @rx.event
    @user_action
    async def load(self):
        self.incident_id, self.notice = project_id_from_path(self.router.url.path), ""
        self.categories = [list(choice) for choice in incidents.category_choices()]
        try:
            self._show(await self._call(incidents.incident_detail, self.incident_id))
        except UserError:
            self.allowed, self.incident = False, {}
            return
        self.allowed = True

    @rx.event
    @user_action(scope="password", fields=False)
    async def confirm_password(self, form: dict):
        await self._call(accounts.reauthenticate, str(form.get("password", "")))
        self.notice = "Password confirmed: containment is open for 10 minutes."

    async def _act(self, work, done: str) -> None:
        def act_and_read(session, actor):
            said = work(session, actor)
            return said, incidents.incident_detail(session, actor, self.incident_id)

        said, detail = await self._call(act_and_read)
        self._show(detail)
        self.notice = said if isinstance(said, str) else done

    @rx.event
    @user_action(scope="note", qualified=True)
    async def add_note(self, form: dict):
        await self._act(lambda s, a: incidents.add_note(s, a, self.incident_id, form.get("note")), "Added.")

    @rx.event
    @user_action(scope="assess", qualified=True)
    async def assess(self, form: dict):
        form = dict(form)
        form["categories"] = [value for value, _label in incidents.category_choices() if form.get(f"cat_{value}")]
        await self._act(lambda s, a: incidents.assess(s, a, self.incident_id, form) and None, "Assessment saved.")

    @rx.event
    @user_action(scope="contain", fields=False)
    async def contain(self, step: str):
        await self._act(lambda s, a: incidents.contain(s, a, self.incident_id, step), "Done.")

    @rx.event
    @user_action(scope="contain", fields=False)
    async def lift_read_only(self):
        await self._act(lambda s, a: incidents.lift_read_only(s, a, self.incident_id) and None,
                        "Read-only mode lifted.")

    @rx.event
    @user_action(scope="report", qualified=True)
    async def late_reason(self, form: dict):
        await self._act(lambda s, a: incidents.record_late_reason(s, a, self.incident_id, form.get("late_reason")),
                        "Reason recorded: the report can be produced.")

    @rx.event
    @user_action(scope="report", qualified=True)
    async def mark_reported(self):
        await self._act(lambda s, a: incidents.mark_reported(s, a, self.incident_id),
                        "Recorded: the report was sent to the authority.")

    @rx.event
    @user_action(scope="notice", qualified=True)
    async def write_notice(self, form: dict):
        await self._act(lambda s, a: incidents.write_notice(s, a, self.incident_id, dict(form)), "Notice saved.")

    @rx.event
    @user_action(scope="notice", qualified=True)
    async def send_notice(self):
        await self._act(lambda s, a: f"Notice sent to {incidents.send_notice(s, a, self.incident_id)} people.", "")

    @rx.event
    @user_action(scope="review", qualified=True)
    async def close(self, form: dict):
        await self._act(lambda s, a: incidents.close_incident(s, a, self.incident_id, dict(form)),
                        "Incident closed. It stays readable here.")

    def _show(self, detail: IncidentDetail) -> None:
        row = detail.incident
        self.read_only = detail.read_only
        self.incident = {
            "id": row.id, "title": row.title, "nature": row.nature, "status": row.status,
            "alert": routes.ADMIN_ALERTS + "?alert=" + row.alert_id if row.alert_id else "",
            "from_alert": bool(row.alert_id),
            "open": row.status == "open", "clock": clock_words(detail.clock, row.status),
            "urgent": row.status == "open" and not detail.clock.reported, "overdue": detail.clock.overdue,
            "deadline": detail.clock.deadline.strftime("%d %b %Y %H:%M UTC"),
            "aware": row.aware_at.strftime("%d %b %Y %H:%M UTC"),
            "assessed": row.assessed_at is not None, "people": str(row.affected_count),
            "records": str(row.records_estimate), "categories": ", ".join(row.categories) or "none yet",
            "risk": row.risk_level or "", "reasoning": row.risk_reasoning or "",
            "consequences": row.likely_consequences or "", "high": row.risk_level == "high",
            "late_reason": row.late_reason or "", "reported": detail.clock.reported,
            "notice_written": bool(row.notice_advice), "notified": row.notified_at is not None,
            "notice_nature": row.notice_nature or "", "notice_consequences": row.notice_consequences or "",
            "notice_measures": row.notice_measures or "", "notice_advice": row.notice_advice or "",
            "review_cause": row.review_cause or "", "review_fixes": row.review_fixes or "",
            "review_follow_ups": row.review_follow_ups or "",
            "json": routes.incident_report(row.id, "json"), "pdf": routes.incident_report(row.id, "pdf"),
        }
        self.timeline = [{"at": entry.at.strftime("%d %b %Y %H:%M:%S UTC"), "text": entry.text}
                         for entry in detail.timeline]
        self.people = [{"id": person.user_id[:8], "email": person.email_status or "not sent",
                        "in_app": "delivered" if person.in_app else "not sent"} for person in detail.people]
