"""The derush edit lists and the player's thumbnails over real HTTP: members get them, the outsider, the signed-out
visitor and unknown ids get the same 404, and what is served is what was stored."""

import csv
import io
import json

import httpx
import pytest

from studio_app.models.media import MediaKind
from studio_app.services import derush
from tests.support.accounts import signed_in
from tests.support.app_env import app_environment
from tests.support.media import make_sprite, media_asset
from tests.support.projects import add_editor, call, new_project, person
from tests.support.servers import api_server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("media-routes")
    database_url = f"sqlite:///{tmp_path / 'studio.db'}"
    with pytest.MonkeyPatch.context() as monkeypatch, \
            app_environment(monkeypatch, tmp_path / "data", database_url) as settings:
        producer = person(settings, "zoe@example.com", name="Zoé Martin")
        editor = person(settings, "lea@example.com", role="editor")
        person(settings, "eve@example.com")
        project = new_project(producer)
        add_editor(producer, editor, project.id)
        sprite = make_sprite(tmp_path / "sprite.jpg").read_bytes()
        rush = media_asset(producer, project.id, frame_rate="30000/1001", duration_ms=120_000, sprite=sprite,
                           media_info={"start_timecode": "00:59:50;00"})
        call(derush.add_selection, producer, rush.id, in_frame=0, out_frame=30, label="keep", rating=5,
             note="=Opening smile")
        call(derush.add_selection, editor, rush.id, in_frame=1800, out_frame=1830, label="reject")
        version = media_asset(editor, project.id, kind=MediaKind.VERSION, version_number=1)
        cookies = {email: signed_in(settings, email)[0] for email in ("zoe@example.com", "lea@example.com",
                                                                     "eve@example.com")}
        with api_server(tmp_path, database_url) as base:
            yield base, cookies, rush, version, sprite


def get(base: str, path: str, cookie: str | None = None) -> httpx.Response:
    return httpx.get(base + path, headers={"cookie": f"studio_session={cookie}"} if cookie else {})


def paths(rush, version) -> list[str]:
    return [f"/api/media/{rush.file_id}/derush.edl", f"/api/media/{rush.file_id}/derush.csv",
            f"/api/media/{rush.file_id}/derush.otio", f"/api/media/{rush.id}/thumbnails.vtt",
            f"/api/media/{rush.id}/sprite.jpg"]


def test_outsiders_signed_out_visitors_and_unknown_ids_get_404(server):
    base, cookies, rush, version, _ = server
    for path in paths(rush, version):
        for cookie in (cookies["eve@example.com"], None, "not-a-session"):
            response = get(base, path, cookie)
            assert response.status_code == 404 and response.text == "Not found.", (path, cookie)
            assert "Zoé" not in response.text and "smile" not in response.text
    for path in (f"/api/media/{'0' * 32}/derush.csv", f"/api/media/{rush.id}/derush.csv",  # an asset id, not a file
                 f"/api/media/{version.file_id}/derush.csv", f"/api/media/{version.id}/thumbnails.vtt",
                 f"/api/media/{'0' * 32}/sprite.jpg"):
        assert get(base, path, cookies["zoe@example.com"]).status_code == 404, path
    assert get(base, f"/api/media/{rush.file_id}/derush.pdf", cookies["zoe@example.com"]).status_code == 400


def test_the_csv_lists_every_selection_with_drop_frame_timecodes(server):
    base, cookies, rush, _, _ = server
    for email in ("zoe@example.com", "lea@example.com"):
        response = get(base, f"/api/media/{rush.file_id}/derush.csv", cookies[email])
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["content-disposition"] == "attachment; filename*=UTF-8''rush%20derush.csv"
        rows = list(csv.DictReader(io.StringIO(response.text)))
        # Start 00:59:50;00 at 29.97 drop-frame; 1800 frames later: 300 to 01:00:00;00 (minute 60 keeps its frame
        # numbers, being a tenth), then 1500 frames = 50 s.
        assert [(row["label"], row["source_in"], row["source_out"], row["note"]) for row in rows] == [
            ("keep", "00:59:50;00", "00:59:51;00", "'=Opening smile"), ("reject", "01:00:50;00", "01:00:51;00", "")]


def test_the_edl_and_otio_hold_the_kept_selection(server):
    base, cookies, rush, _, _ = server
    edl = get(base, f"/api/media/{rush.file_id}/derush.edl", cookies["lea@example.com"])
    assert edl.status_code == 200 and "FCM: DROP FRAME" in edl.text
    assert "00:59:50;00 00:59:51;00 01:00:00;00 01:00:01;00" in edl.text and "01:00:50;00" not in edl.text
    timeline = json.loads(get(base, f"/api/media/{rush.file_id}/derush.otio", cookies["zoe@example.com"]).text)
    assert timeline["OTIO_SCHEMA"].startswith("Timeline")


def test_thumbnails_point_into_the_sprite_which_streams_back_as_stored(server):
    base, cookies, rush, _, sprite = server
    for media_id in (rush.id, rush.file_id):
        track = get(base, f"/api/media/{media_id}/thumbnails.vtt", cookies["lea@example.com"])
        assert track.status_code == 200 and track.headers["content-type"] == "text/vtt; charset=utf-8"
        assert track.text.startswith("WEBVTT")
        assert f"/api/media/{rush.id}/sprite.jpg#xywh=160,0,160,90" in track.text
    image = get(base, f"/api/media/{rush.id}/sprite.jpg", cookies["zoe@example.com"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert image.content == sprite and image.headers["cache-control"].startswith("private")
