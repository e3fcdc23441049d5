"""Read-only mode (breach containment) over real HTTP: uploads are refused with the banner's plain words, nothing
is stored, and they go on where they stopped once an admin lifts the mode."""

from studio_app.database import session_scope
from studio_app.security import read_only
from tests.support.tus import CHUNK, fake_video


def set_read_only(on: bool) -> None:
    with session_scope() as session:
        read_only.set_read_only(session, on=on, reason="Incident: test", actor_id="0" * 32, incident_id=None)


def test_uploads_are_refused_while_read_only_and_resume_after(studio):
    tus = studio.tus("eli")
    data = fake_video(2 * CHUNK + 10)
    location = tus.create(len(data), project=studio.project_id, filename="Plage.mp4", kind="rush").headers["location"]
    assert tus.patch(location, 0, data[:CHUNK]).status_code == 204

    set_read_only(True)
    created = tus.create(len(data), project=studio.project_id, filename="Other.mp4", kind="rush")
    assert created.status_code == 503 and created.text == read_only.MESSAGE
    patched = tus.patch(location, CHUNK, data[CHUNK:])
    assert patched.status_code == 503 and patched.text == read_only.MESSAGE
    assert tus.head(location).headers["upload-offset"] == str(CHUNK)  # reading still works; nothing was added

    set_read_only(False)
    last = tus.patch(location, CHUNK, data[CHUNK:])
    assert last.status_code == 204 and last.headers["upload-offset"] == str(len(data))
