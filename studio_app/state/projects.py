"""Dashboard, project list and creation, the project page (brief, stage, milestones, members,
invitations, timeline) and the invitations inbox: thin handlers over the project services."""

from __future__ import annotations

import uuid

import reflex as rx

from studio_app import routes
from studio_app.errors import UserError
from studio_app.security.policy import EDITOR_STAGE_MOVES
from studio_app.services import connections, dashboards, forms, invitations, projects
from studio_app.services.people import initials
from studio_app.settings import current_settings
from studio_app.state.live import project_channel, push_later
from studio_app.state.session import SessionMixin, user_action
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
    "version.approved": "approved the version",
    "project.brief_updated": "updated the brief",
    "milestone.added": "added the milestone",
    "milestone.completed": "completed the milestone",
    "invitation.sent": "invited an editor",
    "invitation.accepted": "joined the project",
    "invitation.declined": "declined an invitation",
    "invitation.revoked": "withdrew an invitation",
    "member.removed": "removed",
    "admin.content_read": "(an Azekia Studio admin) read the brief and thread, giving the reason:",
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


def new_form_key() -> str:
    """Made when a create form appears and sent with it: the same form sent twice creates once (services/forms)."""
    return uuid.uuid4().hex


def _timeline_detail(entry) -> str:
    """Which stage, milestone or person the event is about."""
    if "to" in entry.details:
        return STAGE_LABELS.get(str(entry.details["to"]), "")
    if entry.kind == "version.approved" and entry.details.get("version"):
        return f"v{entry.details['version']}"
    if entry.subject and entry.kind.startswith("milestone."):
        return f"“{entry.subject}”"
    return entry.subject


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
    @user_action
    async def load(self):
        self.loaded = False
        return await self._reload()

    async def _reload(self):
        """Read the board (on load, and again when a push to the shell says its counts changed)."""
        role, board = await self._call(_dashboard)
        if board is None:  # an admin has no projects: their page is the admin console
            return rx.redirect(routes.ADMIN_PRIVACY)
        self.role = role
        if self.role == "editor":
            self.assigned = [project_row(row) for row in board.assigned_projects]
            self.changes_requested = [project_row(row) for row in board.changes_requested]
            self.invitations = [invitation_row(row) for row in board.invitations]
        else:
            self.stage_counts = [{"stage": STAGE_LABELS[stage], "count": count}
                                 for stage, count in board.projects_by_stage.items() if count]
            self.milestones = [milestone_row(row) for row in board.next_milestones]
            self.invitations_sent = board.pending_invitations_sent
            self.versions_awaiting_review = board.versions_awaiting_review
        self.deadlines = [project_row(row) for row in board.next_deadlines]
        self.unread_messages = board.unread_messages
        self.loaded = True
        return None


def _dashboard(session, actor):
    if actor.is_admin:
        return actor.role.value, None
    board = dashboards.editor_dashboard if actor.role.value == "editor" else dashboards.producer_dashboard
    return actor.role.value, board(session, actor)


def invitation_row(received) -> dict:
    return {"id": received.id, "project": received.project_title, "from": received.inviter_name,
            "expires": _day(received.expires_at)}


class ProjectListState(SessionMixin, rx.State):
    rows: list[dict] = []
    loaded: bool = False
    errors: dict[str, str] = {}
    creating: bool = False
    form_key: str = ""

    @rx.event
    @user_action
    async def load(self):
        self.rows = [project_row(row) for row in await self._call(projects.list_my_projects)]
        self.loaded = True

    @rx.event
    def new_form(self):
        """The new-project page appears: its form gets a fresh key."""
        self.form_key, self.errors = new_form_key(), {}

    @rx.event
    @user_action(busy="creating")
    async def create(self, form: dict):
        # The key the page showed when the form was sent (a double click sends it twice); the page's own one if a
        # click beat the page's first update.
        form_key = str(form.get("form_key") or self.form_key)
        platforms = [name for name in projects.PLATFORMS if form.get(f"platform_{name}") == "on"]

        def create(session, actor):
            return forms.once(
                session, actor, form_key,
                lambda: projects.create_project(
                    session, actor, title=str(form.get("title", "")), brief_markdown=str(form.get("brief", "")),
                    platforms=platforms, video_format=str(form.get("video_format", "")),
                    deadline=str(form.get("deadline") or "") or None),
                replay=lambda project_id: projects.get_project(session, actor, project_id))

        view = await self._call(create)
        return rx.redirect(routes.project_page(view.id))


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
    form_key: str = ""  # of the milestone and invitation forms; a new one after each one sent
    adding_milestone: bool = False
    inviting: bool = False

    @rx.event
    @user_action
    async def load(self):
        project_id = project_id_from_path(self.router.url.path)
        if project_id != self.project_id:  # nothing of the previous project (an open brief editor) carries over
            self.reset()
            self.project_id = project_id
        self.notice, self.form_key = "", new_form_key()
        await self._reload()

    async def _reload(self) -> None:
        try:
            self._show(*await self._call(_project_page, self.project_id))
        except UserError:  # not a member, or no such project: the page says so, without telling which
            self.found, self.title, self.brief, self.members, self.milestones, self.timeline = False, "", "", [], [], []

    def _show(self, view, milestones, timeline, handles) -> None:
        self.found, self.title, self.brief, self.stage = True, view.title, view.brief_markdown, view.stage
        self.stage_label = STAGE_LABELS.get(view.stage, view.stage)
        self.video_format = FORMAT_LABELS.get(view.video_format, view.video_format)
        self.platforms = ", ".join(name.capitalize() for name in view.platforms) or "No platform chosen"
        self.deadline, self.my_role = _day(view.deadline) or "No deadline", view.my_role
        self.members = [{"id": member.user_id, "name": member.display_name, "role": member.role,
                         "initials": initials(member.display_name),
                         "discord": handles.get(member.user_id, "")} for member in view.members]
        self.next_stages = [{"value": target, "label": STAGE_LABELS[target]}
                            for source, target in sorted(projects.STAGE_MOVES) if source == view.stage
                            and (view.my_role == "producer" or (source, target) in EDITOR_STAGE_MOVES)]
        self.milestones = [milestone_row(row) for row in milestones]
        self.timeline = [
            {"who": entry.actor_name, "what": TIMELINE_TEXT.get(entry.kind, entry.kind.replace(".", " ")),
             "detail": _timeline_detail(entry), "when": entry.created_at.strftime("%d %b, %H:%M")}
            for entry in timeline
        ]

    async def _act(self, work, *args, notice: str = "", form: dict | None = None) -> None:
        """``work(db_session, actor, *args)`` then the page read again, in one transaction. With ``form``, a create
        form: sent once per key, and the next form gets a new key."""
        self.notice = ""
        project_id = self.project_id
        form_key = str((form or {}).get("form_key") or self.form_key)

        def act_and_read(session, actor):
            if form is None:
                work(session, actor, *args)
            else:
                forms.once(session, actor, form_key, lambda: work(session, actor, *args))
            return _project_page(session, actor, project_id)

        self._show(*await self._call(act_and_read))
        self.notice = notice
        if form is not None:
            self.form_key = new_form_key()
        push_later(project_channel(self.project_id), ProjectState, ProjectState._refresh_from_push,
                   skip_token=self.router.session.client_token)

    @user_action
    async def _refresh_from_push(self):
        """Another member changed the project: re-read it with this tab's own session, if it still shows it."""
        if project_id_from_path(self.router.url.path) == self.project_id:
            await self._reload()

    editing_brief: bool = False

    @rx.event
    def edit_brief(self, editing: bool):
        self.editing_brief = editing is True and self.my_role == "producer"

    @rx.event
    @user_action(scope="brief")
    async def save_brief(self, form: dict):
        await self._act(projects.update_brief, self.project_id, str(form.get("brief", "")))
        self.editing_brief = False

    @rx.event
    @user_action(scope="stage")
    async def change_stage(self, new_stage: str):
        await self._act(projects.change_stage, self.project_id, new_stage)

    @rx.event
    @user_action(scope="milestone", busy="adding_milestone")
    async def add_milestone(self, form: dict):
        await self._act(projects.add_milestone, self.project_id, str(form.get("title", "")),
                        str(form.get("due_on", "")), str(form.get("owner_id", "")) or None, form=form)

    @rx.event
    @user_action(scope="milestone")
    async def complete_milestone(self, milestone_id: str):
        await self._act(projects.complete_milestone, milestone_id)

    @rx.event
    @user_action(scope="invite", busy="inviting")
    async def invite(self, form: dict):
        email, settings = str(form.get("email", "")), current_settings()
        await self._act(lambda session, actor, project_id: invitations.invite_editor(
            session, settings, actor, project_id, email=email), self.project_id, form=form,
            notice="Invitation sent. It stays valid for 14 days.")

    @rx.event
    @user_action(scope="members")
    async def remove_editor(self, editor_id: str):
        await self._act(invitations.remove_editor, self.project_id, editor_id)


def _project_page(session, actor, project_id: str):
    view = projects.get_project(session, actor, project_id)
    handles = connections.shared_handles(session, [member.user_id for member in view.members])
    return (view, projects.list_milestones(session, actor, project_id),
            projects.project_timeline(session, actor, project_id, 30), handles)


class InvitationsState(SessionMixin, rx.State):
    rows: list[dict] = []
    loaded: bool = False
    errors: dict[str, str] = {}

    @rx.event
    @user_action
    async def load(self):
        self.rows = [invitation_row(row) for row in await self._call(invitations.list_my_invitations)]
        self.loaded = True

    @rx.event
    @user_action
    async def accept(self, invitation_id: str):
        return rx.redirect(routes.project_page(await self._call(invitations.accept_invitation, invitation_id)))

    @rx.event
    @user_action
    async def decline(self, invitation_id: str):
        def decline_and_list(session, actor):
            invitations.decline_invitation(session, actor, invitation_id)
            return invitations.list_my_invitations(session, actor)

        self.rows = [invitation_row(row) for row in await self._call(decline_and_list)]


class InvitationLinkState(SessionMixin, rx.State):
    """The page a mailed invitation link opens; the token is in the path and is sent only to the service."""

    errors: dict[str, str] = {}
    project: str = ""
    producer: str = ""
    expires: str = ""
    checked: bool = False  # the link was read: show what it invites to, or why it cannot be answered

    def _token(self) -> str:
        return project_id_from_path(self.router.url.path)

    @rx.event
    @user_action(fields=False)
    async def check(self):
        self.project, self.producer, self.expires, self.checked = "", "", "", False
        try:  # signed out: to the sign-in page, then back here
            shown = await self._call(invitations.describe_link, self._token())
        finally:
            self.checked = True
        self.project, self.producer, self.expires = shown.project_title, shown.inviter_name, _day(shown.expires_at)

    @rx.event
    @user_action(fields=False)
    async def accept(self):
        return self._opened(await self._call(invitations.accept_invitation, self._token()))

    @rx.event
    @user_action(fields=False)
    async def decline(self):
        return self._opened(await self._call(invitations.decline_invitation, self._token()))

    def _opened(self, project_id: str | None):
        return rx.redirect(routes.project_page(project_id) if project_id else routes.INVITATIONS)
