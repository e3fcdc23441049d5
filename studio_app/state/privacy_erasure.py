"""The privacy center's "Delete your account" section: the summary, then the re-authenticated deletion."""

from __future__ import annotations

import reflex as rx

from studio_app.models.accounts import Role
from studio_app.services import erasure
from studio_app.settings import current_settings
from studio_app.state.live import DIRECTORY_CHANNEL, project_channel, run_later, user_channel
from studio_app.state.people import push_to_those_who_see
from studio_app.state.session import SessionMixin, user_action
from studio_app.state.tabs import forget_tabs_later, reset_disconnected, reset_personal_states

CONFIRMATION_WORD = erasure.CONFIRMATION_WORD


class PrivacyErasureState(SessionMixin, rx.State):
    loaded: bool = False
    goes: list[dict[str, str]] = []
    kept: list[dict[str, str]] = []
    deleted_projects: list[str] = []
    errors: dict[str, str] = {}
    deleting: bool = False
    # Set once the account is gone: the page then leaves through the route that clears the session cookie.
    deleted: bool = False

    @rx.event
    @user_action
    async def load(self):
        self.deleted = False
        summary = await self._call(erasure.deletion_summary)
        self.goes = [{"label": item.label, "detail": item.detail} for item in summary.goes]
        self.kept = [{"label": item.label, "why": item.why, "until": item.until} for item in summary.kept]
        self.deleted_projects = [fate.title for fate in summary.deleted_projects][:erasure.LISTED_PROJECTS_MAX]
        self.loaded = True

    @rx.event
    @user_action(scope="password", busy="deleting")
    async def delete_account(self, form: dict):
        settings, password, confirmation = current_settings(), form.get("password", ""), form.get("confirmation", "")
        actor, report = await self._call(lambda session, actor: (
            actor, erasure.delete_account(session, settings, actor, password, confirmation)))
        # Nothing of the person stays in this tab's stored state, nor in their other tabs'.
        await reset_personal_states(self)
        forget_tabs_later(actor.user_id, skip_token=self.router.session.client_token)
        run_later(_tell_the_others(report, actor.role == Role.EDITOR))
        self.deleted = True


async def _tell_the_others(report: erasure.ErasureReport, was_editor: bool) -> None:
    """Other people's tabs that may name the erased person: closed ones are emptied (they reload when they come
    back), then open ones are refreshed and now show "Deleted user" (directories drop an editor's profile)."""
    channels = [project_channel(project_id) for project_id in report.kept_project_ids]
    channels += [user_channel(user_id) for user_id in report.other_member_ids]
    channels += [DIRECTORY_CHANNEL] if was_editor else []
    await reset_disconnected(channels)
    push_to_those_who_see(report.kept_project_ids, report.other_member_ids, directory=was_editor)


class AccountDeletedNoticeState(rx.State):
    """The landing page's plain confirmation after an account deletion."""

    shown: bool = False

    @rx.event
    async def check(self):
        self.shown = self.router.url.query_parameters.get("account") == "deleted"
        if self.shown:
            (await self.get_state(PrivacyErasureState)).reset()



