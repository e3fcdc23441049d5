"""Export completeness: every table and every registered personal column is accounted for, and for two
people with data of every kind, the archive holds every value of the person and nothing of anyone else."""

import importlib
import json
import pkgutil
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

import studio_app.models
from studio_app.database import session_scope
from studio_app.models.base import new_id, utcnow
from studio_app.models.media import MediaAsset, MediaKind
from studio_app.models.privacy import Announcement, AnnouncementDelivery, PolicyDocument, PolicyNotice
from studio_app.security.personal_data import personal_fields
from studio_app.services import (
    accounts,
    admin_users,
    background,
    derush,
    discord_messages,
    exports,
    files,
    invitations,
    mail_requests,
    media,
    notifications,
    privacy,
    privacy_requests,
    profiles,
    projects,
    publications,
    review,
    threads,
    uploads,
)
from studio_app.services.sessions import ClientInfo
from tests.support.accounts import STRONG_PASSWORD, signed_in
from tests.support.connections import raw_channel, raw_connection
from tests.support.exports import exported, open_archive
from tests.support.media import add_media, media_asset
from tests.support.projects import add_editor, call, in_days, new_project, person


def all_tables() -> set[str]:
    for module in pkgutil.iter_modules(studio_app.models.__path__):
        importlib.import_module(f"studio_app.models.{module.name}")
    return set(SQLModel.metadata.tables)


def test_every_table_is_exported_or_says_why_not():
    tables = all_tables()
    assert not set(exports.EXPORTERS) & set(exports.NOT_EXPORTED)
    assert tables == set(exports.EXPORTERS) | set(exports.NOT_EXPORTED), "a table with no export decision"
    assert all(exports.NOT_EXPORTED[table].strip() for table in exports.NOT_EXPORTED)


def test_every_registered_personal_column_has_an_exporter():
    assert set(exports.WITHHELD_COLUMNS) <= {(field.table, field.column) for field in personal_fields()}
    for field in personal_fields():
        if (field.table, field.column) in exports.WITHHELD_COLUMNS:
            assert exports.WITHHELD_COLUMNS[field.table, field.column].strip()
            continue
        exported_columns = {column for exporter in exports.EXPORTERS.get(field.table, ())
                            for column in exporter.sealed_columns}
        assert field.column in exported_columns, f"{field.table}.{field.column} is personal data with no exporter"


def test_every_exporter_writes_a_documented_file():
    for exporters in exports.EXPORTERS.values():
        assert all(exporter.file in exports.FILES and exporter.file in exports.FIELDS for exporter in exporters)
    assert set(exports.FILES) == set(exports.FIELDS)


class World:
    """Data of every kind for people, each value recorded with who it belongs to."""

    def __init__(self, settings):
        self.settings = settings
        self.values: list[tuple[frozenset[str], str, str, str]] = []  # (owners, table, column, value)
        self.blobs: list[tuple[frozenset[str], bytes]] = []
        self.admin = self._admin()

    def own(self, owners, table: str, column: str, value: str) -> str:
        self.values.append((frozenset(actor.user_id for actor in owners), table, column, value))
        return value

    def _admin(self):
        email = "admin@example.com"
        call(accounts.create_admin, email, STRONG_PASSWORD, "Ada Admin")
        return signed_in(self.settings, email)[1]

    def pair(self, tag: str):
        """A producer and an editor working on a project, with everything the app keeps about them."""
        settings, mark = self.settings, f"{tag}-{uuid.uuid4().hex[:6]}"
        people = {}
        for role in ("producer", "editor"):
            email, name = f"{mark}-{role}@example.com", f"{mark} {role} name"
            actor = person(settings, email, role=role, name=name)
            self.own([actor], "user_account", "email_encrypted", email)
            self.own([actor], "user_account", "display_name_encrypted", name)
            client = ClientInfo(ip_address=f"2001:db8::{uuid.uuid4().hex[:4]}", user_agent=f"{mark} {role} browser")
            signed_in(settings, email, client=client)
            self.own([actor], "user_session", "ip_address_encrypted", client.ip_address)
            self.own([actor], "user_session", "user_agent_encrypted", client.user_agent)
            new_email = self.own([actor], "one_time_token", "new_email_encrypted", f"{mark}-{role}-new@example.com")
            call(accounts.request_email_change, settings, actor, STRONG_PASSWORD, new_email)
            background.wait_until_idle()  # its link is written after the answer
            people[role] = actor
        producer, editor = people["producer"], people["editor"]

        call(profiles.save_editor_profile, editor,
             headline=self.own([editor], "editor_profile", "headline_encrypted", f"{mark} headline"),
             portfolio_links=[self.own([editor], "editor_profile", "portfolio_links_encrypted",
                                       f"https://example.com/{mark}-reel")],
             skills=["short-form"], languages=["fr"], software=["CapCut"], day_rate_cents=30_000, currency="EUR",
             availability="available", listed=True)

        project = new_project(producer, self.own([producer, editor], "project", "title_encrypted", f"{mark} title"),
                              brief_markdown=self.own([producer], "project", "brief_encrypted", f"{mark} brief"))
        add_editor(producer, editor, project.id)
        other = new_project(producer, self.own([producer], "project", "title_encrypted", f"{mark} second title"))
        # By email: the editor's own address (theirs), and a stranger's (nobody's here: never exported).
        with session_scope() as session:
            invitations.invite_editor(session, settings, producer, other.id, email=f"{mark}-editor@example.com")
        self.own([editor], "invitation", "invitee_email_encrypted", f"{mark}-editor@example.com")
        stranger = self.own([], "invitation", "invitee_email_encrypted", f"{mark}-stranger@example.com")
        with session_scope() as session:
            invitations.invite_editor(session, settings, producer, project.id, email=stranger)

        call(projects.add_milestone, producer, project.id,
             self.own([producer, editor], "milestone", "title_encrypted", f"{mark} editor milestone"), in_days(5),
             editor.user_id)
        call(projects.add_milestone, producer, project.id,
             self.own([producer], "milestone", "title_encrypted", f"{mark} producer milestone"), in_days(6),
             producer.user_id)
        call(projects.change_stage, producer, project.id, "derush")
        for actor, role in ((producer, "producer"), (editor, "editor")):
            body = self.own([actor], "message", "body_encrypted", f"{mark} {role} message")
            call(threads.post_message, actor, project.id, body, idempotency_key=new_id())
        call(threads.mark_thread_read, editor, project.id)

        version_id = self._derush_and_review(mark, producer, editor, project.id)
        for actor, role, project_id in ((producer, "producer", None), (editor, "editor", project.id)):
            name = self.own([actor], "stored_file", "name_encrypted", f"{mark} {role} upload.txt")
            content = f"{mark} {role} file content".encode()
            self.blobs.append((frozenset({actor.user_id}), content))
            call(files.store_file, actor, project_id=project_id, name=name, content_type="text/plain",
                 chunks=[content])

        call(uploads.create_upload, editor, settings, project_id=project.id, kind="rush", length=1000,
             filename=self.own([editor], "upload", "name_encrypted", f"{mark} editor rush.mp4"))
        refused = add_media(editor, project.id, self.own([editor], "media_asset", "refused_name_encrypted",
                                                         f"{mark} editor refused.mp4"), status="processing")
        with session_scope() as session:  # processing found it was no video: the original is gone, the name stays
            media.refuse(session, refused, "This file is not a video we can read.")

        for actor, role in ((producer, "producer"), (editor, "editor")):
            details = self.own([actor], "privacy_request", "details_encrypted", f"{mark} {role} question")
            request = call(privacy_requests.submit_request, actor, "question", details)
            answer = self.own([actor], "privacy_request", "answer_encrypted", f"{mark} {role} answer")
            call(privacy_requests.answer_request, self.settings, self.admin, request.id, "done", answer)
            call(privacy.give_consent, actor, "marketing_email")
            call(privacy.withdraw_consent, actor, "marketing_email")
            call(notifications.set_preference, actor, "mention", "none")
        self._policy_and_news(producer, editor)
        self._connections(mark, producer, editor, project.id)
        self._suspension(mark, editor)
        with session_scope() as session:  # a message to the privacy address from someone without an account
            mail_requests.take_in(session, settings, mail_requests.Letter(
                message_key=uuid.uuid4().hex * 2,
                sender=self.own([], "inbound_mail", "sender_encrypted", f"{mark}-writer@example.org"),
                subject=self.own([], "inbound_mail", "subject_encrypted", f"{mark} mail subject"),
                body=self.own([], "inbound_mail", "body_encrypted", f"{mark} mail body")))
        self._publication(mark, producer, project.id, version_id)
        return producer, editor

    def _suspension(self, mark: str, actor) -> None:
        call(accounts.reauthenticate, self.admin, STRONG_PASSWORD)
        call(admin_users.suspend_user, self.admin, actor.user_id,
             self.own([actor], "account_suspension", "reason_encrypted", f"{mark} suspension reason"))
        call(admin_users.restore_user, self.admin, actor.user_id,
             self.own([actor], "account_suspension", "restore_reason_encrypted", f"{mark} restore reason"))

    def _connections(self, mark: str, producer, editor, project_id: str) -> None:
        """Rows as the OAuth callbacks and the Discord outbox write them (their flows are tested against the
        sandbox in test_connections.py and test_discord_messages.py)."""
        for actor, role in ((producer, "producer"), (editor, "editor")):
            for provider in ("discord", "tiktok"):
                raw_connection(actor, provider,
                               external_id=self.own([actor], "connected_account", "external_id_encrypted",
                                                    f"{mark}-{role}-{provider}-id"),
                               handle=self.own([actor], "connected_account", "handle_encrypted",
                                               f"{mark} {role} {provider} name"),
                               access=self.own([actor], "connected_account", "access_token_encrypted",
                                               f"{mark}-{role}-{provider}-access"),
                               refresh=self.own([actor], "connected_account", "refresh_token_encrypted",
                                                f"{mark}-{role}-{provider}-refresh"))
            text = f"{mark} {role} discord message"
            self.own([actor], "discord_outbox", "text_encrypted", f"{text}\n{self.settings.public_url}/x")  # linked
            with session_scope() as session:
                discord_messages.queue_messages(session, [(actor.user_id, "invitation", text, "/x")])
        raw_channel(producer, project_id, f"{mark} channel")

    def _publication(self, mark: str, producer, project_id: str, version_id: str) -> None:
        """A producer's announcement on the project channel, scheduled for tomorrow (the flow runs against the
        sandbox in tests/integration/publications)."""
        with session_scope() as session:
            session.get(MediaAsset, version_id).approved_at = utcnow()
        call(publications.schedule, producer, project_id, version_id, destinations=["discord"],
             caption=self.own([producer], "publication", "caption_encrypted", f"{mark} producer caption"),
             when=(utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"), time_zone="UTC", consent=True)

    def _derush_and_review(self, mark: str, producer, editor, project_id: str) -> None:
        rush = media_asset(editor, project_id, media_info={"scene_cuts": [2.0], "silences": [[5.0, 6.0]]})
        version = media_asset(editor, project_id, kind=MediaKind.VERSION, version_number=1)
        scene, silence = call(derush.suggestions, producer, rush.id)[:2]
        call(derush.accept_suggestion, producer, rush.id, scene.key)
        call(derush.discard_suggestion, editor, rush.id, silence.key)
        comments = []
        for number, (actor, role) in enumerate(((producer, "producer"), (editor, "editor"))):
            call(derush.add_selection, actor, rush.id, in_frame=number * 10, out_frame=number * 10 + 5,
                 note=self.own([actor], "derush_selection", "note_encrypted", f"{mark} {role} derush note"))
            body = self.own([actor], "review_comment", "body_encrypted", f"{mark} {role} review comment")
            comments.append(call(review.add_comment, actor, version.id, body, at_ms=1000 * number))
        call(review.reply_to_comment, editor, comments[0].id,
             self.own([editor], "review_comment", "body_encrypted", f"{mark} editor reply"))
        call(review.resolve_comment, producer, comments[1].id)
        return version.id

    def _policy_and_news(self, *people):
        with session_scope() as session:
            document = PolicyDocument(id=new_id(), kind="privacy", version=len(self.values), body_markdown="Policy",
                                      effective_at=utcnow() + timedelta(days=30), significant=True)
            news = Announcement(id=new_id(), subject="News", body_markdown="Hello", sent_at=utcnow())
            session.add_all([document, news])
            session.flush()
            for actor in people:
                session.add(PolicyNotice(document_id=document.id, user_id=actor.user_id, emailed_at=utcnow()))
                session.add(AnnouncementDelivery(announcement_id=news.id, user_id=actor.user_id))


def user_references(table: sa.Table) -> list[sa.Column]:
    return [column for column in table.columns
            if any(key.column.table.name == "user_account" for key in column.foreign_keys)]


@pytest.fixture
def world(settings):
    world = World(settings)
    mine = world.pair("one")
    world.pair("two")  # somebody else's data of every kind, in the same database
    return world, mine


def test_the_archive_holds_every_value_of_the_person_and_nothing_of_anyone_else(world):
    world, (producer, editor) = world
    registered = {(field.table, field.column) for field in personal_fields()}
    assert registered <= {(table, column) for _, table, column, _ in world.values}, \
        "a registered column without test data: add it to World.pair"
    archives = {actor.user_id: exported(actor) for actor in (producer, editor)}

    types_seen = set()
    for user_id, row in archives.items():
        assert row.status == "ready"
        archive = open_archive(row)
        members = {name: archive.read(name) for name in archive.namelist()}
        text = "\n".join(data.decode() for name, data in members.items() if name.endswith(".json"))
        for owners, table, column, value in world.values:
            quoted = json.dumps(value, ensure_ascii=False)
            if user_id in owners and (table, column) not in exports.WITHHELD_COLUMNS:
                assert quoted in text, f"{table}.{column} of this person is missing: {value}"
            else:
                assert quoted not in text, f"{table}.{column} of someone else was exported: {value}"
                assert value.encode() not in b"".join(members.values())
        for owners, content in world.blobs:
            held = any(data == content for name, data in members.items() if name.startswith("files/"))
            assert held == (user_id in owners)
        for name in exports.FILES:
            for item in json.loads(members[f"{name}.json"])["items"]:
                documented = exports.FIELDS[name][item["type"]]
                assert set(item) - {"type"} == set(documented), f"{name}.json {item['type']}: undocumented fields"
                types_seen.add((name, item["type"]))
        readme = members["README.md"].decode()
        assert all(f"`{field}`" in readme for fields in exports.FIELDS.values() for documented in fields.values()
                   for field in documented)
    every_type = {(name, item_type) for name, types in exports.FIELDS.items() for item_type in types}
    assert types_seen == every_type, f"exporters that wrote nothing: {every_type - types_seen}"

    # Walk every table: each one that refers to people holds rows of the two exported, so none went untested.
    tables = SQLModel.metadata.tables
    with session_scope() as session:
        for table_name in exports.EXPORTERS:
            references = user_references(tables[table_name])
            if not references:
                continue
            mine = sa.or_(*(column.in_([producer.user_id, editor.user_id]) for column in references))
            count = session.execute(sa.select(sa.func.count()).select_from(tables[table_name]).where(mine)).scalar()
            assert count > 0, f"no {table_name} rows for the exported people"
