"""A project's Discord announcements channel: an incoming webhook a producer creates through Discord's
``webhook.incoming`` consent screen (https://discord.com/developers/docs/topics/oauth2#webhooks).

The webhook's id and token are a secret (whoever has them can post in the channel): sealed under the project's
key. A webhook that answered 404 is dead (deleted in Discord): marked, never called again, and the producer told.
"""

from __future__ import annotations

import dataclasses
import logging

from sqlmodel import Session, select

from studio_app.models.base import is_row_id, utcnow
from studio_app.models.connections import ChannelStatus, OAuthPurpose, ProjectChannel
from studio_app.models.projects import Project, ProjectMember
from studio_app.security.fields import get_decrypted, set_encrypted
from studio_app.security.policy import Action, Actor, may_in_project, require_in_project, require_signed_in
from studio_app.services import audit, notifications, provider_clients
from studio_app.services.connections import Finished, require_channel_manager
from studio_app.services.keys import project_key_of

logger = logging.getLogger(__name__)
REASON_MAX = 300


@dataclasses.dataclass(frozen=True)
class ChannelWebhook:
    """What a job needs to post in the channel; never stored elsewhere, logged or put in a state."""

    webhook_id: str
    webhook_token: str = dataclasses.field(repr=False)
    channel_name: str
    sandbox: bool
    dead: bool


@dataclasses.dataclass(frozen=True)
class ChannelView:
    connected: bool
    name: str
    dead: bool
    dead_reason: str
    sandbox: bool
    can_manage: bool


def channel_webhook(session: Session, project_id: str) -> ChannelWebhook | None:
    """The project's webhook, dead or alive (check ``dead`` before calling it), or None when none is connected."""
    row = _channel(session, project_id)
    if row is None:
        return None
    key = project_key_of(session, project_id)
    return ChannelWebhook(webhook_id=get_decrypted(row, "webhook_id_encrypted", data_key=key),
                          webhook_token=get_decrypted(row, "webhook_token_encrypted", data_key=key),
                          channel_name=get_decrypted(row, "channel_name_encrypted", data_key=key) or "",
                          sandbox=row.sandbox, dead=row.status == ChannelStatus.DEAD)


def mark_channel_dead(session: Session, project_id: str, reason: str) -> None:
    """Discord answered 404 (the webhook was deleted): never retried; the producer is told once, in plain words."""
    row = _channel(session, project_id)
    if row is None or row.status == ChannelStatus.DEAD:
        return
    row.status = ChannelStatus.DEAD
    row.dead_reason = (reason or "Discord no longer knows this channel's webhook.")[:REASON_MAX]
    session.add(row)
    producer_id = session.exec(select(Project.producer_id).where(Project.id == project_id)).first()
    if producer_id:
        notifications.notify(session, user_ids=[producer_id], kind="channel_dead", project_id=project_id)
    audit.record_event(session, "project_channel.dead", subject_id=project_id)


def save_from_code(session: Session, actor: Actor, project_id: str, code: str, redirect_uri: str) -> Finished:
    """The callback of the channel flow: exchange the code and keep only the webhook (the user token that comes
    with it is not needed)."""
    require_channel_manager(session, actor, project_id)
    where = {"purpose": OAuthPurpose.PROJECT_CHANNEL, "project_id": project_id}
    grant = provider_clients.discord().exchange_code(code=code, redirect_uri=redirect_uri)
    webhook = grant.webhook
    if webhook is None:
        return Finished("no_webhook", **where)
    row = _channel(session, project_id)
    if row is None:
        row = ProjectChannel(project_id=project_id)
    key = project_key_of(session, project_id)
    set_encrypted(row, "webhook_id_encrypted", str(webhook.id), data_key=key)
    set_encrypted(row, "webhook_token_encrypted", webhook.token, data_key=key)
    set_encrypted(row, "channel_name_encrypted", webhook.name or "", data_key=key)
    row.connected_by = actor.user_id
    row.sandbox = provider_clients.is_sandbox("discord")
    row.status = ChannelStatus.ACTIVE
    row.dead_reason = None
    row.connected_at = utcnow()
    session.add(row)
    audit.record_event(session, "project_channel.connected", actor_id=actor.user_id, subject_id=project_id)
    return Finished("channel_connected", **where)


def project_channel(session: Session, actor: Actor | None, project_id: object) -> ChannelView:
    """The project page's Discord channel card: every member sees it, producers manage it."""
    actor = require_signed_in(actor)
    role = None
    if is_row_id(project_id):
        role = session.exec(select(ProjectMember.role).where(
            ProjectMember.project_id == project_id, ProjectMember.user_id == actor.user_id,
            ProjectMember.removed_at.is_(None))).first()
    require_in_project(actor, Action.VIEW_PROJECT, role)
    row = _channel(session, project_id)
    name = ""
    if row is not None:
        name = get_decrypted(row, "channel_name_encrypted", data_key=project_key_of(session, project_id)) or ""
    return ChannelView(connected=row is not None, name=name, dead=bool(row and row.status == ChannelStatus.DEAD),
                       dead_reason=(row.dead_reason or "") if row else "", sandbox=bool(row and row.sandbox),
                       can_manage=may_in_project(actor, Action.MANAGE_PROJECT_CHANNEL, role))


def disconnect_channel(session: Session, actor: Actor | None, project_id: object) -> str:
    actor = require_channel_manager(session, actor, project_id)
    row = _channel(session, project_id)
    if row is None:
        return "No Discord channel is connected to this project."
    session.delete(row)
    audit.record_event(session, "project_channel.disconnected", actor_id=actor.user_id, subject_id=project_id)
    return ("The Discord channel is disconnected: the studio forgot its webhook. To remove the webhook from the "
            "channel too, open the channel's settings in Discord, then Integrations.")


def _channel(session: Session, project_id: object) -> ProjectChannel | None:
    return session.exec(select(ProjectChannel).where(ProjectChannel.project_id == project_id)).first()
