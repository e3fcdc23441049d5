"""Which open tabs belong to which signed-in person, so an erased account leaves no tab state behind.

Reflex pickles every tab's state to its state manager (memory, disk, or Redis shared by the workers).
``SessionMixin._actor`` records each tab it resolves (in the presence registry of ``state/live.py``:
memory, or Redis with expiry), and erasing an account resets the personal states of all of that
person's tabs, on whichever worker holds them.
"""

from __future__ import annotations

import logging
import time

import reflex as rx
from reflex_base.registry import RegistrationContext

from studio_app.state.live import PRESENCE_TTL_SECONDS, presence, run_later

# Recording again this often keeps the registry entry alive without a Redis call on every event.
REFRESH_SECONDS = 300
_MEMO_MAX = 10_000
logger = logging.getLogger(__name__)
_recorded: dict[str, tuple[str, float]] = {}


def signed_in_channel(user_id: str) -> str:
    return f"signed-in:{user_id}"


async def remember_tab(client_token: str | None, user_id: str) -> None:
    if not client_token:
        return
    now = time.monotonic()
    seen = _recorded.get(client_token)
    if seen is not None and seen[0] == user_id and seen[1] > now:
        return
    if len(_recorded) >= _MEMO_MAX:
        _recorded.clear()
    _recorded[client_token] = (user_id, now + min(REFRESH_SECONDS, PRESENCE_TTL_SECONDS / 2))
    await presence().join(signed_in_channel(user_id), client_token, user_id)


async def tabs_of(user_id: str) -> list[str]:
    return list(await presence().tabs(signed_in_channel(user_id)))


def personal_states() -> list[type[rx.State]]:
    """Every state that holds what a signed-in person sees: the known list plus any state resolving a session."""
    from studio_app.state.session import SessionMixin
    from studio_app.state.signed_out import PERSONAL_STATES

    found, stack = dict.fromkeys(PERSONAL_STATES), [rx.State]
    while stack:
        for substate in stack.pop().get_substates():
            if issubclass(substate, SessionMixin):
                found.setdefault(substate)
            stack.append(substate)
    return list(found)


async def reset_personal_states(root: rx.State) -> None:
    for state_cls in personal_states():
        (await root.get_state(state_cls)).reset()


def forget_tabs_later(user_id: str, *, skip_token: str | None = None) -> None:
    """Reset the personal states of every other tab of ``user_id``, after the current handler returns
    (changing another tab while holding our own state's lock could deadlock, as in ``push_later``)."""
    run_later(forget_tabs(user_id, skip_token=skip_token))


async def forget_tabs(user_id: str, *, skip_token: str | None = None) -> int:
    """Connected or not, each tab's stored state is rewritten without personal data; returns how many."""
    from studio_app.state.signed_out import SignedOutState

    app = RegistrationContext.get().app
    channel, reset = signed_in_channel(user_id), 0
    for client_token in await tabs_of(user_id):
        if client_token != skip_token:
            try:
                async with app.modify_state(rx.BaseStateToken(ident=client_token, cls=SignedOutState)) as root:
                    actor = await (await root.get_state(SignedOutState))._actor()
                    if actor is None or actor.user_id == user_id:  # the tab may belong to someone else by now
                        await reset_personal_states(root)
                        reset += 1
            except Exception:  # one broken tab must not keep the others' data
                logger.exception("could not reset a tab of an erased account")
        await presence().leave(channel, client_token)
        _recorded.pop(client_token, None)
    return reset
