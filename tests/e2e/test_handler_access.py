"""The access matrix at the socket: every page handler that takes a project, message, milestone, invitation,
editor, session, version or publication id, called by an outsider, by the other party where the act is not theirs,
and signed out, changes nothing and shows nothing of the project."""

import asyncio
import json
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.accounts import UserSession
from studio_app.models.base import utcnow
from studio_app.models.connections import ProjectChannel
from studio_app.models.jobs import JobFailure
from studio_app.models.media import MediaAsset, MediaKind
from studio_app.models.projects import Invitation, Message, Milestone, Project, ProjectMember
from studio_app.models.publications import Publication
from studio_app.models.review import DerushSelection, DerushSuggestionDecision, ReviewComment
from studio_app.services import derush, job_failures, privacy_requests, projects, publications, review, threads
from studio_app.state.account import AccountState, SessionsState
from studio_app.state.admin_jobs import AdminJobsState
from studio_app.state.admin_operations import AdminOperationsState
from studio_app.state.connections import ProjectChannelState
from studio_app.state.derush import DerushState
from studio_app.state.hiring import DirectoryState
from studio_app.state.privacy_requests import PrivacyRequestsState
from studio_app.state.projects import InvitationLinkState, InvitationsState, ProjectState
from studio_app.state.publications import ProjectPublicationsState, PublicationState
from studio_app.state.review import ReviewState
from studio_app.state.signed_out import SignedOutState
from studio_app.state.thread import ThreadState
from tests.support.accounts import STRONG_PASSWORD
from tests.support.connections import raw_channel
from tests.support.live_clients import LiveClient, handler_name, run_in_own_loop, services_of, session_cookie
from tests.support.media import media_asset
from tests.support.projects import add_editor, call, in_days, invite, new_project, person

SECRET_TITLE = "Confidential launch"
SECRET_WORDS = "the password is swordfish"


@pytest.fixture(scope="module")
def world(app):
    """A producer's project with an editor, a message, a milestone and a pending invitation; an outsider."""
    with services_of(app.data_dir):
        from studio_app.settings import current_settings

        settings = current_settings()
        producer = person(settings, "matrix-pro@example.com", name="Matrix Producer")
        editor = person(settings, "matrix-ed@example.com", role="editor", name="Matrix Editor")
        person(settings, "matrix-out@example.com", name="Matrix Outsider")
        invitee = person(settings, "matrix-inv@example.com", role="editor", name="Matrix Invitee")
        project = new_project(producer, SECRET_TITLE)
        add_editor(producer, editor, project.id)
        message = call(threads.post_message, producer, project.id, SECRET_WORDS, idempotency_key="matrix-1")
        milestone = call(projects.add_milestone, producer, project.id, "Cut", in_days(5), producer.user_id)
        invitation = invite(producer, project.id, settings, editor_id=invitee.user_id)
        rush = media_asset(producer, project.id, media_info={"scene_cuts": [2.0]})
        selection = call(derush.add_selection, producer, rush.id, in_frame=0, out_frame=10, note=SECRET_WORDS)
        version = media_asset(producer, project.id, kind=MediaKind.VERSION, version_number=1)
        comment = call(review.add_comment, producer, version.id, SECRET_WORDS, at_ms=0)
        raw_channel(producer, project.id, SECRET_WORDS)
        approved = media_asset(producer, project.id, kind=MediaKind.VERSION, version_number=2)
        with session_scope() as session:
            session.get(MediaAsset, approved.id).approved_at = utcnow()
        publication = call(publications.schedule, producer, project.id, approved.id, destinations=["discord"],
                           caption=SECRET_WORDS, when=(utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
                           time_zone="UTC", consent=True)
        with session_scope() as session:
            producer_session = session.exec(select(UserSession.id).where(
                UserSession.user_id == producer.user_id)).first()
            failure = job_failures.record_failure(session, "studio_app.jobs.exports.build_queued_exports", [],
                                                  RuntimeError("storage unreachable"), 4)
    return {"project": project.id, "message": message.id, "milestone": milestone.id, "invitation": invitation.id,
            "editor": editor.user_id, "producer_session": producer_session, "failure": failure,
            "data_dir": app.data_dir, "rush": rush.id, "selection": selection.id, "version": version.id,
            "comment": comment.id, "suggestion": f"scene:0-{2 * 25}", "approved": approved.id,
            "publication": publication.id}


def attempts(world) -> list[tuple]:
    project_path = f"/projects/{world['project']}"
    rush_path = f"/projects/{world['project']}/rushes/{world['rush']}"
    version_path = f"/projects/{world['project']}/versions/{world['version']}"
    approved_path = f"/projects/{world['project']}/versions/{world['approved']}"
    return [
        (ProjectState, "load", {}, project_path),
        (ThreadState, "open", {}, project_path),
        (ThreadState, "delete", {"message_id": world["message"]}, project_path),
        (ProjectState, "change_stage", {"new_stage": "cancelled"}, project_path),
        (ProjectState, "complete_milestone", {"milestone_id": world["milestone"]}, project_path),
        (ProjectState, "remove_editor", {"editor_id": world["editor"]}, project_path),
        (ProjectState, "save_brief", {"form": {"brief": "defaced"}}, project_path),
        (ProjectState, "invite", {"form": {"email": "intruder@example.com"}}, project_path),
        (ProjectChannelState, "load", {}, project_path),
        (ProjectChannelState, "disconnect", {}, project_path),
        (InvitationsState, "accept", {"invitation_id": world["invitation"]}, "/invitations"),
        (InvitationsState, "decline", {"invitation_id": world["invitation"]}, "/invitations"),
        (InvitationLinkState, "accept", {}, f"/invitations/{world['invitation']}"),
        (DirectoryState, "invite", {"editor_id": world["editor"]}, "/directory"),
        (SessionsState, "revoke", {"session_id": world["producer_session"]}, "/account/sessions"),
        (AdminJobsState, "load", {}, "/admin/jobs"),
        (AdminJobsState, "retry", {"failure_id": world["failure"]}, "/admin/jobs"),
        (AdminOperationsState, "load", {}, "/admin/operations"),
        (AdminOperationsState, "retry", {"failure_id": world["failure"]}, "/admin/operations"),
        (AdminOperationsState, "watch", {}, "/admin/operations"),
        # The selection and the decision are the producer's: refused to the editor too.
        (DerushState, "open", {}, rush_path),
        (DerushState, "set_label", {"selection_id": world["selection"], "label": "reject"}, rush_path),
        (DerushState, "set_rating", {"selection_id": world["selection"], "rating": "1"}, rush_path),
        (DerushState, "save_note", {"form": {"selection": world["selection"], "note": "defaced"}}, rush_path),
        (DerushState, "delete", {"selection_id": world["selection"]}, rush_path),
        (ReviewState, "open", {}, version_path),
        (ReviewState, "approve", {}, version_path),
        (ReviewState, "request_changes", {}, version_path),
        # Publishing is the producer's: composing, scheduling, rescheduling and cancelling are refused to the editor.
        (PublicationState, "open", {}, approved_path),
        (PublicationState, "start_composing", {}, approved_path),
        (PublicationState, "set_field", {"name": "to_discord", "value": True}, approved_path),
        (PublicationState, "set_field", {"name": "consent", "value": True}, approved_path),
        (PublicationState, "publish", {}, approved_path),
        (PublicationState, "choose_reschedule", {"publication_id": world["publication"]}, approved_path),
        (PublicationState, "reschedule", {"form": {"when": "", "time_zone": "UTC"}}, approved_path),
        (PublicationState, "cancel", {"publication_id": world["publication"]}, approved_path),
    ]


def member_attempts(world) -> list[tuple]:
    """What any member may do (the editor included): refused to the outsider and the signed-out visitor."""
    rush_path = f"/projects/{world['project']}/rushes/{world['rush']}"
    version_path = f"/projects/{world['project']}/versions/{world['version']}"
    return [
        (DerushState, "open", {}, rush_path),
        (DerushState, "mark_in", {"frame": 0}, rush_path),
        (DerushState, "mark_out", {"frame": 5}, rush_path),
        (DerushState, "accept", {"key": world["suggestion"]}, rush_path),
        (DerushState, "discard", {"key": world["suggestion"]}, rush_path),
        (ReviewState, "open", {}, version_path),
        (ReviewState, "send_comment", {"form": {"body": "intrusion"}}, version_path),
        (ReviewState, "send_reply", {"form": {"comment": world["comment"], "body": "intrusion"}}, version_path),
        (ReviewState, "resolve", {"comment_id": world["comment"]}, version_path),
        (PublicationState, "open", {}, f"/projects/{world['project']}/versions/{world['approved']}"),
        (ProjectPublicationsState, "load", {}, f"/projects/{world['project']}"),
    ]


def snapshot(world) -> dict:
    with services_of(world["data_dir"]), session_scope() as session:
        return {
            "message_deleted": session.get(Message, world["message"]).deleted_at is not None,
            "milestone_done": session.get(Milestone, world["milestone"]).done_at is not None,
            "invitation": session.get(Invitation, world["invitation"]).status,
            "members": sorted(session.exec(select(ProjectMember.user_id).where(
                ProjectMember.project_id == world["project"], ProjectMember.removed_at.is_(None))).all()),
            "producer_session_alive": session.get(UserSession, world["producer_session"]).revoked_at is None,
            "stage": session.get(Project, world["project"]).stage,
            "failure_retried": session.get(JobFailure, world["failure"]).retried_at is not None,
            "selections": sorted((row.id, row.label, row.rating, bytes(row.note_encrypted or b""))
                                 for row in session.exec(select(DerushSelection))),
            "decisions": len(session.exec(select(DerushSuggestionDecision.asset_id)).all()),
            "comments": sorted((row.id, row.resolved_at) for row in session.exec(select(ReviewComment))),
            "approved": session.get(MediaAsset, world["version"]).approved_at,
            "channels": len(session.exec(select(ProjectChannel.id)).all()),
            "publications": sorted((row.id, row.status, row.scheduled_for)
                                   for row in session.exec(select(Publication))),
        }


def run_attempts(app, world, email: str | None, tried=attempts) -> str:
    """Everything the server sent back to this socket, as text."""
    async def scenario() -> str:
        cookie = session_cookie(app.url, email, STRONG_PASSWORD) if email else None
        client = await LiveClient(app.url, cookie).connect()
        try:
            for state, method, payload, path in tried(world):
                await client.call(handler_name(state, method), payload, path)
        finally:
            await client.close()
        return "\n".join(client.transcript)

    return run_in_own_loop(scenario())


@pytest.mark.parametrize("who", ["matrix-out@example.com", "matrix-ed@example.com", None],
                         ids=["outsider", "other party", "signed out"])
def test_handlers_refuse_and_reveal_nothing(app, world, who):
    before = snapshot(world)
    sent = run_attempts(app, world, who)
    assert snapshot(world) == before
    assert "storage unreachable" not in sent  # failed jobs are for admins only
    if who != "matrix-ed@example.com":  # the editor is a member: they may read, not act as the producer
        assert SECRET_TITLE not in sent and SECRET_WORDS not in sent


@pytest.mark.parametrize("who", ["matrix-out@example.com", None], ids=["outsider", "signed out"])
def test_member_handlers_of_derush_and_review_refuse_non_members(app, world, who):
    before = snapshot(world)
    sent = run_attempts(app, world, who, member_attempts)
    assert snapshot(world) == before
    assert SECRET_TITLE not in sent and SECRET_WORDS not in sent


def test_signing_out_leaves_nothing_personal_in_the_tab_state(app):
    with services_of(app.data_dir):
        from studio_app.settings import current_settings

        fiona = person(current_settings(), "forget-me@example.com", name="Forgetful Fiona")
        call(privacy_requests.submit_request, fiona, "objection", "Fiona objects to profiling")

    async def scenario() -> tuple[str, str]:
        cookie = session_cookie(app.url, "forget-me@example.com", STRONG_PASSWORD)
        client = await LiveClient(app.url, cookie).connect()
        try:
            await client.call(handler_name(AccountState, "load"), {}, "/account")
            # A state of the privacy center that is not in the hand-written list of personal states.
            await client.call(handler_name(PrivacyRequestsState, "load"), {}, "/privacy-center")
            signed_in_view = "\n".join(client.transcript)
            httpx.post(f"{app.url}/api/auth/signout", headers={"origin": app.url, "cookie": f"studio_session={cookie}"})
            client.transcript.clear()
            await client.call(handler_name(SignedOutState, "forget"), {}, "/")
            return signed_in_view, "\n".join(client.transcript)
        finally:
            await client.close()

    signed_in_view, after = run_in_own_loop(scenario())
    assert "forget-me@example.com" in signed_in_view and "Forgetful Fiona" in signed_in_view
    assert "Fiona objects to profiling" in signed_in_view
    assert '"email_rx_state_": ""' in after and '"display_name_rx_state_": ""' in after
    assert '"requests_rx_state_": []' in after


def test_a_send_before_the_thread_opened_posts_once_and_a_late_draft_does_not_come_back(app, world):
    """A click right after the page loads can reach the server before the page's open event; the debounced copy
    of the box can arrive after the send emptied it."""
    path = f"/projects/{world['project']}"

    async def scenario() -> list[str]:
        cookie = session_cookie(app.url, "matrix-pro@example.com", STRONG_PASSWORD)
        client = await LiveClient(app.url, cookie).connect()
        try:
            await client.call(handler_name(ThreadState, "send"), {"form": {"body": "Sent before open"}}, path)
            await client.call(handler_name(ThreadState, "set_draft"), {"value": "Sent before open"}, path)
            await client.call(handler_name(ThreadState, "set_draft"), {"value": "A new draft"}, path)
            for _ in range(100):  # call() returns at the first update: let the last ones arrive
                if any("A new draft" in update for update in client.transcript):
                    break
                await asyncio.sleep(0.1)
        finally:
            await client.close()
        drafts = []
        for update in map(json.loads, client.transcript):
            for substate in update.get("delta", {}).values():
                if "draft_rx_state_" in substate:
                    drafts.append(substate["draft_rx_state_"])
        return drafts

    drafts = run_in_own_loop(scenario())
    # Taken (the box empties), the late copy of the sent text ignored, then a real new draft kept.
    assert drafts == ["", "A new draft"]
    with services_of(world["data_dir"]), session_scope() as session:
        posted = session.exec(select(Message).where(Message.project_id == world["project"])).all()
    assert len(posted) == 2  # the world's message and this one, sent although open had not run


def test_what_a_fresh_tab_typed_before_the_thread_opened_stays_in_the_same_box(app, world):
    """The page appears before its state: text typed into the box at once reaches the server (debounced) before or
    after the page's open event. Opening the thread must keep that text and the box itself (a new box, through a new
    ``compose_key``, would appear under the cursor and could drop a click on Send)."""
    path = f"/projects/{world['project']}"

    async def scenario() -> dict:
        cookie = session_cookie(app.url, "matrix-pro@example.com", STRONG_PASSWORD)
        client = await LiveClient(app.url, cookie).connect()
        try:
            await client.call(handler_name(ThreadState, "set_draft"), {"value": "Typed at once"}, path)
            await client.call(handler_name(ThreadState, "open"), {}, path,
                              until=lambda update: "messages_rx_state_" in json.dumps(update))
        finally:
            await client.close()
        seen: dict = {}
        for update in map(json.loads, client.transcript):
            for substate in update.get("delta", {}).values():
                seen.update({name: value for name, value in substate.items()
                             if name in ("draft_rx_state_", "compose_key_rx_state_")})
        return seen

    seen = run_in_own_loop(scenario())
    assert seen.get("draft_rx_state_") == "Typed at once"
    assert seen.get("compose_key_rx_state_", 0) == 0


def test_the_box_empties_when_a_send_is_taken_and_is_left_alone_when_it_is_posted(app, world):
    """What the person types while a message is being posted is theirs: the end of the send must not empty or
    replace the box (a new ``compose_key`` or draft then would wipe it). The box empties with the first answer."""
    path = f"/projects/{world['project']}"

    async def scenario() -> list[dict]:
        cookie = session_cookie(app.url, "matrix-pro@example.com", STRONG_PASSWORD)
        client = await LiveClient(app.url, cookie).connect()
        try:
            await client.call(handler_name(ThreadState, "open"), {}, path,
                              until=lambda update: "messages_rx_state_" in json.dumps(update))
            client.transcript.clear()
            await client.call(handler_name(ThreadState, "send"),
                              {"form": {"body": "Taken at once", "key": uuid.uuid4().hex,
                                        "project": world["project"]}}, path,
                              until=lambda update: '"sending_rx_state_": false' in json.dumps(update))
        finally:
            await client.close()
        return [{name: value for substate in json.loads(update).get("delta", {}).values() for name, value in
                 substate.items()} for update in client.transcript]

    deltas = [delta for delta in run_in_own_loop(scenario()) if delta]
    taken = next(delta for delta in deltas if delta.get("sending_rx_state_") is True)
    posted = next(delta for delta in deltas if delta.get("sending_rx_state_") is False)
    assert taken.get("draft_rx_state_") == "" and "compose_key_rx_state_" in taken
    assert "draft_rx_state_" not in posted and "compose_key_rx_state_" not in posted


def test_a_second_message_sent_before_the_box_was_renewed_is_posted_and_a_double_click_is_not(app, world):
    """The form's key is renewed by the answer to a send: a quick person's next message can carry the old one."""
    path = f"/projects/{world['project']}"
    key = uuid.uuid4().hex

    async def scenario() -> None:
        cookie = session_cookie(app.url, "matrix-pro@example.com", STRONG_PASSWORD)
        client = await LiveClient(app.url, cookie).connect()
        try:
            for body in ("Quick one", "Quick two"):
                await client.call(handler_name(ThreadState, "send"),
                                  {"form": {"body": body, "key": key, "project": world["project"]}}, path,
                                  until=lambda update: '"sending_rx_state_": false' in json.dumps(update))
            # A second click on "Quick two": nothing to answer, and nothing posted.
            await client.call(handler_name(ThreadState, "send"),
                              {"form": {"body": "Quick two", "key": key, "project": world["project"]}}, path)
            await client.call(handler_name(ThreadState, "cancel_compose"), {}, path)  # answered after it
        finally:
            await client.close()

    def posted() -> int:
        with services_of(world["data_dir"]), session_scope() as session:
            return len(session.exec(select(Message.id).where(Message.project_id == world["project"])).all())

    before = posted()
    run_in_own_loop(scenario())
    assert posted() == before + 2  # "Quick one", and "Quick two" once
