"""A person's name as others see it: when it changes (or the account is erased), the pages the others have open
showing it are refreshed, like any other change."""

from __future__ import annotations

from collections.abc import Iterable

from studio_app.services import people
from studio_app.state.hiring import DirectoryState
from studio_app.state.live import DIRECTORY_CHANNEL, project_channel, push_later, user_channel
from studio_app.state.notifications import NotificationsState
from studio_app.state.projects import ProjectState
from studio_app.state.thread import ThreadState


def push_to_those_who_see(project_ids: Iterable[str], member_ids: Iterable[str], *, directory: bool) -> None:
    """Refresh the open project pages and threads of these projects, these members' notification centers and,
    for an editor, every open directory."""
    for project_id in project_ids:
        push_later(project_channel(project_id), ThreadState, ThreadState._refresh_from_push)
        push_later(project_channel(project_id), ProjectState, ProjectState._refresh_from_push)
    for user_id in member_ids:
        push_later(user_channel(user_id), NotificationsState, refresh_notifications)
    if directory:
        push_later(DIRECTORY_CHANNEL, DirectoryState, DirectoryState._refresh_from_push)


def push_new_name(seen: people.SeenBy) -> None:
    """After a rename: ``seen`` is ``people.seen_by`` for the renamed person."""
    push_to_those_who_see(seen.project_ids, seen.member_ids, directory=seen.directory)


async def refresh_notifications(state: NotificationsState) -> None:
    """An open notification center reads again: the texts name people as they are called now."""
    if state.loaded:
        await NotificationsState.load.fn(state)
