"""One storage contract, two backends: the local folder and an S3-compatible server (moto's, started here).
Then a whole tus upload and ranged reads with media kept in S3."""

import hashlib
import os

import boto3
import pytest
from moto.server import ThreadedMotoServer

from studio_app.integrations.storage import BlobMissing, LocalStorage, S3Storage
from studio_app.settings import load_settings
from tests.integration.media.conftest import Studio, people
from tests.support.app_env import app_environment
from tests.support.servers import api_server, free_port
from tests.support.tus import CHUNK, fake_video

S3_VARIABLES = {"S3_REGION": "eu-west-3", "S3_ACCESS_KEY": "testing-access", "S3_SECRET_KEY": "testing-secret",
                "S3_BUCKET": "studio-media"}


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def s3_environment(endpoint: str, bucket: str) -> dict[str, str]:
    client = boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-3", aws_access_key_id="testing-access",
                          aws_secret_access_key="testing-secret")
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    return S3_VARIABLES | {"S3_ENDPOINT_URL": endpoint, "S3_BUCKET": bucket}


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "media")
    variables = s3_environment(request.getfixturevalue("s3_endpoint"), f"contract-{os.urandom(4).hex()}")
    settings = load_settings({"STUDIO_DATA_DIR": str(tmp_path)} | {f"STUDIO_{k}": v for k, v in variables.items()})
    assert settings.uses_s3 and "testing-secret" not in repr(settings)
    return S3Storage.from_settings(settings)


def written(storage, data: bytes) -> str:
    key = storage.new_key()
    with storage.writer(key) as target:
        for start in range(0, len(data), 1_000_003):
            target.write(data[start:start + 1_000_003])
    return key


@pytest.mark.parametrize("size", [0, 10, 40 * CHUNK + 17])  # one PUT, or a multipart upload of several parts
def test_what_is_written_reads_back(storage, size):
    data = os.urandom(size)
    key = written(storage, data)
    assert storage.exists(key) and storage.size(key) == size and key in set(storage.keys())
    with storage.reader(key) as source:
        assert source.read() == data
        source.seek(size // 2)
        assert source.read(100) == data[size // 2:size // 2 + 100]
        source.seek(max(0, size - 3))
        assert source.read(50) == data[-3:] if size else source.read(50) == b""


def test_a_failed_write_leaves_no_blob(storage):
    key = storage.new_key()
    with pytest.raises(RuntimeError), storage.writer(key) as target:
        target.write(os.urandom(20 * CHUNK))
        raise RuntimeError("the process gave up")
    assert not storage.exists(key) and key not in set(storage.keys())
    assert storage.sweep_partial(older_than_seconds=0) == 0  # aborted (S3) or removed (local) at once


def test_adopt_delete_and_missing_blobs(storage, tmp_path):
    source = tmp_path / "finished"
    data = os.urandom(3 * CHUNK + 5)
    source.write_bytes(data)
    key = storage.new_key()
    storage.adopt(key, source)
    with storage.reader(key) as reader:
        assert reader.read() == data
    storage.delete(key)
    assert not storage.exists(key)
    with pytest.raises(BlobMissing):
        storage.size(key)
    with pytest.raises(BlobMissing), storage.reader(key):
        pass
    with pytest.raises(ValueError):
        storage.delete("../../etc/passwd")


def test_abandoned_multipart_uploads_are_swept(s3_endpoint, tmp_path):
    variables = s3_environment(s3_endpoint, f"sweep-{os.urandom(4).hex()}")
    storage = S3Storage.from_settings(load_settings(
        {"STUDIO_DATA_DIR": str(tmp_path)} | {f"STUDIO_{k}": v for k, v in variables.items()}))
    storage.client.create_multipart_upload(Bucket=storage.bucket, Key=storage.object_of(storage.new_key()))
    # moto dates every multipart upload in 2010: the age rule itself cannot be tried here, only the abort.
    assert storage.sweep_partial(older_than_seconds=60) == 1
    assert storage.client.list_multipart_uploads(Bucket=storage.bucket).get("Uploads", []) == []


def test_a_tus_upload_with_media_in_s3(monkeypatch, tmp_path, s3_endpoint):
    database_url = f"sqlite:///{tmp_path / 'studio.db'}"
    variables = s3_environment(s3_endpoint, "studio-media")
    with app_environment(monkeypatch, tmp_path / "data", database_url, **variables) as settings:
        project_id, other_id, cookies = people(settings)
        with api_server(tmp_path, database_url, settings.data_dir) as base:
            studio = Studio(settings, base, project_id, other_id, cookies)
            data = fake_video(18 * CHUNK + 999)
            answer = studio.tus("eli").upload(data, project=project_id, chunk=5 * CHUNK)
            file_id = answer.headers["studio-file"]
            storage = S3Storage.from_settings(settings)
            (key,) = list(storage.keys())
            with storage.reader(key) as blob:
                assert hashlib.sha256(data).digest() not in blob.read() and data[:4096] not in blob.read()
            assert studio.get(f"/api/media/{file_id}", "zoe").content == data
            middle = studio.get(f"/api/media/{file_id}", "zoe", range=f"bytes={9 * CHUNK}-{10 * CHUNK + 3}")
            assert middle.status_code == 206 and middle.content == data[9 * CHUNK:10 * CHUNK + 4]
            assert not (settings.media_dir.exists() and any(settings.media_dir.iterdir()))
