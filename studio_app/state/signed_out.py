"""Personal data leaves a tab's state when nobody is signed in any more (state is pickled to disk or Redis)."""

from __future__ import annotations

import reflex as rx

from studio_app.state.account import AccountState, SessionsState
from studio_app.state.auth import SignInState, SignUpState
from studio_app.state.hiring import DirectoryState, ProfileState
from studio_app.state.notifications import NotificationsState
from studio_app.state.privacy_center import PrivacyCenterState
from studio_app.state.privacy_erasure import PrivacyErasureState
from studio_app.state.projects import DashboardState, InvitationsState, ProjectListState, ProjectState
from studio_app.state.session import SessionMixin
from studio_app.state.shell import ShellState
from studio_app.state.tabs import reset_personal_states
from studio_app.state.thread import ThreadState

PERSONAL_STATES = (
    AccountState, SessionsState, SignInState, SignUpState, DirectoryState, ProfileState, NotificationsState,
    PrivacyCenterState, PrivacyErasureState, DashboardState, InvitationsState, ProjectListState, ProjectState,
    ThreadState, ShellState,
)


class SignedOutState(SessionMixin, rx.State):
    @rx.event
    async def forget(self):
        """On public pages (where signing out lands): a tab without a live session keeps nothing personal."""
        if await self._actor() is not None:
            return
        await reset_personal_states(self)
