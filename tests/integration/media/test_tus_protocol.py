"""The tus 1.0 server over real HTTP: creation, offsets, resume, checksums, termination, and what the upload
becomes (a stored file and a queued media asset, readable back byte for byte)."""

import hashlib

from sqlmodel import select

from studio_app.database import session_scope
from studio_app.models.files import StoredFile
from studio_app.models.media import MediaAsset
from studio_app.models.uploads import Upload
from tests.support.tus import CHUNK, fake_video


def test_options_tells_the_capabilities(studio):
    answer = studio.tus(None).http.options("/api/uploads")
    assert answer.status_code == 204
    assert answer.headers["tus-resumable"] == "1.0.0" and answer.headers["tus-version"] == "1.0.0"
    assert set(answer.headers["tus-extension"].split(",")) == {
        "creation", "creation-with-upload", "termination", "expiration", "checksum"}
    assert answer.headers["tus-max-size"] == str(64 * 1024 * 1024)
    assert answer.headers["tus-checksum-algorithm"] == "sha1,sha256"


def test_an_upload_in_pieces_becomes_a_queued_asset(studio):
    tus = studio.tus("eli")
    data = fake_video(5 * CHUNK + 12345)
    created = tus.create(len(data), project=studio.project_id, filename="Plage.mp4", kind="rush")
    assert created.status_code == 201 and created.headers["tus-resumable"] == "1.0.0"
    location = created.headers["location"]
    assert location.startswith("/api/uploads/") and len(location.rsplit("/", 1)[1]) == 32
    assert "GMT" in created.headers["upload-expires"]
    head = tus.head(location)
    assert head.status_code == 200 and head.headers["upload-offset"] == "0"
    assert head.headers["upload-length"] == str(len(data)) and head.headers["cache-control"] == "no-store"

    offset = 0
    for size in (1000, CHUNK - 1000, 1, 3 * CHUNK + 7):  # pieces that straddle the sealed chunks
        answer = tus.patch(location, offset, data[offset:offset + size])
        assert answer.status_code == 204, answer.text
        offset += size
        assert answer.headers["upload-offset"] == str(offset)
        assert tus.head(location).headers["upload-offset"] == str(offset)
    last = tus.patch(location, offset, data[offset:], checksum="sha256")
    assert last.status_code == 204 and last.headers["upload-offset"] == str(len(data))
    file_id, asset_id = last.headers["studio-file"], last.headers["studio-media-asset"]
    finished = tus.head(location)
    assert finished.headers["upload-offset"] == str(len(data)) and finished.headers["studio-file"] == file_id

    with session_scope() as session:
        stored = session.get(StoredFile, file_id)
        asset = session.get(MediaAsset, asset_id)
        assert stored.sha256 == hashlib.sha256(data).hexdigest() and stored.size_bytes == len(data)
        assert stored.project_id == studio.project_id and stored.content_type == "video/mp4"
        assert asset.file_id == file_id and asset.kind == "rush" and asset.status == "queued"
        assert asset.version_number is None and asset.uploaded_by is not None
    assert list(studio.settings.uploads_dir.iterdir()) == []  # the staging folder went with the last byte
    original = studio.get(f"/api/media/{file_id}", "zoe")
    assert original.status_code == 200 and original.content == data
    assert original.headers["content-disposition"] == "attachment; filename=\"Plage.mp4\"; filename*=UTF-8''Plage.mp4"


def test_creation_with_upload_and_versions_are_numbered(studio):
    tus = studio.tus("eli")
    numbers = []
    for _ in range(2):
        data = fake_video(CHUNK + 5)
        created = tus.create(len(data), project=studio.project_id, kind="version", body=data)
        assert created.status_code == 201 and created.headers["upload-offset"] == str(len(data))
        with session_scope() as session:
            numbers.append(session.get(MediaAsset, created.headers["studio-media-asset"]).version_number)
    assert numbers == [1, 2]


def test_the_same_file_twice_makes_two_assets(studio):
    tus = studio.tus("zoe")
    data = fake_video(200_000, seed=7)
    first = tus.upload(data, project=studio.project_id).headers["studio-file"]
    second = tus.upload(data, project=studio.project_id).headers["studio-file"]
    assert first != second
    with session_scope() as session:
        rows = session.exec(select(StoredFile).where(StoredFile.id.in_([first, second]))).all()
        assert {row.sha256 for row in rows} == {hashlib.sha256(data).hexdigest()}
        assert len({row.storage_key for row in rows}) == 2


def test_a_patch_at_the_wrong_offset_is_refused(studio):
    tus = studio.tus("eli")
    data = fake_video(3 * CHUNK)
    location = tus.create(len(data), project=studio.project_id).headers["location"]
    assert tus.patch(location, 0, data[:CHUNK + 10]).status_code == 204
    for wrong in (0, CHUNK, CHUNK + 11, len(data)):
        answer = tus.patch(location, wrong, data[wrong:wrong + 100])
        assert answer.status_code == 409 and str(CHUNK + 10) in answer.text
    assert tus.head(location).headers["upload-offset"] == str(CHUNK + 10)
    assert tus.patch(location, CHUNK + 10, data[CHUNK + 10:]).status_code == 204


def test_a_checksum_mismatch_keeps_nothing_of_the_request(studio):
    tus = studio.tus("eli")
    data = fake_video(4 * CHUNK + 99)
    location = tus.create(len(data), project=studio.project_id).headers["location"]
    assert tus.patch(location, 0, data[:CHUNK // 2], checksum="sha1").status_code == 204
    lying = tus.patch(location, CHUNK // 2, data[CHUNK // 2:3 * CHUNK],
                      **{"upload-checksum": "sha1 " + "A" * 27 + "="})
    assert lying.status_code == 460 and "checksum" in lying.text
    assert tus.head(location).headers["upload-offset"] == str(CHUNK // 2)
    assert tus.patch(location, 0, b"x", **{"upload-checksum": "md5 AAAA"}).status_code == 400
    done = tus.patch(location, CHUNK // 2, data[CHUNK // 2:], checksum="sha256")
    assert done.status_code == 204
    with session_scope() as session:
        assert session.get(StoredFile, done.headers["studio-file"]).sha256 == hashlib.sha256(data).hexdigest()


def test_termination_removes_the_upload_and_its_bytes(studio):
    tus = studio.tus("eli")
    data = fake_video(2 * CHUNK + 1)
    location = tus.create(len(data), project=studio.project_id).headers["location"]
    assert tus.patch(location, 0, data[:CHUNK + 3]).status_code == 204
    assert tus.delete(location).status_code == 204
    assert tus.head(location).status_code == 404
    assert tus.patch(location, CHUNK + 3, data[CHUNK + 3:]).status_code == 404
    assert list(studio.settings.uploads_dir.iterdir()) == []
    with session_scope() as session:
        assert session.exec(select(Upload)).all() == []


def test_requests_without_the_tus_version_are_refused(studio):
    tus = studio.tus("eli")
    answer = tus.http.post("/api/uploads", headers={"origin": tus.origin, "upload-length": "10"})
    assert answer.status_code == 412 and answer.headers["tus-version"] == "1.0.0"
