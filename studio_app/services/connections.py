"""Connected accounts: connecting Discord and TikTok through OAuth, the live token for the work that uses
them (refreshed one at a time per account), disconnecting, and what the connections page shows.

Tokens are sealed under the person's data key and never leave this module except as a ``ProviderToken`` handed
to a job that calls the provider at once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from studio_app import routes
from studio_app.errors import NotFound, UserError
from studio_app.integrations.providers import ProviderError
from studio_app.models.accounts import ConsentKind, UserDataKey
from studio_app.models.base import is_row_id, utcnow
from studio_app.models.connections import (
    ConnectedAccount,
    ConnectionStatus,
    DiscordOutbox,
    OAuthAttempt,
    OAuthPurpose,
    OutboxStatus,
    Provider,
)
from studio_app.models.projects import ProjectMember
from studio_app.security import read_only
from studio_app.security.fields import get_decrypted, set_encrypted
from studio_app.security.policy import Action, Actor, require, require_in_project, require_signed_in
from studio_app.services import audit, notifications, privacy, provider_clients
from studio_app.services.erasure import register_revocation_hook
from studio_app.services.keys import data_key_of, unwrap_user_key
from studio_app.services.validation import InvalidInput
from studio_app.settings import current_settings

logger = logging.getLogger(__name__)

PROVIDER_NAMES = {Provider.DISCORD: "Discord", Provider.TIKTOK: "TikTok"}
# The smallest scopes that serve the features (issue 11): Discord to know who you are there (your pseudonym, and
# whom the bot writes to); TikTok Login Kit v2 to name the account and to post the videos you approve.
# https://discord.com/developers/docs/topics/oauth2#shared-resources-oauth2-scopes
# https://developers.tiktok.com/doc/tiktok-api-scopes
ACCOUNT_SCOPES = {Provider.DISCORD: ("identify",), Provider.TIKTOK: ("user.info.basic", "video.publish")}
# A project's announcements channel: Discord asks the person to pick a server channel and returns its webhook.
# https://discord.com/developers/docs/topics/oauth2#webhooks
CHANNEL_SCOPES = ("webhook.incoming",)
SCOPE_USES = {
    "identify": "Your Discord user id and name: to send you direct messages, and to show your Discord name to "
                "the people you work with if you allow it.",
    "user.info.basic": "Your TikTok display name: to show which TikTok account is connected.",
    "video.publish": "Posting the videos you approve to your TikTok account, at the time you choose.",
    "webhook.incoming": "Posting the project's announcements in the Discord channel you picked.",
}
# A token that expires within this margin is refreshed before it is handed out: a job's calls must not fail midway.
REFRESH_MARGIN = timedelta(minutes=5)
ATTEMPT_MINUTES = 10
ATTEMPTS_PER_USER_MAX = 20


@dataclasses.dataclass(frozen=True)
class ProviderToken:
    """A live access token, for the job that calls the provider now; never stored, logged or put in a state."""

    access_token: str = dataclasses.field(repr=False)
    sandbox: bool
    external_id: str = dataclasses.field(repr=False)


class ReconnectNeeded(UserError):
    """The person must connect the account again (none, revoked or expired); scheduled work waits for them."""

    def __init__(self, provider: str, reason: str):
        name = PROVIDER_NAMES.get(Provider(provider), provider)
        super().__init__(f"Reconnect your {name} account: {reason}", field=provider)
        self.provider = provider
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class ScopeView:
    name: str
    use: str


@dataclasses.dataclass(frozen=True)
class ConnectionView:
    provider: str
    name: str  # "Discord"
    connected: bool
    handle: str
    status: str  # "" when not connected, else active | needs_reconnect
    problem: str
    dm_problem: str
    scopes: tuple[ScopeView, ...]
    sandbox: bool
    share_handle: bool
    connected_at: datetime | None


@dataclasses.dataclass(frozen=True)
class ConnectionsPage:
    connections: tuple[ConnectionView, ...]
    discord_messages: bool  # the DM consent is active


@dataclasses.dataclass(frozen=True)
class Finished:
    """Where the callback sends the person, and what happened (``outcome``: a key of ``OUTCOMES``; the page says
    it in words, so a crafted address cannot put words of its own on our page)."""

    outcome: str
    purpose: str = OAuthPurpose.ACCOUNT
    project_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in ("connected", "channel_connected")


OUTCOMES = {
    "connected": "{name} is connected.",
    "channel_connected": "The project's Discord channel is connected: announcements will be posted there.",
    "expired": "This {name} connection link has expired or was already used. Please start again.",
    "denied": "You did not allow the studio on {name}: nothing was connected.",
    "failed": "{name} could not complete the connection: nothing was connected. Please try again.",
    "no_webhook": "Discord did not create a webhook: pick a channel on Discord's page and try again.",
    "read_only": read_only.MESSAGE,
}


def outcome_message(outcome: object, provider: object) -> str:
    """The words for a callback's outcome ("" for anything unknown)."""
    if outcome not in OUTCOMES:
        return ""
    return OUTCOMES[str(outcome)].format(name=PROVIDER_NAMES.get(provider, "The provider"))


# -- the live token --------------------------------------------------------------------------------


def access_token(session: Session, user_id: str, provider: str) -> ProviderToken:
    """The person's live token, refreshed first when it expires within ``REFRESH_MARGIN``.

    A refresh runs in a transaction of its own with the connection's row locked, so two consumers never refresh
    the same account at once (TikTok rotates refresh tokens: the second would use a spent one). Call it outside
    a write transaction of ``session`` (on SQLite the refresh waits for every other writer).
    """
    provider = _provider(provider)
    row = _connection(session, user_id, provider)
    _check_usable(row, provider)
    if not _expiring(row):
        return _token(session, row)
    with Session(session.get_bind(), expire_on_commit=False) as own:
        token, problem = _refresh_locked(own, user_id, provider)
    if problem is not None:
        raise problem
    return token


def report_grant_problem(session: Session, user_id: str, provider: str, error: ProviderError) -> None:
    """A caller's provider call said the grant is gone (revoked, expired): the connection waits for the person to
    reconnect, and they are told once. Other errors change nothing."""
    provider = _provider(provider)
    if not error.needs_reconnect:
        return
    row = _connection(session, user_id, provider)
    if row is not None:
        _needs_reconnect(session, row, _grant_gone(provider))


def _refresh_locked(own: Session, user_id: str, provider: str) -> tuple[ProviderToken | None, ReconnectNeeded | None]:
    with own.begin():
        row = _locked_connection(own, user_id, provider)
        try:
            _check_usable(row, provider)
        except ReconnectNeeded as problem:
            return None, problem
        if not _expiring(row):  # another consumer refreshed it while this one waited for the lock
            return _token(own, row), None
        data_key = data_key_of(own, user_id)
        refresh = get_decrypted(row, "refresh_token_encrypted", data_key=data_key)
        if not refresh or (row.refresh_expires_at is not None and row.refresh_expires_at <= utcnow()):
            problem = _needs_reconnect(own, row, _grant_gone(provider))
            return None, problem
        try:
            grant = provider_clients.client(provider).refresh(refresh)
        except ProviderError as error:
            if not error.needs_reconnect:
                raise
            return None, _needs_reconnect(own, row, _grant_gone(provider))
        _save_grant(row, grant, data_key)  # the rotated refresh token with the access token, in this transaction
        row.refreshed_at = utcnow()
        own.add(row)
        return _token(own, row, data_key), None


def _locked_connection(session: Session, user_id: str, provider: str) -> ConnectedAccount | None:
    where = (ConnectedAccount.user_id == user_id, ConnectedAccount.provider == provider)
    if session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: a write first takes the database's write lock, which a second refresher waits
        # for; its read comes after the first one committed.
        session.execute(sa.update(ConnectedAccount).where(*where).values(status=ConnectedAccount.status))
        return session.exec(select(ConnectedAccount).where(*where)).first()
    return session.exec(select(ConnectedAccount).where(*where).with_for_update()).first()


def _check_usable(row: ConnectedAccount | None, provider: str) -> None:
    if row is None:
        raise ReconnectNeeded(provider, "it is not connected.")
    if row.status != ConnectionStatus.ACTIVE:
        raise ReconnectNeeded(provider, row.problem or _grant_gone(provider))


def _expiring(row: ConnectedAccount) -> bool:
    return row.access_expires_at is not None and row.access_expires_at <= utcnow() + REFRESH_MARGIN


def _token(session: Session, row: ConnectedAccount, data_key=None) -> ProviderToken:
    data_key = data_key or data_key_of(session, row.user_id)
    return ProviderToken(access_token=get_decrypted(row, "access_token_encrypted", data_key=data_key),
                         sandbox=row.sandbox,
                         external_id=get_decrypted(row, "external_id_encrypted", data_key=data_key))


def _grant_gone(provider: str) -> str:
    return (f"{PROVIDER_NAMES[Provider(provider)]} no longer accepts the studio's access (it was revoked or has "
            "expired). Scheduled work waits until you reconnect.")


def _needs_reconnect(session: Session, row: ConnectedAccount, problem: str) -> ReconnectNeeded:
    """Mark the connection, tell the person once (until they reconnect), and return the error to raise."""
    row.status = ConnectionStatus.NEEDS_RECONNECT
    row.problem = problem
    if row.reconnect_notified_at is None:
        row.reconnect_notified_at = utcnow()
        notifications.notify(session, user_ids=[row.user_id], kind="reconnect_needed", subject_id=row.provider)
    session.add(row)
    audit.record_event(session, "connection.needs_reconnect", actor_id=row.user_id,
                       details={"provider": row.provider})
    return ReconnectNeeded(row.provider, problem)


# -- connecting ------------------------------------------------------------------------------------


def start_connection(session: Session, actor: Actor | None, provider: object, *, purpose: object = "account",
                     project_id: object = None) -> str:
    """Record a pending authorization and return the provider's consent page to send the person to."""
    actor = require(actor, Action.EDIT_OWN_ACCOUNT)
    provider = _provider(provider)
    if purpose not in (OAuthPurpose.ACCOUNT, OAuthPurpose.PROJECT_CHANNEL):
        raise InvalidInput("purpose", "This kind of connection does not exist.")
    if purpose == OAuthPurpose.PROJECT_CHANNEL:
        if provider != Provider.DISCORD:
            raise InvalidInput("provider", "Only a Discord channel can take a project's announcements.")
        require_channel_manager(session, actor, project_id)
        scopes = CHANNEL_SCOPES
    else:
        project_id = None
        scopes = ACCOUNT_SCOPES[provider]
    _drop_stale_attempts(session, actor.user_id)
    state = secrets.token_urlsafe(32)
    attempt = OAuthAttempt(state_hash=_hash(state), user_id=actor.user_id, provider=provider, purpose=str(purpose),
                           project_id=project_id)
    session.add(attempt)
    session.flush()
    client = provider_clients.client(provider)
    redirect_uri = callback_url(provider)
    if provider == Provider.TIKTOK:
        # PKCE: https://developers.tiktok.com/doc/login-kit-desktop (code_verifier of 43-128 unreserved chars)
        verifier = secrets.token_urlsafe(64)
        set_encrypted(attempt, "verifier_encrypted", verifier, data_key=data_key_of(session, actor.user_id))
        session.add(attempt)
        return client.authorization_url(redirect_uri=redirect_uri, scopes=scopes, state=state, code_verifier=verifier)
    return client.authorization_url(redirect_uri=redirect_uri, scopes=scopes, state=state)


def finish_connection(session: Session, actor: Actor | None, provider: object, *, state: object, code: object,
                      error: object = None) -> Finished:
    """The provider's redirect back: the attempt is used up whatever happens; nothing is saved unless the state
    matches an attempt of this person, started less than ``ATTEMPT_MINUTES`` ago, and the code exchange worked."""
    actor = require(actor, Action.EDIT_OWN_ACCOUNT)
    provider = _provider(provider)
    attempt = _take_attempt(session, actor, provider, state)
    if attempt is None:
        return Finished("expired")
    where = {"purpose": attempt.purpose, "project_id": attempt.project_id}
    if error:
        return Finished("denied" if error == "access_denied" else "failed", **where)
    if not isinstance(code, str) or not code or len(code) > 2048:
        return Finished("failed", **where)
    data_key = data_key_of(session, actor.user_id)
    try:
        if attempt.purpose == OAuthPurpose.PROJECT_CHANNEL:
            from studio_app.services import project_channels  # it imports this module

            return project_channels.save_from_code(session, actor, attempt.project_id, code, callback_url(provider))
        verifier = get_decrypted(attempt, "verifier_encrypted", data_key=data_key)
        _connect(session, actor.user_id, provider, code, verifier, data_key)
    except ProviderError as failure:
        logger.info("%s connection failed: %s", provider, failure.code)
        return Finished("failed", **where)
    return Finished("connected", **where)


def _connect(session: Session, user_id: str, provider: str, code: str, verifier: str | None, data_key) -> None:
    client = provider_clients.client(provider)
    redirect_uri = callback_url(provider)
    if provider == Provider.TIKTOK:
        grant = client.exchange_code(code=code, redirect_uri=redirect_uri, code_verifier=verifier)
        user = client.user_info(grant.access_token)
        external_id, handle = grant.open_id or user.open_id, user.display_name
    else:
        grant = client.exchange_code(code=code, redirect_uri=redirect_uri)
        user = client.current_user(grant.access_token)
        external_id, handle = user.id, user.global_name or user.username
    row = _connection(session, user_id, provider)
    if row is None:
        row = ConnectedAccount(user_id=user_id, provider=provider)
    row.sandbox = provider_clients.is_sandbox(provider)
    row.status = ConnectionStatus.ACTIVE
    row.problem = None
    row.reconnect_notified_at = None
    row.connected_at = utcnow()
    row.refreshed_at = None
    set_encrypted(row, "external_id_encrypted", str(external_id), data_key=data_key)
    set_encrypted(row, "handle_encrypted", handle or "", data_key=data_key)
    _save_grant(row, grant, data_key)
    session.add(row)
    audit.record_event(session, "connection.connected", actor_id=user_id, details={"provider": provider})


def _save_grant(row: ConnectedAccount, grant, data_key) -> None:
    """Tokens sealed, expiry times from the answer (never assumed), scopes as granted."""
    now = utcnow()
    set_encrypted(row, "access_token_encrypted", grant.access_token, data_key=data_key)
    if grant.refresh_token:
        set_encrypted(row, "refresh_token_encrypted", grant.refresh_token, data_key=data_key)
    row.access_expires_at = now + timedelta(seconds=grant.expires_in) if grant.expires_in else None
    refresh_expires_in = getattr(grant, "refresh_expires_in", None)
    row.refresh_expires_at = now + timedelta(seconds=refresh_expires_in) if refresh_expires_in else None
    if grant.scope:
        row.scopes = " ".join(sorted(set(grant.scope)))


def _take_attempt(session: Session, actor: Actor, provider: str, state: object) -> OAuthAttempt | None:
    if not isinstance(state, str) or not 16 <= len(state) <= 200:
        return None
    attempt = session.exec(select(OAuthAttempt).where(OAuthAttempt.state_hash == _hash(state))).first()
    if attempt is None:
        return None
    # One use, whoever presents it: deleting by id tells a second concurrent callback it came too late.
    if session.execute(sa.delete(OAuthAttempt).where(OAuthAttempt.id == attempt.id)).rowcount != 1:
        return None
    fresh = attempt.created_at > utcnow() - timedelta(minutes=ATTEMPT_MINUTES)
    if attempt.user_id != actor.user_id or attempt.provider != provider or not fresh:
        return None
    return attempt


def _drop_stale_attempts(session: Session, user_id: str) -> None:
    cutoff = utcnow() - timedelta(minutes=ATTEMPT_MINUTES)
    session.execute(sa.delete(OAuthAttempt).where(OAuthAttempt.created_at < cutoff))
    pending = session.exec(select(sa.func.count()).select_from(OAuthAttempt)
                           .where(OAuthAttempt.user_id == user_id)).one()
    if pending >= ATTEMPTS_PER_USER_MAX:
        raise InvalidInput("provider", "Too many connections started at once: wait a few minutes and try again.")


def callback_url(provider: str) -> str:
    return current_settings().public_url + routes.connection_callback(provider)


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


# -- the connections page --------------------------------------------------------------------------


def connections_page(session: Session, actor: Actor | None) -> ConnectionsPage:
    actor = require(actor, Action.VIEW_OWN_ACCOUNT)
    rows = {row.provider: row for row in session.exec(
        select(ConnectedAccount).where(ConnectedAccount.user_id == actor.user_id).limit(len(Provider)))}
    data_key = data_key_of(session, actor.user_id) if rows else None
    views = []
    for provider in Provider:
        row = rows.get(provider)
        if row is None:
            views.append(ConnectionView(provider=provider, name=PROVIDER_NAMES[provider], connected=False, handle="",
                                        status="", problem="", dm_problem="",
                                        scopes=tuple(ScopeView(s, SCOPE_USES[s]) for s in ACCOUNT_SCOPES[provider]),
                                        sandbox=provider_clients.is_sandbox(provider), share_handle=False,
                                        connected_at=None))
            continue
        views.append(ConnectionView(
            provider=provider, name=PROVIDER_NAMES[provider], connected=True,
            handle=get_decrypted(row, "handle_encrypted", data_key=data_key) or "", status=row.status,
            problem=row.problem or "", dm_problem=row.dm_problem or "",
            scopes=tuple(ScopeView(s, SCOPE_USES.get(s, "Granted by you on the provider's page.")) for s in
                         row.scopes.split()),
            sandbox=row.sandbox, share_handle=row.share_handle, connected_at=row.connected_at))
    return ConnectionsPage(connections=tuple(views),
                           discord_messages=privacy.has_consent(session, actor.user_id,
                                                                ConsentKind.DISCORD_NOTIFICATIONS))


def set_share_handle(session: Session, actor: Actor | None, share: object) -> None:
    actor = require(actor, Action.EDIT_OWN_ACCOUNT)
    if not isinstance(share, bool):
        raise InvalidInput("share_handle", "Choose whether to show your Discord name.")
    row = _connection(session, actor.user_id, Provider.DISCORD)
    if row is None:
        raise NotFound("Connect Discord first.")
    row.share_handle = share
    session.add(row)


def set_discord_messages(session: Session, actor: Actor | None, enabled: object) -> None:
    """Discord direct messages are sent only with this consent (withdrawable in the privacy center too)."""
    actor = require(actor, Action.EDIT_OWN_ACCOUNT)
    if not isinstance(enabled, bool):
        raise InvalidInput("discord_messages", "Choose whether to receive Discord messages.")
    if not enabled:
        privacy.withdraw_consent(session, actor, ConsentKind.DISCORD_NOTIFICATIONS)
        return
    row = _connection(session, actor.user_id, Provider.DISCORD)
    if row is None:
        raise InvalidInput("discord_messages", "Connect your Discord account first.")
    row.dm_problem = None  # they may have opened their direct messages since
    session.add(row)
    privacy.record_consent(session, actor.user_id, ConsentKind.DISCORD_NOTIFICATIONS)


def shared_handles(session: Session, user_ids: list[str]) -> dict[str, str]:
    """The Discord names of these people who allow showing them (their contact handle), by user id."""
    wanted = sorted({user_id for user_id in user_ids if is_row_id(user_id)})
    if not wanted:
        return {}
    rows = session.exec(
        select(ConnectedAccount, UserDataKey.wrapped_key)
        .join(UserDataKey, UserDataKey.user_id == ConnectedAccount.user_id)
        .where(ConnectedAccount.user_id.in_(wanted), ConnectedAccount.provider == Provider.DISCORD,
               ConnectedAccount.share_handle.is_(True)).limit(len(wanted))
    ).all()
    return {row.user_id: get_decrypted(row, "handle_encrypted", data_key=unwrap_user_key(row.user_id, wrapped)) or ""
            for row, wrapped in rows}


# -- disconnecting ---------------------------------------------------------------------------------


def disconnect(session: Session, actor: Actor | None, provider: object) -> str:
    """Revoke at the provider, then delete our tokens whatever the provider answered; returns what to tell."""
    actor = require(actor, Action.EDIT_OWN_ACCOUNT)
    provider = _provider(provider)
    row = _connection(session, actor.user_id, provider)
    name = PROVIDER_NAMES[Provider(provider)]
    if row is None:
        return f"{name} is not connected."
    revoked = _revoke_and_delete(session, row)
    if not revoked:
        return (f"{name} is disconnected and the studio's copy of your tokens is deleted, but {name} could not be "
                f"reached to revoke them: you can also remove Azekia Studio from the connected apps in your {name} "
                "settings.")
    return f"{name} is disconnected: the studio's access was revoked and its tokens deleted."


def _revoke_and_delete(session: Session, row: ConnectedAccount) -> bool:
    data_key = data_key_of(session, row.user_id)
    revoked = True
    try:
        client = provider_clients.client(row.provider)
        # Discord revokes the grant from either token; TikTok's revoke takes the access token.
        # https://discord.com/developers/docs/topics/oauth2#authorization-code-grant-token-revocation-example
        # https://developers.tiktok.com/doc/oauth-user-access-token-management (Revoke access)
        client.revoke(get_decrypted(row, "access_token_encrypted", data_key=data_key))
    except ProviderError as error:
        # A grant the provider already dropped is as good as revoked.
        revoked = error.needs_reconnect
        if not revoked:
            logger.warning("%s revocation failed: %s", row.provider, error.code)
    if row.provider == Provider.DISCORD:
        session.execute(sa.update(DiscordOutbox).where(DiscordOutbox.user_id == row.user_id,
                                                       DiscordOutbox.status == OutboxStatus.PENDING)
                        .values(status=OutboxStatus.CANCELLED, last_error="Discord was disconnected."))
    session.delete(row)
    audit.record_event(session, "connection.disconnected", actor_id=row.user_id,
                       details={"provider": row.provider, "revoked": revoked})
    return revoked


@register_revocation_hook
def revoke_all_on_erasure(session: Session, user_id: str) -> None:
    """Account erasure: every connection is revoked at its provider (before the data key is shredded)."""
    revoke_all(session, user_id)


def revoke_all(session: Session, user_id: str) -> list[bool]:
    """Every connection of this person revoked at its provider and deleted (erasure, breach containment); for
    each, whether the provider confirmed the revocation."""
    rows = session.exec(select(ConnectedAccount).where(ConnectedAccount.user_id == user_id).limit(len(Provider))).all()
    return [_revoke_and_delete(session, row) for row in rows]


# -- helpers ---------------------------------------------------------------------------------------


def _provider(provider: object) -> str:
    if provider not in (Provider.DISCORD, Provider.TIKTOK):
        raise InvalidInput("provider", "Choose Discord or TikTok.")
    return str(provider)


def _connection(session: Session, user_id: str, provider: str) -> ConnectedAccount | None:
    return session.exec(select(ConnectedAccount).where(ConnectedAccount.user_id == user_id,
                                                       ConnectedAccount.provider == provider)).first()


def require_channel_manager(session: Session, actor: Actor | None, project_id: object) -> Actor:
    """A producer of the project connects and disconnects its announcements channel."""
    actor = require_signed_in(actor)
    role = None
    if is_row_id(project_id):
        role = session.exec(select(ProjectMember.role).where(
            ProjectMember.project_id == project_id, ProjectMember.user_id == actor.user_id,
            ProjectMember.removed_at.is_(None))).first()
    return require_in_project(actor, Action.MANAGE_PROJECT_CHANNEL, role)
