"""The admin console's provider sandbox panel: which providers are emulated, the sandbox's last calls and armed
faults, and arming or clearing faults (to rehearse a provider outage end to end). Admins only."""

from __future__ import annotations

import dataclasses

from sqlmodel import Session

from studio_app.errors import UserError
from studio_app.integrations.sandbox_control import SandboxControl, SandboxUnavailable
from studio_app.security.policy import Action, Actor, require
from studio_app.services.validation import InvalidInput
from studio_app.settings import current_settings

CALLS_SHOWN = 30
MAX_TIMES = 100


@dataclasses.dataclass(frozen=True)
class ProviderMode:
    name: str
    is_sandbox: bool


@dataclasses.dataclass(frozen=True)
class SandboxOverview:
    providers: tuple[ProviderMode, ...]
    uses_sandbox: bool
    problem: str  # why the sandbox could not be read, else ""
    calls: tuple[dict, ...] = ()  # newest first: route, method, status
    faults: tuple[dict, ...] = ()
    routes: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()


def sandbox_overview(session: Session, actor: Actor | None, *, control: SandboxControl | None = None
                     ) -> SandboxOverview:
    require(actor, Action.ADMINISTER_SANDBOX)
    settings = current_settings()
    providers = (ProviderMode("Discord", settings.discord.is_sandbox),
                 ProviderMode("TikTok", settings.tiktok.is_sandbox))
    if not settings.uses_sandbox:
        return SandboxOverview(providers, False, "")
    try:
        control = control or SandboxControl(settings)
        faults, state = control.faults(), control.state()
    except SandboxUnavailable as unavailable:
        return SandboxOverview(providers, True, str(unavailable))
    calls = tuple(reversed(state["calls"][-CALLS_SHOWN:]))
    return SandboxOverview(providers, True, "", calls, tuple(faults["faults"]), tuple(faults["routes"]),
                           tuple(faults["kinds"]))


def inject_fault(session: Session, actor: Actor | None, route: object, kind: object, times: object, *,
                 control: SandboxControl | None = None) -> SandboxOverview:
    """Arms one fault; the route and kind must be among those the sandbox lists, ``times`` 1 to 100."""
    overview = sandbox_overview(session, actor, control=control)
    _check_usable(overview)
    if route not in overview.routes:
        raise InvalidInput("route", "Choose the call the fault hits.")
    if kind not in overview.kinds:
        raise InvalidInput("kind", "Choose the kind of fault.")
    if (kind == "publish_failed") != (route == "tiktok.publish"):
        raise InvalidInput("kind", "A failed publication goes with the call tiktok.publish, and only with it.")
    text = str(times).strip() if isinstance(times, str | int) else ""
    if not text.isdigit() or not 1 <= int(text) <= MAX_TIMES:
        raise InvalidInput("times", f"Give a whole number from 1 to {MAX_TIMES}.")
    (control or SandboxControl(current_settings())).inject(str(route), str(kind), int(text))
    return sandbox_overview(session, actor, control=control)


def clear_faults(session: Session, actor: Actor | None, *, control: SandboxControl | None = None) -> SandboxOverview:
    overview = sandbox_overview(session, actor, control=control)
    _check_usable(overview)
    (control or SandboxControl(current_settings())).clear_faults()
    return sandbox_overview(session, actor, control=control)


def _check_usable(overview: SandboxOverview) -> None:
    if not overview.uses_sandbox:
        raise UserError("No provider uses the sandbox: both have real credentials.")
    if overview.problem:
        raise UserError(overview.problem)
