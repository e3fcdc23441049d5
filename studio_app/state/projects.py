"""Dashboard, project list and creation, the project page (brief, stage, milestones, members,
invitations, timeline) and the invitations inbox: thin handlers over the project services."""

from __future__ import annotations

import reflex as rx

from studio_app import routes
from studio_app.security.policy import EDITOR_STAGE_MOVES, NotAllowed
from studio_app.services import dashboards, invitations, projects
from studio_app.services.people import initials
from studio_app.services.validation import InvalidInput
from studio_app.settings import current_settings
from studio_app.state.live import project_channel, push_later
from studio_app.state.session import SessionMixin, in_transaction
from studio_app.state.thread import project_id_from_path

STAGE_LABELS = {
    "brief": "Brief", "derush": "Derush", "editing": "Editing", "review": "Review", "approved": "Approved",
    "scheduled": "Scheduled", "published": "Published", "cancelled": "Cancelled", "archived": "Archived",
}
FORMAT_LABELS = {"vertical_9_16": "Vertical 9:16", "horizontal_16_9": "Horizontal 16:9", "square_1_1": "Square 1:1"}
TIMELINE_TEXT = {
    "project.created": "created the project",
    "project.stage_changed": "moved the project to",
    "project.changes_requested": "requested changes: back to",
    "project.brief_updated": "updated the brief",
}


def _day(value) -> str:
    return value.strftime("%d %b %Y") if value else ""


def project_row(summary) -> dict:
    return {"id": summary.id, "title": summary.title, "stage": summary.stage,
            "stage_label": STAGE_LABELS.get(summary.stage, summary.stage), "deadline": _day(summary.deadline),
            "role": summary.my_role, "link": routes.project_page(summary.id)}


def milestone_row(view) -> dict:
    return {"id": view.id, "title": view.title, "due": _day(view.due_on), "owner": view.owner_name,
            "done": view.done, "overdue": view.overdue, "project_link": routes.project_page(view.project_id)}


def _problem(error: Exception) -> str:
    return getattr(error, "message", None) or str(error)


class DashboardState(SessionMixin, rx.State):
    role: str = ""
    stage_counts: list[dict] = []
    deadlines: list[dict] = []
    milestones: list[dict] = []
    assigned: list[dict] = []
    changes_requested: list[dict] = []
    invitations: list[dict] = []
    invitations_sent: int = 0
    unread_messages: int = 0
    versions_awaiting_review: int = 0
    loaded: bool = False

    @rx.event
    async def load(self):
        actor = await self._actor()
        if actor is None:
            self.loaded = False
            return self._to_sign_in()
        self.role = actor.role.value
        if self.role == "editor":
            board = await in_transaction(dashboards.editor_dashboard, actor)
            self.assigned = [project_row(row) for row in board.assigned_projects]
            self.changes_requested = [project_row(row) for row in board.changes_requested]
            self.invitations = [invitation_row(row) for row in board.invitations]
        else:
            board = await in_transaction(dashboards.producer_dashboard, actor)
            self.stage_counts = [{"stage": STAGE_LABELS[stage], "count": count}
                                 for stage, count in board.projects_by_stage.items() if count]
            self.milestones = [milestone_row(row) for row in board.next_milestones]
            self.invitations_sent = board.pending_invitations_sent
            self.versions_awaiting_review = board.versions_awaiting_review
        self.deadlines = [project_row(row) for row in board.next_deadlines]
        self.unread_messages = board.unread_messages
        self.loaded = True


def invitation_row(received) -> dict:
    return {"id": received.id, "project": received.project_title, "from": received.inviter_name,
            "expires": _day(received.expires_at)}


class ProjectListState(SessionMixin, rx.State):
    rows: list[dict] = []
    loaded: bool = False
    errors: dict[str, str] = {}
    creating: bool = False

    @rx.event
    async def load(self):
        actor = await self._actor()
        if actor is None:
            return self._to_sign_in()
        self.rows = [project_row(row) for row in await in_transaction(projects.list_my_projects, actor)]
        self.loaded, self.errors = True, {}

    @rx.event
    async def create(self, form: dict):
        actor = await self._actor()
        if actor is None:
            yield self._to_sign_in()
            return
        self.creating, self.errors = True, {}
        yield
        platforms = [name for name in projects.PLATFORMS if form.get(f"platform_{name}") == "on"]
        try:
            view = await in_transaction(
                lambda session: projects.create_project(
                    session, actor, title=str(form.get("title", "")), brief_markdown=str(form.get("brief", "")),
                    platforms=platforms, video_format=str(form.get("video_format", "")),
                    deadline=str(form.get("deadline") or "") or None))
        except InvalidInput as invalid:
            self.errors = {invalid.field: invalid.message}
        except NotAllowed as error:
            self.errors = {"form": str(error)}
        else:
            yield rx.redirect(routes.project_page(view.id))
        finally:
            self.creating = False


class ProjectState(SessionMixin, rx.State):
    """The project page apart from its thread (see ThreadState)."""

    project_id: str = ""
    found: bool = True
    title: str = ""
    brief: str = ""
    stage: str = ""
    stage_label: str = ""
    video_format: str = ""
    platforms: str = ""
    deadline: str = ""
    my_role: str = ""
    members: list[dict] = []
    milestones: list[dict] = []
    timeline: list[dict] = []
    next_stages: list[dict] = []
    errors: dict[str, str] = {}
    notice: str = ""

    @rx.event
    async def load(self):
        project_id = project_id_from_path(self.router.url.path)
        if project_id != self.project_id:  # nothing of the previous project (an open brief editor) carries over
            self.reset()
            self.project_id = project_id
        self.errors, self.notice = {}, ""
        actor = await self._actor()
        if actor is None:
            return self._to_sign_in()
        await self._reload(actor)

    async def _reload(self, actor) -> None:
        try:
            view = await in_transaction(projects.get_project, actor, self.project_id)
        except (NotAllowed, LookupError):
            self.found, self.title, self.brief, self.members, self.milestones, self.timeline = False, "", "", [], [], []
            return
        self.found, self.title, self.brief, self.stage = True, view.title, view.brief_markdown, view.stage
        self.stage_label = STAGE_LABELS.get(view.stage, view.stage)
        self.video_format = FORMAT_LABELS.get(view.video_format, view.video_format)
        self.platforms = ", ".join(name.capitalize() for name in view.platforms) or "No platform chosen"
        self.deadline, self.my_role = _day(view.deadline) or "No deadline", view.my_role
        self.members = [{"id": member.user_id, "name": member.display_name, "role": member.role,
                         "initials": initials(member.display_name)} for member in view.members]
        self.next_stages = [{"value": target, "label": STAGE_LABELS[target]}
                            for source, target in sorted(projects.STAGE_MOVES) if source == view.stage
                            and (view.my_role == "producer" or (source, target) in EDITOR_STAGE_MOVES)]
        self.milestones = [milestone_row(row)
                           for row in await in_transaction(projects.list_milestones, actor, self.project_id)]
        self.timeline = [
            {"who": entry.actor_name, "what": TIMELINE_TEXT.get(entry.kind, entry.kind.replace(".", " ")),
             "detail": STAGE_LABELS.get(str(entry.details.get("to", "")), ""), "when": entry.created_at.strftime(
                 "%d %b, %H:%M")}
            for entry in await in_transaction(projects.project_timeline, actor, self.project_id, 30)
        ]

    async def _act(self, section: str, work, *args, notice: str = "") -> None:
        actor = await self._actor()
        if actor is None:
            self.found = False
            return
        self.errors, self.notice = {}, ""
        try:
            await in_transaction(work, actor, *args)
        except InvalidInput as invalid:
            self.errors = {invalid.field: invalid.message}
        except (NotAllowed, LookupError) as error:
            self.errors = {section: _problem(error)}
        else:
            self.notice = notice
            push_later(project_channel(self.project_id), ProjectState, ProjectState._refresh_from_push,
                       skip_token=self.router.session.client_token)
        await self._reload(actor)

    async def _refresh_from_push(self):
        """Another member changed the project: re-read it with this tab's own session, if it still shows it."""
        if project_id_from_path(self.router.url.path) != self.project_id:
            return
        actor = await self._actor()
        if actor is None:
            self.found = False
            return
        await self._reload(actor)

    editing_brief: bool = False

    @rx.event
    def edit_brief(self, editing: bool):
        self.editing_brief = editing is True and self.my_role == "producer"

    @rx.event
    async def save_brief(self, form: dict):
        await self._act("brief", projects.update_brief, self.project_id, str(form.get("brief", "")))
        if not self.errors:
            self.editing_brief = False

    @rx.event
    async def change_stage(self, new_stage: str):
        await self._act("stage", projects.change_stage, self.project_id, new_stage)

    @rx.event
    async def add_milestone(self, form: dict):
        await self._act("milestone", projects.add_milestone, self.project_id, str(form.get("title", "")),
                        str(form.get("due_on", "")), str(form.get("owner_id", "")) or None)

    @rx.event
    async def complete_milestone(self, milestone_id: str):
        await self._act("milestone", projects.complete_milestone, milestone_id)

    @rx.event
    async def invite(self, form: dict):
        email = str(form.get("email", ""))
        await self._act("invite", lambda session, actor, project_id: invitations.invite_editor(
            session, current_settings(), actor, project_id, email=email), self.project_id,
            notice="Invitation sent. It stays valid for 14 days.")

    @rx.event
    async def remove_editor(self, editor_id: str):
        await self._act("members", invitations.remove_editor, self.project_id, editor_id)


class InvitationsState(SessionMixin, rx.State):
    rows: list[dict] = []
    loaded: bool = False
    error: str = ""

    @rx.event
    async def load(self):
        actor = await self._actor()
        if actor is None:
            return self._to_sign_in()
        self.rows = [invitation_row(row) for row in await in_transaction(invitations.list_my_invitations, actor)]
        self.loaded, self.error = True, ""

    @rx.event
    async def accept(self, invitation_id: str):
        actor = await self._actor()
        if actor is None:
            return self._to_sign_in()
        try:
            project_id = await in_transaction(invitations.accept_invitation, actor, invitation_id)
        except (InvalidInput, NotAllowed, LookupError) as error:
            self.error = _problem(error)
            return
        return rx.redirect(routes.project_page(project_id))

    @rx.event
    async def decline(self, invitation_id: str):
        actor = await self._actor()
        if actor is None:
            return self._to_sign_in()
        try:
            await in_transaction(invitations.decline_invitation, actor, invitation_id)
        except (InvalidInput, NotAllowed, LookupError) as error:
            self.error = _problem(error)
            return
        return InvitationsState.load


class InvitationLinkState(SessionMixin, rx.State):
    """The page a mailed invitation link opens; the token is in the path and is sent only to the service."""

    error: str = ""

    def _token(self) -> str:
        return project_id_from_path(self.router.url.path)

    @rx.event
    async def check(self):
        self.error = ""
        if await self._actor() is None:
            return self._to_sign_in()

    @rx.event
    async def accept(self):
        return await self._answer(invitations.accept_invitation)

    @rx.event
    async def decline(self):
        return await self._answer(invitations.decline_invitation)

    async def _answer(self, service):
        actor = await self._actor()
        if actor is None:
            return self._to_sign_in()
        try:
            project_id = await in_transaction(service, actor, self._token())
        except (InvalidInput, NotAllowed, LookupError) as error:
            self.error = _problem(error)
            return
        return rx.redirect(routes.project_page(project_id) if project_id else routes.INVITATIONS)
