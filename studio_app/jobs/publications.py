"""Publishing at the due time: the approved version to TikTok, then the announcement in the project's Discord channel.

``publish_task`` runs one publication; it is enqueued for the due time when the producer schedules it
(``enqueue_publication``), and ``publication_sweep`` hands over every minute what is due and not held by a live
consumer (a lost task, a consumer killed half-way, a retry whose wait outlasted its run, an account reconnected).

**Exactly once.** Every provider call is preceded by a committed ``PublicationStep`` (``services/publishing.py``);
what a consumer killed at any point left is read back before anything is sent again:
- TikTok: an init whose ``publish_id`` was recorded is asked for its status first. Complete: recorded, nothing sent.
  Uploaded (its upload step done, or TikTok has every byte) or processing: polled, never uploaded again. Upload
  incomplete: the upload restarts on a new init; the old ``publish_id`` never gets its last bytes, so it never
  posts. An init whose answer was lost has no bytes either.
- Discord: an announcement step started with no message id recorded may have been posted: it is reported ("check
  the channel") and never sent again.
Retries: a retryable ``ProviderError`` (429, 5xx, time-out, dropped connection) waits with exponential backoff and
jitter (at least the provider's ``retry_after``) and tries again, up to ``MAX_ATTEMPTS``; then the destination fails
with the provider's reason in plain words. A grant that is gone leaves the destination waiting for a reconnection,
schedule kept: the sweep tries again once the person has reconnected.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime

from studio_app import routes
from studio_app.database import session_scope
from studio_app.integrations import tiktok
from studio_app.integrations.providers import ProviderError
from studio_app.jobs.queue import background_task, enqueue, enqueue_at, periodic_task
from studio_app.models.publications import Destination, DestinationStatus, StepStatus
from studio_app.services import connections, project_channels, provider_clients, publishing
from studio_app.services.publications import TikTokSettings, check_tiktok_settings
from studio_app.services.publishing import DestinationPlan, Run
from studio_app.services.validation import InvalidInput
from studio_app.settings import current_settings

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
BASE_DELAY_SECONDS = 2.0
# Longer waits are left to the sweep (the consumer is free meanwhile).
MAX_INLINE_WAIT_SECONDS = 20.0
# TikTok allows 30 status fetches a minute per token (content-posting-api-reference-get-video-status): never faster
# than one every 2 s, slower as it takes longer.
POLL_FIRST_SECONDS, POLL_MAX_SECONDS, POLL_FACTOR = 2.1, 15.0, 1.5
DECRYPT_AHEAD = 4  # pieces of 1 MiB decrypted ahead of the upload
POLL_FOR_SECONDS = 30 * 60
# Discord refuses attachments over 10 MiB on webhooks (https://discord.com/developers/docs/reference#uploading-files):
# a bigger video is linked instead.
ATTACH_MAX_BYTES = 10 * 1024 * 1024
DISCORD_MAX_CHARS = 2000  # https://discord.com/developers/docs/resources/webhook#execute-webhook (content)
UNCOMPLETED_UPLOAD = {"PROCESSING_UPLOAD"}
PUBLISHED = "PUBLISH_COMPLETE"
FAILED = "FAILED"
# TikTok's fail_reason codes (content-posting-api-reference-get-video-status) in words; others are quoted.
FAIL_REASONS = {
    "file_format_check_failed": "TikTok does not accept this video's format.",
    "duration_check_failed": "The video is longer than this TikTok account may post.",
    "frame_rate_check_failed": "TikTok does not accept this video's frame rate.",
    "picture_size_check_failed": "TikTok does not accept this video's picture size.",
    "auth_removed": "The TikTok account withdrew the studio's access during the upload.",
    "publish_cancelled": "The post was cancelled on TikTok.",
    "spam_risk_too_many_posts": "TikTok limits how many posts this account may make today; try again tomorrow.",
    "spam_risk_user_banned_from_posting": "TikTok does not let this account post at the moment.",
}
UNCERTAIN_ANNOUNCEMENT = ("The Discord announcement may have been posted before the studio lost track of it: check "
                          "the channel. It was not sent again, so that it cannot appear twice.")


class _Failed(Exception):
    """The destination cannot succeed (a refusal, a rule broken): fail it with this plain reason, no retry."""


def _final_failure(publication_id: str, error: BaseException) -> None:
    with session_scope() as session:
        publishing.finish(session, publication_id)


@background_task(retries=0, timeout_seconds=6 * 3600, on_final_failure=_final_failure)
def publish_task(publication_id: str) -> None:
    run_publication(publication_id)


@periodic_task(every_minutes=1)
def publication_sweep() -> None:
    with session_scope() as session:
        due = publishing.due_publications(session)
    for publication_id in due:
        enqueue(publish_task, publication_id)


def enqueue_publication(publication_id: str, due: datetime) -> None:
    """Run the publication at ``due`` (call once the transaction that scheduled it has committed)."""
    enqueue_at(publish_task, due, publication_id)


def run_publication(publication_id: str) -> str | None:
    """Publish to every destination that is due; returns the publication's status (None: nothing to do now)."""
    with session_scope() as session:
        run = publishing.claim(session, publication_id)
    if run is None:
        with session_scope() as session:
            publishing.finish(session, publication_id)
        return None
    try:
        for plan in run.destinations:
            _with_retries(run, plan, _publish_to_tiktok if plan.destination == Destination.TIKTOK
                          else _announce_on_discord)
    finally:
        with session_scope() as session:
            status = publishing.finish(session, publication_id)
    logger.info("publication %s: %s", publication_id, status)
    return status


def _with_retries(run: Run, plan: DestinationPlan, attempt: Callable[[Run, DestinationPlan], None]) -> None:
    while True:
        try:
            attempt(run, plan)
            return
        except connections.ReconnectNeeded as needed:
            _tx(publishing.wait_for_reconnect, plan.id, needed.message)
            return
        except _Failed as failed:
            _tx(publishing.fail, plan.id, str(failed))
            return
        except ProviderError as error:
            if error.needs_reconnect:
                _tx(connections.report_grant_problem, run.owner_id, plan.destination, error)
                _tx(publishing.wait_for_reconnect, plan.id, _reconnect_reason(plan.destination))
                return
            attempts = _tx(publishing.attempts_of, plan.id) + 1
            if not error.retryable or attempts >= MAX_ATTEMPTS:
                _tx(publishing.fail, plan.id, _plain(plan.destination, error, attempts))
                return
            delay = backoff(attempts, error.retry_after)
            _tx(publishing.retry_later, plan.id, delay, _plain(plan.destination, error, attempts, retrying=True))
            if delay > MAX_INLINE_WAIT_SECONDS:
                return
            _tx(publishing.renew_lease, run.publication_id, delay)
            time.sleep(delay)


def backoff(attempt: int, retry_after: float | None) -> float:
    """Exponential from ``BASE_DELAY_SECONDS``, jittered between half and all of it (consumers retrying together
    spread out), never sooner than the provider asked."""
    ceiling = BASE_DELAY_SECONDS * 2 ** (attempt - 1)
    jittered = ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 (jitter, not a secret)
    return max(jittered, retry_after or 0)


# --- TikTok ------------------------------------------------------------------------------------------------------


def _publish_to_tiktok(run: Run, plan: DestinationPlan) -> None:
    client = provider_clients.client("tiktok")
    state = _tx(publishing.destination_state, plan.id)
    if state.publish_id and _resumed(run, plan, client, state):
        return
    with _step(run, plan, "creator_info", "Checking the TikTok account") as step:
        info = client.creator_info(_token(run))
        step.detail = f"Posting as {info.creator_nickname}"[:300]
    chosen = TikTokSettings(privacy_level=plan.privacy_level or "", allow_comment=not plan.disable_comment,
                            allow_duet=not plan.disable_duet, allow_stitch=not plan.disable_stitch,
                            brand_content=plan.brand_content, brand_organic=plan.brand_organic)
    try:  # the account may have changed since it was scheduled
        check_tiktok_settings(chosen, info, run.duration_ms)
    except InvalidInput as broken:
        raise _Failed(broken.message) from None
    plan_chunks = tiktok.chunk_plan(run.size)
    with _step(run, plan, "init", "Starting the upload") as step:
        init = client.init_upload(_token(run), post_info=_post_info(run, plan), video_size=run.size,
                                  chunk_size=plan_chunks.chunk_size,
                                  total_chunk_count=plan_chunks.total_chunk_count)
        _tx(publishing.record_init, plan.id, step.id, init.publish_id)
        step.recorded = True
    upload(run, plan, client, init.publish_id, init.upload_url, plan_chunks)
    _poll(run, plan, client, init.publish_id, username=info.creator_username)


def _resumed(run: Run, plan: DestinationPlan, client, state: publishing.DestinationState) -> bool:
    """A run before this one got an init: finish its post, or say that it must start again (False)."""
    with _step(run, plan, "status", "Checking the earlier upload", publish_id=state.publish_id) as step:
        status = client.publish_status(_token(run), state.publish_id)
        step.detail = status.status
    if status.status == PUBLISHED:
        _record_published(run, plan, status, username="")
        return True
    if status.status == FAILED:
        raise _Failed(_fail_reason(status.fail_reason))
    uploaded = state.upload_done or (status.uploaded_bytes or 0) >= run.size
    if status.status in UNCOMPLETED_UPLOAD and not uploaded:
        return False  # that init never completes: a new one starts the upload again
    _poll(run, plan, client, state.publish_id, username="")
    return True


def _post_info(run: Run, plan: DestinationPlan) -> dict:
    # Fields of content-posting-api-reference-direct-post ("post_info").
    return {"title": run.caption, "privacy_level": plan.privacy_level, "disable_comment": plan.disable_comment,
            "disable_duet": plan.disable_duet, "disable_stitch": plan.disable_stitch,
            "video_cover_timestamp_ms": run.cover_ms, "brand_content_toggle": plan.brand_content,
            "brand_organic_toggle": plan.brand_organic}


def upload(run: Run, plan: DestinationPlan, client, publish_id: str, upload_url: str, chunk_plan) -> None:
    """Send the sealed original chunk by chunk, decrypting as it goes: one chunk (and a few pieces decrypted ahead)
    in memory at a time."""
    total = chunk_plan.total_chunk_count
    with _step(run, plan, "upload", f"Uploading: chunk 1 of {total}", publish_id=publish_id,
               total_units=total) as step, contextlib.closing(_decrypted_ahead(run.read_original())) as plaintext:
        # closed at once on a failure too: its thread stops and the file is let go before any retry
        for index, (first, last, pieces) in enumerate(_chunks(plaintext, chunk_plan.ranges()), start=1):
            if index > 1:
                _tx(publishing.progress_step, run.publication_id, step.id, done_units=index - 1,
                    detail=f"Uploading: chunk {index} of {total}")
            client.upload_chunk(upload_url, pieces, first_byte=first, last_byte=last, total_size=run.size)
            del pieces
        _tx(publishing.progress_step, run.publication_id, step.id, done_units=total, detail="Uploaded")
        step.detail = "Uploaded"  # what the step keeps once done


def _decrypted_ahead(pieces: Iterator[bytes], depth: int = DECRYPT_AHEAD) -> Iterator[bytes]:
    """The plaintext decrypted a few pieces ahead in a thread while the chunk before is sent: decryption and the
    socket both release the GIL, so each keeps a core busy (one after the other, decryption cost a third of the
    upload's time). At most ``depth`` pieces wait, so memory stays within a chunk and these few pieces."""
    waiting: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def offer(item) -> bool:
        while not stop.is_set():
            try:
                waiting.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for piece in pieces:
                if not offer(piece):
                    return
            offer(end)
        except BaseException as error:  # handed to the consumer, which raises it where the read was asked
            offer(_Raised(error))

    producer = threading.Thread(target=produce, name="publication-decrypt", daemon=True)
    producer.start()
    try:
        while (item := waiting.get()) is not end:
            if isinstance(item, _Raised):
                raise item.error
            yield item
    finally:
        stop.set()
        producer.join()
        close = getattr(pieces, "close", None)
        if close:
            close()  # the sealed file's reader, once the thread no longer runs the generator


class _Raised:
    def __init__(self, error: BaseException):
        self.error = error


def _chunks(plaintext: Iterator[bytes], ranges) -> Iterator[tuple[int, int, list[bytes]]]:
    """Regroup the decrypted stream into the plan's byte ranges (inclusive), each a list of pieces that add up to
    it: the pieces are sent as they are, never joined into a second copy."""
    pending = b""
    stream = iter(plaintext)
    for first, last in ranges:
        size = last - first + 1
        pieces, have = [], 0
        while have < size:
            piece = pending or next(stream, b"")
            pending = b""
            if not piece:
                raise _Failed("The stored video is shorter than recorded: it cannot be read whole.")
            if have + len(piece) > size:
                piece, pending = piece[:size - have], piece[size - have:]
            pieces.append(piece)
            have += len(piece)
        yield first, last, pieces


def _poll(run: Run, plan: DestinationPlan, client, publish_id: str, *, username: str) -> None:
    wait, polls = POLL_FIRST_SECONDS, 0
    deadline = time.monotonic() + POLL_FOR_SECONDS
    with _step(run, plan, "status", "Waiting for TikTok to publish", publish_id=publish_id) as step:
        while True:
            status = client.publish_status(_token(run), publish_id)  # read data.status: FAILED comes as HTTP 200
            polls += 1
            _tx(publishing.progress_step, run.publication_id, step.id, done_units=polls,
                detail=_status_words(status))
            if status.status == PUBLISHED:
                step.detail = "Published"
                break
            if status.status == FAILED:
                raise _Failed(_fail_reason(status.fail_reason))
            if time.monotonic() > deadline:
                raise ProviderError("tiktok", "processing_too_long", "TikTok is still processing the video",
                                    retryable=True)
            time.sleep(wait)
            wait = min(wait * POLL_FACTOR, POLL_MAX_SECONDS)
    _record_published(run, plan, status, username=username)


def _record_published(run: Run, plan: DestinationPlan, status, *, username: str) -> None:
    post_id = status.post_ids[0] if status.post_ids else None
    # Only public posts get an id (``publicaly_available_post_id``); a private one is linked in the app instead.
    url = f"https://www.tiktok.com/@{username}/video/{post_id}" if post_id and username else (
        f"https://www.tiktok.com/video/{post_id}" if post_id else None)
    _tx(publishing.record_posted, plan.id, post_id=post_id, post_url=url)


def _status_words(status) -> str:
    if status.status == "PROCESSING_UPLOAD" and status.uploaded_bytes is not None:
        return f"TikTok is receiving the video ({status.uploaded_bytes:,} bytes)"
    return {"PROCESSING_DOWNLOAD": "TikTok is processing the video", PUBLISHED: "Published",
            FAILED: "TikTok could not publish it"}.get(status.status, f"TikTok: {status.status}")


def _fail_reason(code: str | None) -> str:
    return FAIL_REASONS.get(code or "", f"TikTok could not publish the video ({code or 'no reason given'}).")


# --- Discord -----------------------------------------------------------------------------------------------------


def _announce_on_discord(run: Run, plan: DestinationPlan) -> None:
    state = _tx(publishing.destination_state, plan.id)
    if state.message_id:
        _tx(publishing.record_posted, plan.id, message_id=state.message_id)
        return
    if state.announce_started:
        raise _Failed(UNCERTAIN_ANNOUNCEMENT)
    tiktok = _tx(_tiktok_outcome, run.publication_id)
    if tiktok is not None and tiktok[0] != DestinationStatus.DONE:
        if tiktok[0] in publishing.UNFINISHED:
            _tx(publishing.wait_for_reconnect if tiktok[0] == DestinationStatus.NEEDS_RECONNECT
                else _leave_waiting, plan.id, "Waiting for the TikTok post to link to.")
            return
        raise _Failed("Not announced: the TikTok post failed.")
    webhook = _tx(project_channels.channel_webhook, run.project_id)
    if webhook is None or webhook.dead:
        raise _Failed("The project has no working Discord channel any more: connect one on the project page.")
    link = tiktok[1] if tiktok and tiktok[1] else routes.absolute(
        current_settings().public_url, routes.version_page(run.project_id, run.asset_id))
    attachment = _attachment(run) if run.size <= ATTACH_MAX_BYTES else None
    with _step(run, plan, "announce", "Posting the announcement") as step:
        try:
            message_id = provider_clients.client("discord").execute_webhook(
                webhook.webhook_id, webhook.webhook_token, announcement(run.caption, link), file=attachment)
        except ProviderError as error:
            if error.code == "10015" or error.status == 404:  # the webhook was deleted: never retried
                _tx(project_channels.mark_channel_dead, run.project_id, "Discord says the channel's webhook was "
                                                                        "deleted.")
                raise _Failed("The project's Discord channel is gone (its webhook was deleted): reconnect a "
                              "channel on the project page.") from None
            if error.status is None:  # no answer: it may have been posted; the step stays "started"
                step.keep_started = True
                raise _Failed(UNCERTAIN_ANNOUNCEMENT) from None
            raise  # Discord answered with a refusal: nothing was posted, a retry may help
        _tx(publishing.record_posted, plan.id, message_id=message_id)
        step.detail = "Announced"


def announcement(caption: str, link: str) -> str:
    """The caption then the link, the caption shortened to fit Discord's 2,000 characters."""
    tail = f"\n\n{link}"
    room = DISCORD_MAX_CHARS - len(tail)
    text = caption if len(caption) <= room else caption[:room - 1].rstrip() + "…"
    return (text + tail).strip() if text else f"A new video is out: {link}"


def _attachment(run: Run) -> tuple[str, bytes, str]:
    return (f"video-v{run.version_number or 1}.mp4", b"".join(run.read_original()), run.original.content_type)


def _tiktok_outcome(session, publication_id: str) -> tuple[str, str | None] | None:
    from sqlmodel import select

    from studio_app.models.publications import PublicationDestination

    row = session.exec(select(PublicationDestination).where(
        PublicationDestination.publication_id == publication_id,
        PublicationDestination.destination == Destination.TIKTOK)).first()
    return (row.status, row.post_url) if row else None


def _leave_waiting(session, destination_id: str, reason: str) -> None:
    from studio_app.models.publications import PublicationDestination

    row = session.get(PublicationDestination, destination_id)
    row.status, row.failure_reason = DestinationStatus.WAITING, reason


# --- shared ------------------------------------------------------------------------------------------------------


class _Step:
    def __init__(self, step_id: str, detail: str):
        self.id = step_id
        self.detail = detail
        self.recorded = False  # ended by the caller in its own transaction
        self.keep_started = False  # the outcome is unknown: left "started" for the next run to see


@contextlib.contextmanager
def _step(run: Run, plan: DestinationPlan, name: str, detail: str, *, publish_id: str | None = None,
          total_units: int = 0) -> Iterator[_Step]:
    """Commit the step before the provider call(s) inside the block, then mark it done or failed."""
    step = _Step(_tx(publishing.start_step, run.publication_id, plan.id, name, detail=detail,
                     publish_id=publish_id, total_units=total_units), detail)
    try:
        yield step
    except BaseException as error:
        if not step.keep_started:
            _tx(publishing.end_step, step.id, StepStatus.FAILED, _short(error))
        raise
    if not step.recorded:
        _tx(publishing.end_step, step.id, StepStatus.DONE, step.detail)


def _short(error: BaseException) -> str:
    if isinstance(error, ProviderError):
        return f"Failed: {error.message or error.code}"[:300]
    if isinstance(error, _Failed | connections.ReconnectNeeded):
        return str(error)[:300]
    return "Stopped"


def _token(run: Run) -> str:
    return _tx(connections.access_token, run.owner_id or "", "tiktok").access_token


def _reconnect_reason(provider: str) -> str:
    name = "TikTok" if provider == Destination.TIKTOK else "Discord"
    return f"Waiting for you to reconnect your {name} account; it will be published then."


def _plain(destination: str, error: ProviderError, attempts: int, *, retrying: bool = False) -> str:
    name = "TikTok" if destination == Destination.TIKTOK else "Discord"
    fallback = f"{name} had a problem ({error.message or error.code})" if error.retryable \
        else f"{name} refused it: {error.message}"
    what = {"rate_limit_exceeded": f"{name} asked the studio to slow down",
            "timeout": f"{name} did not answer in time",
            "connection": f"the connection to {name} was cut"}.get(error.code, fallback)
    if retrying:
        return f"Trying again shortly: {what}."
    if error.retryable:
        return f"Not published after {attempts} tries: {what}."
    return f"Not published: {what}."


def _tx(function: Callable, *args, **kwargs):
    with session_scope() as session:
        return function(session, *args, **kwargs)
