"""What goes into the archive: one exporter per table that holds something of a person (a table may feed two
files), declared once in :data:`EXPORTERS`. Tests check it against the personal-data register and the schema,
so a new personal column without an exporter fails them. Nothing of anyone else is exported: not other people's
names, emails or messages; for a project the person works on, its title (the producer also gets the brief).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session, select

from studio_app.models.accounts import Consent, OneTimeToken, TokenPurpose, User, UserSession
from studio_app.models.admin import AccountSuspension
from studio_app.models.connections import ConnectedAccount, DiscordOutbox, ProjectChannel
from studio_app.models.files import StoredFile
from studio_app.models.media import MediaAsset
from studio_app.models.privacy import AnnouncementDelivery, DataExport, PolicyDocument, PolicyNotice, PrivacyRequest
from studio_app.models.projects import (
    EditorProfile,
    Invitation,
    Message,
    Milestone,
    Notification,
    NotificationPreference,
    Project,
    ProjectEvent,
    ProjectMember,
    ThreadReadMarker,
)
from studio_app.models.publications import Publication, PublicationDestination
from studio_app.models.review import DerushSelection, DerushSuggestionDecision, ReviewComment
from studio_app.models.uploads import Upload
from studio_app.security.crypto import DataKey, decrypt_field
from studio_app.security.fields import get_decrypted
from studio_app.services import notifications
from studio_app.services.keys import project_keys_of

if TYPE_CHECKING:  # the archive writer calls the exporters: only their signatures name its types
    from studio_app.services.exports.archive import Items, Run

BATCH = 500


@dataclasses.dataclass(frozen=True)
class Exporter:
    file: str
    sealed_columns: tuple[str, ...]  # the register's columns of its table that it writes out, decrypted
    write: Callable[[Run, Items], None]


def _account_identity(run: Run, items: Items) -> None:
    user = run.session.get(User, run.user_id)
    items.add("account", id=user.id, display_name=get_decrypted(user, "display_name_encrypted", data_key=run.key),
              role=user.role, created_at=user.created_at)


def _account_contact(run: Run, items: Items) -> None:
    user = run.session.get(User, run.user_id)
    items.add("email", email=get_decrypted(user, "email_encrypted", data_key=run.key),
              verified_at=user.email_verified_at)


def _suspensions(run: Run, items: Items) -> None:
    for row in run.session.exec(select(AccountSuspension).where(AccountSuspension.user_id == run.user_id)
                                .order_by(AccountSuspension.suspended_at)).all():
        items.add("suspension", suspended_at=row.suspended_at,
                  reason=get_decrypted(row, "reason_encrypted", data_key=run.key), restored_at=row.restored_at,
                  restore_reason=get_decrypted(row, "restore_reason_encrypted", data_key=run.key))


def _policy_acceptance(run: Run, items: Items) -> None:
    user = run.session.get(User, run.user_id)
    items.add("privacy_policy_accepted", version=user.privacy_policy_version,
              accepted_at=user.privacy_policy_accepted_at)


def _editor_profile(run: Run, items: Items) -> None:
    profile = run.session.get(EditorProfile, run.user_id)
    if profile is None:
        return
    links = get_decrypted(profile, "portfolio_links_encrypted", data_key=run.key)
    items.add("editor_profile", headline=get_decrypted(profile, "headline_encrypted", data_key=run.key) or "",
              portfolio_links=json.loads(links) if links else [], skills=profile.skills, languages=profile.languages,
              software=profile.software, day_rate_cents=profile.day_rate_cents, currency=profile.currency,
              availability=profile.availability, listed=profile.listed, updated_at=profile.updated_at)


def _sessions(run: Run, items: Items) -> None:
    rows = run.session.exec(select(UserSession).where(UserSession.user_id == run.user_id)
                            .order_by(UserSession.created_at)).all()
    for row in rows:
        items.add("session", id=row.id, created_at=row.created_at, last_used_at=row.last_used_at,
                  idle_expires_at=row.idle_expires_at, absolute_expires_at=row.absolute_expires_at,
                  revoked_at=row.revoked_at, reauthenticated_at=row.reauthenticated_at,
                  ip_address=get_decrypted(row, "ip_address_encrypted", data_key=run.key),
                  user_agent=get_decrypted(row, "user_agent_encrypted", data_key=run.key))


def _tokens(session: Session, user_id: str) -> list[OneTimeToken]:
    return list(session.exec(select(OneTimeToken).where(OneTimeToken.user_id == user_id)
                             .order_by(OneTimeToken.created_at)).all())


def _email_changes(run: Run, items: Items) -> None:
    for row in _tokens(run.session, run.user_id):
        if row.purpose == TokenPurpose.CHANGE_EMAIL:
            items.add("email_change", new_email=get_decrypted(row, "new_email_encrypted", data_key=run.key),
                      created_at=row.created_at, expires_at=row.expires_at, used_at=row.used_at)


def _one_time_links(run: Run, items: Items) -> None:
    for row in _tokens(run.session, run.user_id):
        items.add("one_time_link", purpose=row.purpose, created_at=row.created_at, expires_at=row.expires_at,
                  used_at=row.used_at)


def _invitations_received(run: Run, items: Items) -> None:
    user = run.session.get(User, run.user_id)
    rows = run.session.exec(select(Invitation).where(sa.or_(Invitation.invitee_id == run.user_id,
                                                            Invitation.invitee_email_index == user.email_index))
                            .order_by(Invitation.created_at)).all()
    keys = run.project_keys(row.project_id for row in rows)
    for row in rows:
        key = keys.get(row.project_id)
        items.add("invitation_received", id=row.id, project_id=row.project_id,
                  email=get_decrypted(row, "invitee_email_encrypted", data_key=key) if key else None,
                  status=row.status, created_at=row.created_at, responded_at=row.responded_at)


def _invitations_sent(run: Run, items: Items) -> None:
    rows = run.session.exec(select(Invitation).where(Invitation.inviter_id == run.user_id)
                            .order_by(Invitation.created_at)).all()
    for row in rows:  # who was invited (an account or an email) is the other person's data: left out
        items.add("invitation_sent", id=row.id, project_id=row.project_id, status=row.status,
                  created_at=row.created_at, responded_at=row.responded_at)


def _projects(run: Run, items: Items) -> None:
    rows = run.session.exec(select(ProjectMember, Project).join(Project, Project.id == ProjectMember.project_id)
                            .where(ProjectMember.user_id == run.user_id).order_by(ProjectMember.joined_at)).all()
    keys = run.project_keys(project.id for _, project in rows)
    for member, project in rows:
        key = keys[project.id]
        mine = project.producer_id == run.user_id
        items.add("project", id=project.id, your_role=member.role, joined_at=member.joined_at,
                  removed_at=member.removed_at, title=get_decrypted(project, "title_encrypted", data_key=key),
                  brief_markdown=get_decrypted(project, "brief_encrypted", data_key=key) if mine else None,
                  stage=project.stage, platforms=project.platforms, video_format=project.video_format,
                  deadline=project.deadline, created_at=project.created_at)


def _milestones(run: Run, items: Items) -> None:
    produced = select(Project.id).where(Project.producer_id == run.user_id)
    rows = run.session.exec(select(Milestone).where(sa.or_(Milestone.project_id.in_(produced),
                                                           Milestone.owner_id == run.user_id))
                            .order_by(Milestone.due_on, Milestone.id)).all()
    keys = run.project_keys(row.project_id for row in rows)
    for row in rows:
        items.add("milestone", id=row.id, project_id=row.project_id,
                  title=get_decrypted(row, "title_encrypted", data_key=keys[row.project_id]), due_on=row.due_on,
                  assigned_to_you=row.owner_id == run.user_id, done_at=row.done_at, created_at=row.created_at)


def _project_activity(run: Run, items: Items) -> None:
    rows = run.session.execute(select(ProjectEvent.project_id, ProjectEvent.kind, ProjectEvent.created_at)
                               .where(ProjectEvent.actor_id == run.user_id)
                               .order_by(ProjectEvent.created_at).execution_options(yield_per=BATCH))
    for project_id, kind, created_at in rows:
        items.add("activity", project_id=project_id, kind=kind, created_at=created_at)


def _read_markers(run: Run, items: Items) -> None:
    for row in run.session.exec(select(ThreadReadMarker).where(ThreadReadMarker.user_id == run.user_id)).all():
        items.add("thread_read", project_id=row.project_id, last_read_at=row.last_read_at)


def _notifications(run: Run, items: Items) -> None:
    rows = run.session.execute(select(Notification.kind, Notification.project_id, Notification.created_at,
                                      Notification.read_at, Notification.emailed_at)
                               .where(Notification.user_id == run.user_id)
                               .order_by(Notification.created_at).execution_options(yield_per=BATCH))
    for kind, project_id, created_at, read_at, emailed_at in rows:
        items.add("notification", kind=kind, project_id=project_id, created_at=created_at, read_at=read_at,
                  emailed_at=emailed_at)


def _messages(run: Run, items: Items) -> None:
    """The messages the person wrote, streamed from the database in batches, never all in memory."""
    rows = run.session.execute(
        select(Message.id, Message.project_id, Message.reply_to_id, Message.created_at, Message.edited_at,
               Message.deleted_at, Message.body_encrypted)
        .where(Message.author_id == run.user_id).order_by(Message.created_at, Message.id)
        .execution_options(yield_per=BATCH)
    )
    for partition in rows.partitions():
        keys = run.project_keys({row[1] for row in partition})
        items.add_all([
            {"type": "message", "id": message_id, "project_id": project_id, "reply_to_id": reply_to_id,
             "body": None if body is None else decrypt_field(keys[project_id], bytes(body), table="message",
                                                             column="body_encrypted", row_id=message_id),
             "created_at": created_at.isoformat(), "edited_at": edited_at, "deleted_at": deleted_at}
            for message_id, project_id, reply_to_id, created_at, edited_at, deleted_at, body in partition
        ])
        run.progress.advance(len(partition))


def _derush_selections(run: Run, items: Items) -> None:
    rows = run.session.exec(select(DerushSelection).where(DerushSelection.created_by == run.user_id)
                            .order_by(DerushSelection.created_at, DerushSelection.id)).all()
    keys = run.project_keys(row.project_id for row in rows)
    for row in rows:
        items.add("derush_selection", id=row.id, project_id=row.project_id, rush_id=row.asset_id,
                  in_frame=row.in_frame, out_frame=row.out_frame, label=row.label, rating=row.rating,
                  note=get_decrypted(row, "note_encrypted", data_key=keys[row.project_id]),
                  from_suggestion=row.from_suggestion, created_at=row.created_at, updated_at=row.updated_at)


def _derush_decisions(run: Run, items: Items) -> None:
    for row in run.session.exec(select(DerushSuggestionDecision).where(DerushSuggestionDecision.decided_by
                                                                       == run.user_id)
                                .order_by(DerushSuggestionDecision.decided_at)).all():
        items.add("derush_decision", rush_id=row.asset_id, suggestion=row.suggestion_key, accepted=row.accepted,
                  decided_at=row.decided_at)


def _review_comments(run: Run, items: Items) -> None:
    rows = run.session.exec(select(ReviewComment).where(ReviewComment.author_id == run.user_id)
                            .order_by(ReviewComment.created_at, ReviewComment.id)).all()
    keys = run.project_keys(row.project_id for row in rows)
    for row in rows:
        items.add("review_comment", id=row.id, project_id=row.project_id, version_id=row.asset_id,
                  reply_to_id=row.parent_id, at_ms=row.at_ms, end_ms=row.end_ms,
                  body=get_decrypted(row, "body_encrypted", data_key=keys[row.project_id]),
                  resolved_at=row.resolved_at, created_at=row.created_at)


def _files_index(run: Run, items: Items) -> None:
    for row in stored_files(run):
        name = get_decrypted(row, "name_encrypted", data_key=file_key(run, row))
        items.add("file", id=row.id, name=name, content_type=row.content_type, size_bytes=row.size_bytes,
                  sha256=row.sha256, project_id=row.project_id, created_at=row.created_at,
                  path=archive_path(row, name))


def _media(run: Run, items: Items) -> None:
    rows = run.session.exec(select(MediaAsset).where(MediaAsset.uploaded_by == run.user_id)
                            .order_by(MediaAsset.created_at).limit(10_000)).all()
    keys = run.project_keys({row.project_id for row in rows})
    for row in rows:
        items.add("media", id=row.id, file_id=row.file_id, project_id=row.project_id, kind=row.kind,
                  refused_name=get_decrypted(row, "refused_name_encrypted", data_key=keys[row.project_id]),
                  failure_reason=row.failure_reason,
                  version_number=row.version_number, status=row.status, duration_ms=row.duration_ms, width=row.width,
                  height=row.height, frame_rate=row.frame_rate, approved_at=row.approved_at,
                  created_at=row.created_at)


def _uploads_in_progress(run: Run, items: Items) -> None:
    rows = run.session.exec(select(Upload).where(Upload.owner_id == run.user_id).order_by(Upload.created_at)
                            .limit(10_000)).all()
    keys = run.project_keys({row.project_id for row in rows})
    for row in rows:
        items.add("upload_in_progress", id=row.id, project_id=row.project_id, kind=row.kind,
                  name=get_decrypted(row, "name_encrypted", data_key=keys[row.project_id]),
                  size_bytes=row.declared_length, received_bytes=row.received_bytes, state=row.state,
                  created_at=row.created_at, expires_at=row.expires_at)


def _notification_preferences(run: Run, items: Items) -> None:
    chosen = dict(run.session.exec(select(NotificationPreference.kind, NotificationPreference.channel)
                                   .where(NotificationPreference.user_id == run.user_id)).all())
    for kind in notifications.KINDS:
        items.add("notification_preference", kind=kind, channel=chosen.get(kind, notifications.DEFAULT_CHANNELS[kind]),
                  chosen_by_you=kind in chosen)


def _consents(run: Run, items: Items) -> None:
    for row in run.session.exec(select(Consent).where(Consent.user_id == run.user_id)
                                .order_by(Consent.given_at)).all():
        items.add("consent", kind=row.kind, given_at=row.given_at, withdrawn_at=row.withdrawn_at)


def _policy_notices(run: Run, items: Items) -> None:
    rows = run.session.exec(select(PolicyNotice, PolicyDocument.kind, PolicyDocument.version)
                            .join(PolicyDocument, PolicyDocument.id == PolicyNotice.document_id)
                            .where(PolicyNotice.user_id == run.user_id)).all()
    for notice, kind, version in rows:
        items.add("policy_notice", policy=kind, version=version, emailed_at=notice.emailed_at,
                  acknowledged_at=notice.acknowledged_at)


def _announcements_received(run: Run, items: Items) -> None:
    for row in run.session.exec(select(AnnouncementDelivery).where(AnnouncementDelivery.user_id == run.user_id)
                                .order_by(AnnouncementDelivery.sent_at)).all():
        items.add("announcement_received", announcement_id=row.announcement_id, sent_at=row.sent_at)


def _privacy_requests(run: Run, items: Items) -> None:
    for row in run.session.exec(select(PrivacyRequest).where(PrivacyRequest.user_id == run.user_id)
                                .order_by(PrivacyRequest.created_at)).all():
        items.add("privacy_request", id=row.id, kind=row.kind, self_served=row.self_served, status=row.status,
                  details=get_decrypted(row, "details_encrypted", data_key=run.key),
                  answer=get_decrypted(row, "answer_encrypted", data_key=run.key),
                  created_at=row.created_at, due_at=row.due_at, closed_at=row.closed_at)


def _data_exports(run: Run, items: Items) -> None:
    for row in run.session.exec(select(DataExport).where(DataExport.user_id == run.user_id)
                                .order_by(DataExport.created_at)).all():
        items.add("data_export", id=row.id, status=row.status, created_at=row.created_at,
                  finished_at=row.finished_at, expires_at=row.expires_at, downloaded_at=row.downloaded_at)


def _connected_accounts(run: Run, items: Items) -> None:
    """Never the tokens (schema.WITHHELD_COLUMNS): they are keys to the person's account elsewhere."""
    for row in run.session.exec(select(ConnectedAccount).where(ConnectedAccount.user_id == run.user_id)
                                .order_by(ConnectedAccount.connected_at)).all():
        items.add("connected_account", provider=row.provider,
                  account_id=get_decrypted(row, "external_id_encrypted", data_key=run.key),
                  name=get_decrypted(row, "handle_encrypted", data_key=run.key) or "", scopes=row.scopes.split(),
                  status=row.status, sandbox=row.sandbox, name_shown_to_coworkers=row.share_handle,
                  connected_at=row.connected_at, refreshed_at=row.refreshed_at)


def _project_channels(run: Run, items: Items) -> None:
    rows = run.session.exec(select(ProjectChannel).where(ProjectChannel.connected_by == run.user_id)
                            .order_by(ProjectChannel.connected_at)).all()
    keys = project_keys_of(run.session, (row.project_id for row in rows))
    for row in rows:
        items.add("project_channel", project_id=row.project_id,
                  channel_name=get_decrypted(row, "channel_name_encrypted", data_key=keys[row.project_id]) or "",
                  status=row.status, sandbox=row.sandbox, connected_at=row.connected_at)


def _discord_messages(run: Run, items: Items) -> None:
    for row in run.session.exec(select(DiscordOutbox).where(DiscordOutbox.user_id == run.user_id)
                                .order_by(DiscordOutbox.created_at)).all():
        items.add("discord_message", kind=row.kind, text=get_decrypted(row, "text_encrypted", data_key=run.key),
                  status=row.status, created_at=row.created_at, sent_at=row.sent_at)


def _publications(run: Run, items: Items) -> None:
    """The publications the person scheduled, with where each went and how it ended (no provider tokens)."""
    rows = run.session.exec(select(Publication).where(Publication.created_by == run.user_id)
                            .order_by(Publication.created_at, Publication.id)).all()
    keys = project_keys_of(run.session, (row.project_id for row in rows))
    destinations: dict[str, list[dict]] = {row.id: [] for row in rows}
    if rows:
        for row in run.session.exec(select(PublicationDestination).where(
                PublicationDestination.publication_id.in_(list(destinations)))
                .order_by(PublicationDestination.destination)).all():
            destinations[row.publication_id].append({
                "destination": row.destination, "status": row.status, "sandbox": row.sandbox,
                "privacy_level": row.privacy_level, "post_url": row.post_url, "failure_reason": row.failure_reason})
    for row in rows:
        items.add("publication", id=row.id, project_id=row.project_id, version_id=row.media_asset_id,
                  caption=get_decrypted(row, "caption_encrypted", data_key=keys[row.project_id]),
                  scheduled_for=row.scheduled_for, time_zone=row.time_zone, status=row.status,
                  cover_ms=row.cover_ms, created_at=row.created_at, destinations=destinations[row.id])


_TOKENS_CONTACT = Exporter("contact", ("new_email_encrypted",), _email_changes)
_PROJECTS = Exporter("content", ("title_encrypted", "brief_encrypted"), _projects)
_STORED_FILES = Exporter("files", ("name_encrypted",), _files_index)
_PUBLICATIONS = Exporter("publications", ("caption_encrypted",), _publications)

# Every table that holds something of a person, and how it reaches the archive. The builder walks this.
EXPORTERS: dict[str, tuple[Exporter, ...]] = {
    "user_account": (Exporter("identity", ("display_name_encrypted",), _account_identity),
                     Exporter("contact", ("email_encrypted",), _account_contact),
                     Exporter("preferences", (), _policy_acceptance)),
    "account_suspension": (Exporter("identity", ("reason_encrypted", "restore_reason_encrypted"), _suspensions),),
    "editor_profile": (Exporter("profile", ("headline_encrypted", "portfolio_links_encrypted"), _editor_profile),),
    "one_time_token": (_TOKENS_CONTACT, Exporter("technical", (), _one_time_links)),
    "invitation": (Exporter("contact", ("invitee_email_encrypted",), _invitations_received),
                   Exporter("content", (), _invitations_sent)),
    "user_session": (Exporter("technical", ("ip_address_encrypted", "user_agent_encrypted"), _sessions),),
    "project": (_PROJECTS,),
    "project_member": (_PROJECTS,),
    "milestone": (Exporter("content", ("title_encrypted",), _milestones),),
    "project_event": (Exporter("content", (), _project_activity),),
    "thread_read_marker": (Exporter("content", (), _read_markers),),
    "notification": (Exporter("content", (), _notifications),),
    "message": (Exporter("content", ("body_encrypted",), _messages),),
    "stored_file": (_STORED_FILES,),
    "derush_selection": (Exporter("content", ("note_encrypted",), _derush_selections),),
    "derush_suggestion_decision": (Exporter("content", (), _derush_decisions),),
    "review_comment": (Exporter("content", ("body_encrypted",), _review_comments),),
    "media_asset": (Exporter("files", ("refused_name_encrypted",), _media),),
    "upload": (Exporter("files", ("name_encrypted",), _uploads_in_progress),),
    "notification_preference": (Exporter("preferences", (), _notification_preferences),),
    "consent": (Exporter("preferences", (), _consents),),
    "policy_notice": (Exporter("preferences", (), _policy_notices),),
    "announcement_delivery": (Exporter("preferences", (), _announcements_received),),
    "privacy_request": (Exporter("requests", ("details_encrypted", "answer_encrypted"), _privacy_requests),),
    "data_export": (Exporter("requests", (), _data_exports),),
    "connected_account": (Exporter("connections", ("external_id_encrypted", "handle_encrypted"),
                                   _connected_accounts),),
    "project_channel": (Exporter("connections", (), _project_channels),),
    "discord_outbox": (Exporter("connections", ("text_encrypted",), _discord_messages),),
    "publication": (_PUBLICATIONS,),
    "publication_destination": (_PUBLICATIONS,),
}


def all_exporters() -> list[Exporter]:
    unique: list[Exporter] = []
    for exporters in EXPORTERS.values():
        unique += [exporter for exporter in exporters if exporter not in unique]
    return unique


def exporters_of_file(name: str) -> list[Exporter]:
    return [exporter for exporter in all_exporters() if exporter.file == name]


def work_units(session: Session, user_id: str) -> int:
    """Rough units of work, for the progress bar: one per message, one per 64 KiB of files, one per exporter."""
    messages = session.exec(select(sa.func.count()).select_from(Message).where(Message.author_id == user_id)).one()
    file_bytes = session.exec(select(sa.func.coalesce(sa.func.sum(StoredFile.size_bytes), 0))
                              .where(StoredFile.owner_id == user_id)).one()
    return messages + int(file_bytes) // 65536 + len(all_exporters()) + 1


def stored_files(run: Run) -> list[StoredFile]:
    # One row per file the person uploaded: few enough (each is a whole upload) to hold their rows.
    return list(run.session.exec(select(StoredFile).where(StoredFile.owner_id == run.user_id)
                                 .order_by(StoredFile.created_at, StoredFile.id)).all())


def file_key(run: Run, row: StoredFile) -> DataKey:
    if row.project_id is not None:
        return run.project_keys([row.project_id])[row.project_id]
    return run.key


def archive_path(row: StoredFile, name: str) -> str:
    safe = re.sub(r"[^\w.\- ]", "_", name).strip(" .")[:120] or "file"
    return f"files/{row.id}/{safe}"


