"""Who may upload and what: members only, from our origin, within the limits, videos only, names made harmless,
and abandoned uploads swept away with their bytes."""

import subprocess
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.base import utcnow
from studio_app.models.files import StoredFile
from studio_app.models.media import MediaAsset
from studio_app.models.uploads import Upload
from studio_app.services.uploads import sanitize_filename, sweep_expired_uploads
from tests.support.tus import CHUNK, fake_video

MiB = 1024 * 1024


def leftovers(studio) -> tuple[list, list]:
    with session_scope() as session:
        rows = session.exec(select(Upload)).all()
    folder = studio.settings.uploads_dir
    return rows, sorted(folder.iterdir()) if folder.exists() else []


def test_who_may_create_an_upload(studio):
    create = {"project": studio.project_id}
    assert studio.tus(None).create(1000, **create).status_code == 401
    assert studio.tus("sam").create(1000, **create).status_code == 403  # a stranger
    assert studio.tus("ada").create(1000, **create).status_code == 403  # another project's producer
    assert studio.tus("eli", origin="https://evil.example").create(1000, **create).status_code == 403
    assert studio.tus("zoe").create(1000, project="nonsense").status_code == 403
    assert studio.tus("zoe").create(1000, **create, kind="poster").status_code == 400
    assert studio.tus("zoe").create(1000, **create).status_code == 201
    assert studio.tus("ada").create(1000, project=studio.other_project_id).status_code == 201


def test_an_upload_is_its_owners_alone(studio):
    owner = studio.tus("eli")
    data = fake_video(CHUNK + 10)
    location = owner.create(len(data), project=studio.project_id).headers["location"]
    assert owner.patch(location, 0, data[:100]).status_code == 204
    for who in ("zoe", "sam", "ada"):  # even the project's producer: the upload is the editor's
        tus = studio.tus(who)
        assert tus.head(location).status_code == 404
        assert tus.patch(location, 100, data[100:1100]).status_code == 404  # small: refused before it is read
        assert tus.delete(location).status_code == 404
    nobody = studio.tus(None)
    assert nobody.head(location).status_code == 401 and nobody.patch(location, 100, b"x").status_code == 401
    cross_site = studio.tus("eli", origin="https://evil.example")
    assert cross_site.patch(location, 100, data[100:1100]).status_code == 403
    assert cross_site.delete(location).status_code == 403
    assert owner.head(location).headers["upload-offset"] == "100"
    assert owner.head("/api/uploads/" + "0" * 32).status_code == 404


def test_media_is_read_by_members_only(studio):
    data = fake_video(300_000)
    file_id = studio.tus("eli").upload(data, project=studio.project_id).headers["studio-file"]
    assert studio.get(f"/api/media/{file_id}", "zoe").content == data
    assert studio.get(f"/api/media/{file_id}", None).status_code == 401
    for who in ("sam", "ada"):
        assert studio.get(f"/api/media/{file_id}", who).status_code == 404
        assert studio.get(f"/api/media/{file_id}/proxy", who).status_code == 404
    assert studio.get("/api/media/nonsense", "zoe").status_code == 404
    not_yet = studio.get(f"/api/media/{file_id}/proxy", "zoe")
    assert not_yet.status_code == 404 and "still being processed" in not_yet.text


def test_size_limit_and_quota_are_checked_before_any_byte(studio):
    tus = studio.tus("zoe")
    too_big = tus.create(64 * MiB + 1, project=studio.project_id)
    assert too_big.status_code == 413 and "64 MiB" in too_big.text
    assert tus.create(60 * MiB, project=studio.project_id).status_code == 201  # in progress: counts
    full = tus.create(45 * MiB, project=studio.project_id)  # the quota is 100 MiB
    assert full.status_code == 413 and "storage is full" in full.text
    rows, _folders = leftovers(studio)
    assert len(rows) == 1
    assert tus.create(len(fake_video(CHUNK)), project=studio.other_project_id).status_code == 403
    assert studio.tus("ada").create(45 * MiB, project=studio.other_project_id).status_code == 201  # its own quota


def test_more_bytes_than_declared_are_refused(studio):
    tus = studio.tus("eli")
    data = fake_video(CHUNK)
    location = tus.create(len(data), project=studio.project_id).headers["location"]
    assert tus.patch(location, 0, data + b"extra").status_code == 413


@pytest.mark.parametrize("content", [
    b"%PDF-1.7\n" + b"\0" * 5000,
    b"\x89PNG\r\n\x1a\n" + b"\0" * 5000,
    b"<html><script>alert(1)</script></html>" * 200,
    b"PK\x03\x04" + b"\0" * 5000,
])
def test_a_file_that_is_not_a_video_is_refused_and_leaves_nothing(studio, content):
    tus = studio.tus("eli")
    location = tus.create(len(content) + CHUNK, project=studio.project_id, filename="holiday.mp4").headers["location"]
    answer = tus.patch(location, 0, content + b"\0" * CHUNK)
    assert answer.status_code == 415 and "not a video" in answer.text
    assert tus.head(location).status_code == 404
    assert leftovers(studio) == ([], [])
    with_upload = tus.create(len(content), project=studio.project_id, body=content)
    assert with_upload.status_code == 415
    assert leftovers(studio) == ([], [])


@pytest.mark.parametrize(("arguments", "content_type"), [
    (["-f", "mp4"], "video/mp4"),
    (["-f", "mov"], "video/quicktime"),
    (["-f", "matroska"], "video/x-matroska"),
    (["-c:v", "libvpx", "-f", "webm"], "video/webm"),
    (["-f", "avi"], "video/x-msvideo"),
    (["-f", "mpegts"], "video/mp2t"),
])
def test_real_containers_pass_the_sniff(studio, tmp_path, arguments, content_type):
    target = tmp_path / "clip.bin"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=10", "-t", "0.5",
                    *arguments, "-y", str(target)], check=True)
    answer = studio.tus("eli").upload(target.read_bytes(), project=studio.project_id, filename="clip.txt")
    with session_scope() as session:
        assert session.get(StoredFile, answer.headers["studio-file"]).content_type == content_type


@pytest.mark.parametrize(("given", "kept"), [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\zoe\\rush 01.mov", "rush 01.mov"),
    ("clip\x00.mp4\r\nSet-Cookie: x=1", "clip.mp4Set-Cookie_ x=1"),
    ("\u202eevil\u202dgpj.mp4", "evilgpj.mp4"),
    ("...", "video"),
    ("  .hidden.mp4 ", "hidden.mp4"),
    ('a<b>c:d"e|f?g*h.mp4', "a_b_c_d_e_f_g_h.mp4"),
    ("x" * 300 + ".mp4", "x" * 196 + ".mp4"),
])
def test_names_are_made_harmless(given, kept):
    assert sanitize_filename(given) == kept


def test_a_tricky_name_is_kept_sealed_and_offered_safely(studio):
    data = fake_video(50_000)
    answer = studio.tus("eli").upload(data, project=studio.project_id, filename="../../Été\u202e\x07.mp4")
    download = studio.get(f"/api/media/{answer.headers['studio-file']}", "zoe")
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"_t_.mp4\"; filename*=UTF-8''%C3%89t%C3%A9.mp4")
    with session_scope() as session:
        row = session.get(StoredFile, answer.headers["studio-file"])
        assert "Été".encode() not in bytes(row.name_encrypted)  # sealed, as every name people give


def test_the_sweep_removes_expired_uploads_and_their_bytes(studio):
    tus = studio.tus("eli")
    data = fake_video(3 * CHUNK)
    expired = tus.create(len(data), project=studio.project_id).headers["location"]
    assert tus.patch(expired, 0, data[:CHUNK + 1]).status_code == 204
    alive = tus.create(len(data), project=studio.project_id).headers["location"]
    finished = tus.upload(fake_video(1000), project=studio.project_id).headers["studio-media-asset"]
    with session_scope() as session:
        session.execute(sa.update(Upload).where(Upload.id != alive.rsplit("/", 1)[1])
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
    assert tus.head(expired).status_code == 410
    gone = tus.patch(expired, CHUNK + 1, data[CHUNK + 1:])
    assert gone.status_code == 410 and "expired" in gone.text
    with session_scope() as session:
        assert sweep_expired_uploads(session) == 2  # the expired one, and the finished one's record
    rows, folders = leftovers(studio)
    assert [row.id for row in rows] == [alive.rsplit("/", 1)[1]]
    assert [folder.name for folder in folders] == [alive.rsplit("/", 1)[1]]
    assert tus.head(expired).status_code == 404
    with session_scope() as session:
        assert session.get(MediaAsset, finished) is not None  # the media stays
