"""Processing an uploaded rush end to end: sealed outputs, refusals that leave nothing, and a killed worker."""

import multiprocessing
import os
import signal
from fractions import Fraction

import pytest
from sqlmodel import select

from studio_app import database
from studio_app.integrations import ffmpeg
from studio_app.integrations.storage import current_storage
from studio_app.jobs import media as media_job
from studio_app.models.files import StoredFile
from studio_app.models.media import MediaAsset, ProcessingStatus
from studio_app.services import files, media
from tests.support.app_env import new_session
from tests.support.projects import count_rows, new_project, person
from tests.support.videos import damage, make_video, truncate


def uploaded_rush(settings, path) -> str:
    """A rush as the upload leaves it: the original sealed in the project, the asset queued."""
    producer = person(settings, "producer@example.com")
    project = new_project(producer)
    with new_session() as session:
        original = files.store_file(session, producer, project_id=project.id, name=path.name,
                                    content_type="video/mp4", chunks=[path.read_bytes()])
        asset = MediaAsset(project_id=project.id, file_id=original.id, kind="rush", uploaded_by=producer.user_id)
        session.add(asset)
        session.commit()
        return asset.id


def asset_row(asset_id) -> MediaAsset:
    with new_session() as session:
        return session.get(MediaAsset, asset_id)


def decrypted(file_id) -> bytes:
    with new_session() as session:
        row = session.get(StoredFile, file_id)
        return b"".join(files.read_blob(row, files.key_of(session, row)))


def stored_keys() -> set[str]:
    with new_session() as session:
        return set(session.exec(select(StoredFile.storage_key)).all())


def assert_nothing_left_over(expected_files: int) -> None:
    """Every blob has its row and every row its blob; no plaintext folder remains."""
    assert count_rows(StoredFile) == expected_files
    assert set(current_storage().keys()) == stored_keys()
    assert list(current_storage().root.rglob("*.partial")) == []
    assert not media_job.work_parent().exists() or list(media_job.work_parent().iterdir()) == []


@pytest.mark.parametrize(("rate", "audio", "timecode"), [
    ("25", True, None), ("30000/1001", True, "00:59:58;00"), ("60", False, None),
])
def test_a_rush_is_processed_to_ready_with_every_output_sealed(settings, tmp_path, rate, audio, timecode):
    source = make_video(tmp_path / "rush.mov", rate=rate, seconds=3, size="320x180", audio=audio, timecode=timecode,
                        cut_at=1.5)
    asset_id = uploaded_rush(settings, source)

    media_job.process_asset(asset_id)

    asset = asset_row(asset_id)
    assert (asset.status, asset.progress, asset.failure_reason) == (ProcessingStatus.READY, 100, None)
    assert (asset.width, asset.height) == (320, 180) and Fraction(asset.frame_rate) == Fraction(rate)
    assert asset.duration_ms == pytest.approx(3000, abs=100)
    info = asset.media_info
    assert info["video_codec"] == "h264" and info["audio_codec"] == ("aac" if audio else None)
    assert (info["start_timecode"], info["drop_frame"]) == (timecode, rate == "30000/1001")
    [first, second] = info["scene_cuts"]
    cut_frame = round(1.5 * Fraction(rate))
    assert (first["in_frame"], first["out_frame"], second["in_frame"]) == (0, cut_frame, cut_frame)
    assert info["silences"] == []
    assert (len(asset.waveform) >= 250) is audio  # a few hundred peaks
    assert f"/api/media/{asset.file_id}/sprite.jpg#xywh=0,0,160,90" in asset.thumbnails_vtt

    assert decrypted(asset.poster_file_id)[:3] == decrypted(asset.sprite_file_id)[:3] == b"\xff\xd8\xff"
    proxy = tmp_path / "proxy.mp4"
    proxy.write_bytes(decrypted(asset.proxy_file_id))
    played = ffmpeg.probe(proxy)
    assert (played.video_codec, played.audio_codec) == ("h264", "aac" if audio else None)
    with new_session() as session:
        outputs = [session.get(StoredFile, file_id) for file_id in
                   (asset.poster_file_id, asset.sprite_file_id, asset.proxy_file_id)]
    assert {(row.project_id, row.owner_id) for row in outputs} == {(asset.project_id, None)}
    assert_nothing_left_over(expected_files=4)
    assert [s.kind for s in media.suggestions_of(asset)] == ["scene", "scene"]

    media_job.process_asset(asset_id)  # a duplicate message: nothing happens twice
    again = asset_row(asset_id)
    assert (again.poster_file_id, again.proxy_file_id) == (asset.poster_file_id, asset.proxy_file_id)
    assert_nothing_left_over(expected_files=4)


@pytest.mark.parametrize(("broken", "reason"), [
    ("text", "not a video we can read"),
    ("truncated", "damaged or incomplete"),
    ("truncated_after_index", "cut short"),
    ("corrupt", "damaged or incomplete"),
])
def test_what_cannot_be_processed_fails_with_a_reason_and_leaves_nothing(sqlite_settings, tmp_path, broken, reason):
    path = tmp_path / "rush.mp4"
    if broken == "text":
        path.write_text("Not a video at all, only words.\n" * 500)
    elif broken == "truncated":
        truncate(make_video(path, seconds=2), 0.6)
    elif broken == "truncated_after_index":
        truncate(make_video(path, seconds=4, faststart=True), 0.5)
    else:
        damage(make_video(path, seconds=2, faststart=True))
    asset_id = uploaded_rush(sqlite_settings, path)

    media_job.process_asset(asset_id)

    asset = asset_row(asset_id)
    assert asset.status == ProcessingStatus.FAILED and reason in asset.failure_reason
    assert asset.file_id is None and asset.proxy_file_id is None and asset.pending_storage_keys == []
    assert_nothing_left_over(expected_files=0)
    media_job.process_asset(asset_id)  # a retry of a refused upload does nothing
    assert asset_row(asset_id).failure_reason == asset.failure_reason


def test_ffmpeg_killed_mid_run_leaves_the_original_and_the_next_run_finishes_once(sqlite_settings, tmp_path,
                                                                                   monkeypatch):
    asset_id = uploaded_rush(sqlite_settings, make_video(tmp_path / "rush.mp4", seconds=6, size="960x540"))
    original_id = asset_row(asset_id).file_id
    derive = ffmpeg.derive

    def derive_then_kill(source, info, folder, *, on_progress=None, timeout=None):
        def progressed(done):
            _kill_children_running(str(source))
            on_progress(done)
        return derive(source, info, folder, on_progress=progressed, timeout=timeout)

    monkeypatch.setattr(ffmpeg, "derive", derive_then_kill)
    with pytest.raises(ffmpeg.MediaToolError, match="signal"):
        media_job.process_asset(asset_id)
    stopped = asset_row(asset_id)
    assert (stopped.status, stopped.failure_reason, stopped.file_id) == ("failed", media.STOPPED_REASON, original_id)
    assert_nothing_left_over(expected_files=1)  # the original only

    monkeypatch.setattr(ffmpeg, "derive", derive)
    media_job.process_asset(asset_id)
    assert asset_row(asset_id).status == ProcessingStatus.READY
    assert_nothing_left_over(expected_files=4)


def test_a_worker_killed_outright_between_a_blob_and_its_row_runs_again_and_finishes_once(settings, tmp_path):
    asset_id = uploaded_rush(settings, make_video(tmp_path / "rush.mp4", seconds=2))
    database.get_engine().dispose()  # the child opens its own connections
    child = multiprocessing.get_context("fork").Process(target=_process_then_die_after_the_proxy_blob,
                                                        args=(asset_id,))
    child.start()
    child.join(120)
    assert child.exitcode == -signal.SIGKILL

    killed = asset_row(asset_id)  # what the dead worker left: a poster and a strip, a proxy blob with no row
    assert killed.status == ProcessingStatus.PROCESSING and killed.proxy_file_id is None
    [pending] = killed.pending_storage_keys
    assert current_storage().exists(pending) and pending not in stored_keys()
    assert count_rows(StoredFile) == 3 and list(media_job.work_parent().iterdir())  # plaintext left behind

    media_job.process_asset(asset_id)

    done = asset_row(asset_id)
    assert done.status == ProcessingStatus.READY and done.pending_storage_keys == []
    assert killed.poster_file_id != done.poster_file_id  # the earlier run's outputs were replaced...
    assert not current_storage().exists(pending)  # ...and the blob without a row removed
    assert_nothing_left_over(expected_files=4)


def _process_then_die_after_the_proxy_blob(asset_id: str) -> None:
    """In a forked worker: process, and die like a SIGKILLed process once the proxy's blob is in storage."""
    store = files.store_system_file

    def store_then_die(session, **kwargs):
        view = store(session, **kwargs)
        if view.content_type == "video/mp4":
            os.kill(os.getpid(), signal.SIGKILL)
        return view

    files.store_system_file = store_then_die
    media_job.process_asset(asset_id)


def _kill_children_running(argument: str) -> None:
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/cmdline", "rb") as handle:
                    command = handle.read().split(b"\0")
            except OSError:
                continue
            if command[0] == b"/usr/bin/ffmpeg" and argument.encode() in command:
                os.kill(int(entry.name), signal.SIGKILL)
