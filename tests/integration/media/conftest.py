import dataclasses

import httpx
import pytest

from studio_app.settings import Settings
from tests.support.accounts import signed_in
from tests.support.app_env import app_environment
from tests.support.projects import add_editor, new_project, person
from tests.support.servers import api_server
from tests.support.tus import TusClient


@dataclasses.dataclass
class Studio:
    """A project with its producer and editor, a stranger, and another project's producer, signed in."""

    settings: Settings
    base: str
    project_id: str
    other_project_id: str
    cookies: dict[str, str]

    def tus(self, who: str | None, *, origin: str | None = None) -> TusClient:
        client = httpx.Client(base_url=self.base, timeout=60)
        return TusClient(client, origin or self.base.replace("127.0.0.1", "localhost"),
                         self.cookies.get(who) if who else None)

    def get(self, path: str, who: str | None, **headers: str) -> httpx.Response:
        cookie = {"cookie": f"studio_session={self.cookies[who]}"} if who else {}
        return httpx.get(f"{self.base}{path}", headers=cookie | headers, timeout=60)


def people(settings: Settings) -> tuple[str, str, dict[str, str]]:
    producer = person(settings, "zoe@example.com", name="Zoé Martin")
    editor = person(settings, "eli@example.com", role="editor", name="Eli Moreau")
    person(settings, "sam@example.com", name="Sam Stranger")
    other = person(settings, "ada@example.com", name="Ada Other")
    project = new_project(producer, "Spring teaser")
    add_editor(producer, editor, project.id)
    other_project = new_project(other, "Someone else's")
    cookies = {who: signed_in(settings, f"{who}@example.com")[0] for who in ("zoe", "eli", "sam", "ada")}
    return project.id, other_project.id, cookies


@pytest.fixture
def studio_env(monkeypatch, tmp_path):
    """Settings for a server started by the test (``serve``); small limits so that tests stay small."""
    database_url = f"sqlite:///{tmp_path / 'studio.db'}"
    limits = {"UPLOAD_MAX_BYTES": str(64 * 1024 * 1024), "PROJECT_QUOTA_BYTES": str(100 * 1024 * 1024)}
    with app_environment(monkeypatch, tmp_path / "data", database_url, **limits) as settings:
        yield settings, database_url, tmp_path, people(settings)


@pytest.fixture
def studio(studio_env):
    """The routes served over real HTTP by another process (it inherits the environment, limits included)."""
    settings, database_url, tmp_path, (project_id, other_id, cookies) = studio_env
    with api_server(tmp_path, database_url, settings.data_dir) as base:
        yield Studio(settings, base, project_id, other_id, cookies)
