"""``python -m studio_app``: a bad configuration stops start-up with one line naming the variable."""

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from studio_app.database import create_db_engine, schema_status
from studio_app.settings import PROJECT_ROOT
from tests.support.accounts import STRONG_PASSWORD
from tests.support.servers import free_port


def run_cli(tmp_path, command: str, **variables: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    env |= {"STUDIO_DATA_DIR": str(tmp_path / "data")} | {f"STUDIO_{k}": v for k, v in variables.items()}
    return subprocess.run(
        [sys.executable, "-m", "studio_app", command],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60,
    )


def assert_one_clear_line(result: subprocess.CompletedProcess, variable: str) -> str:
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Configuration error: {variable}: ")
    return lines[0]


def test_check_passes_on_the_embedded_default(tmp_path):
    result = run_cli(tmp_path, "check")
    assert result.returncode == 0, result.stderr
    assert "Configuration OK" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value"),
    [("PUBLIC_URL", "not-a-url"), ("ALLOWED_ORIGINS", "*"), ("DATABASE_URL", "oracle://db/x"), ("PORT", "0")],
)
def test_a_malformed_value_stops_start_up(tmp_path, variable, value):
    assert_one_clear_line(run_cli(tmp_path, "serve", **{variable: value}), f"STUDIO_{variable}")


def test_an_unreachable_database_stops_start_up(tmp_path):
    closed_port = free_port()
    result = run_cli(tmp_path, "serve", DATABASE_URL=f"postgresql://postgres@127.0.0.1:{closed_port}/studio")
    line = assert_one_clear_line(result, "STUDIO_DATABASE_URL")
    assert "cannot connect to the database" in line


def test_an_unwritable_data_folder_stops_start_up(tmp_path):
    (tmp_path / "file").write_text("")
    result = run_cli(tmp_path, "serve", DATA_DIR=str(tmp_path / "file" / "data"))
    assert "not writable" in assert_one_clear_line(result, "STUDIO_DATA_DIR")


def test_an_unreachable_redis_stops_start_up(tmp_path):
    result = run_cli(tmp_path, "serve", REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    assert "cannot reach Redis" in assert_one_clear_line(result, "STUDIO_REDIS_URL")


def test_check_reaches_real_postgres_and_redis(tmp_path, postgres_url, redis_url):
    result = run_cli(tmp_path, "check", DATABASE_URL=postgres_url, REDIS_URL=redis_url)
    assert result.returncode == 0, result.stderr


def test_migrate_brings_a_new_sqlite_database_to_head(tmp_path):
    result = run_cli(tmp_path, "migrate")
    assert result.returncode == 0, result.stderr
    engine = create_db_engine(f"sqlite:///{tmp_path / 'data' / 'studio.db'}")
    try:
        assert schema_status(engine).up_to_date
        with engine.connect() as connection:
            assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()


def test_workers_starting_together_all_accept_the_data_folder(tmp_path):
    """Reflex starts several workers at once; each validates the same (new) data folder."""
    script = ("from studio_app.settings import load_settings\n"
              f"for _ in range(200): load_settings({{'STUDIO_DATA_DIR': {str(tmp_path / 'data')!r}}})\n")
    workers = [subprocess.Popen([sys.executable, "-c", script], cwd=PROJECT_ROOT, stderr=subprocess.PIPE)
               for _ in range(6)]
    failures = [worker.stderr.read().decode() for worker in workers if worker.wait(timeout=60) != 0]
    assert failures == []


def create_admin(tmp_path, typed: str) -> subprocess.CompletedProcess:
    """``admin create`` with ``typed`` as what the person types (no terminal: getpass reads the same input)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    env["STUDIO_DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run(
        [sys.executable, "-m", "studio_app", "admin", "create", "--email", "admin@example.com"], input=typed,
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120, start_new_session=True,
    )


def test_admin_create_asks_again_after_a_plain_message_then_creates_the_account(tmp_path):
    result = create_admin(tmp_path, "\n".join([
        "A" * 81,  # too long a display name
        "Ada Admin",
        "short", "short",  # too short a password
        STRONG_PASSWORD, "a different one",
        STRONG_PASSWORD, STRONG_PASSWORD,
    ]) + "\n")
    assert result.returncode == 0, result.stderr
    assert "Display name, shown to the people you work with [Admin]:" in result.stdout
    assert "Use at most 80 characters. Try again." in result.stderr
    assert "Use at least 10 characters. Try again." in result.stderr
    assert "The two passwords are different. Try again." in result.stderr
    assert "Admin account created for admin@example.com" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("typed", ["", "Ada Admin\n", "Ada Admin\nshort\nshort\nshort\nshort\nshort\nshort\n"])
def test_admin_create_stops_with_a_message_on_closed_or_wrong_input(tmp_path, typed):
    result = create_admin(tmp_path, typed)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] in ("No admin account was created.", "Use at least 10 characters.")
    assert "created for" not in result.stdout


def test_serve_sets_up_the_frontend_folder_so_reflex_prints_no_new_project_advice(tmp_path):
    """``reflex run`` runs its new-project command (which ends "Run `uv run reflex run`") only when the frontend
    folder needs it; ``serve`` sets the folder up first. Checked on a folder of its own, not the project's."""
    from studio_app.__main__ import LOCAL_TOOLS_BIN

    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    env |= {"STUDIO_DATA_DIR": str(tmp_path / "data"), "REFLEX_WEB_WORKDIR": str(tmp_path / "web"),
            "REFLEX_USE_SYSTEM_BUN": "1", "PATH": f"{LOCAL_TOOLS_BIN}{os.pathsep}{env.get('PATH', '')}"}
    script = ("from reflex.utils.prerequisites import needs_reinit\n"
              "from studio_app.__main__ import initialize_web_directory\n"
              "assert needs_reinit()\n"
              "initialize_web_directory()\n"
              "print('needs the new-project command:', needs_reinit())\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "needs the new-project command: False" in result.stdout
    assert "uv run reflex run" not in result.stdout + result.stderr
