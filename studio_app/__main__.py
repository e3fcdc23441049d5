"""``python -m studio_app``: check the configuration, migrate, serve, run job-queue consumers.

Every failure a person can fix (a bad variable, an unreachable service) ends with one line
naming the variable, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import TYPE_CHECKING

from studio_app.settings import PROJECT_ROOT, Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from studio_app.supervisor import Child

LOCAL_TOOLS_BIN = PROJECT_ROOT / ".tools" / "node_modules" / ".bin"


def preflight() -> Settings:
    """Everything start-up needs, checked before anything starts."""
    from studio_app.database import check_database_reachable

    settings = load_settings()
    check_database_reachable(settings)
    if settings.redis_url:
        _check_redis_reachable(settings.redis_url)
    return settings


def _check_redis_reachable(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except redis.RedisError as error:
        raise SettingsError("STUDIO_REDIS_URL", f"cannot reach Redis ({error})") from None
    finally:
        client.close()


def migrate(settings: Settings) -> None:
    from studio_app.database import upgrade_to_head

    upgrade_to_head(settings.database_url)


def serve(settings: Settings, *, backend_only: bool = False, with_worker: bool | None = None) -> int:
    """Run Reflex's production server (frontend and backend on one port) and a job-queue consumer next to it, as
    children of this process: one command starts everything, and SIGINT or SIGTERM here stops both
    (``studio_app/supervisor.py``).

    ``backend_only`` serves the event socket and HTTP routes without building or serving the frontend: the extra
    instances of a scaled-out deployment, behind the same reverse proxy, sharing Redis. They start no consumer
    unless ``with_worker`` says so (queue consumers are usually scaled apart: ``python -m studio_app worker``).
    """
    from studio_app.supervisor import Child, supervise

    if LOCAL_TOOLS_BIN.is_dir():
        # Reflex needs Node >= 22 and bun; the project installs both here when the system's are older.
        os.environ["PATH"] = f"{LOCAL_TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
        os.environ["REFLEX_USE_SYSTEM_BUN"] = "1"
    # Reflex compiles the app in the serving process, then forks its workers from it by default, and each
    # worker compiles again: every page is registered twice ("Page ... is being redefined"). Spawned workers
    # import the app once.
    os.environ.setdefault("REFLEX_BACKEND_START_METHOD", "spawn")
    from studio_app.logs import log_format

    if log_format(settings) == "json":  # Reflex's own lines ("App running at") as JSON too, like ours
        os.environ.setdefault("REFLEX_LOG_JSON", "true")
    reflex = os.path.join(os.path.dirname(sys.executable), "reflex")
    port = str(settings.port)
    if backend_only:
        args = [reflex, "run", "--env", "prod", "--backend-only", "--backend-port", port]
    else:
        args = [reflex, "run", "--env", "prod", "--frontend-port", port, "--backend-port", port]
    args += ["--backend-host", settings.host]
    os.chdir(PROJECT_ROOT)
    if not backend_only:
        initialize_web_directory()
    _serve_metrics(settings)
    children = [Child("app", args, stop_signal=signal.SIGINT)]
    if settings.starts_sandbox and not backend_only:
        children.insert(0, _sandbox_child(settings))
    if (not backend_only) if with_worker is None else with_worker:
        consumer = [sys.executable, "-m", "studio_app", "worker"]
        if not settings.redis_url:
            consumer.append("--flush-locks")  # the embedded default's only consumer: a lock left is a dead one's
        children.append(Child("queue consumer", consumer))
    return supervise(children)


def _sandbox_child(settings: Settings) -> Child:
    """The provider sandbox, for the providers without real credentials (``make run`` then works offline). Its
    control API's secret is made here when none is set and reaches the app and the consumer through the
    environment they inherit."""
    import secrets

    from studio_app.supervisor import Child

    os.environ.setdefault("STUDIO_SANDBOX_SECRET", secrets.token_urlsafe(32))
    return Child("provider sandbox", [sys.executable, "-m", "studio_app.sandbox", "--host", "127.0.0.1",
                                      "--port", str(settings.sandbox_port)])


def _prepare_metrics(settings: Settings, command: str) -> None:
    """Before anything imports prometheus-client: this process and its children keep their values in one folder,
    which the metrics server (and the Operations view) add up (``metrics.py``). A consumer that ``serve`` started
    writes into ``serve``'s folder; one started on its own gets a folder of its own."""
    from studio_app import metrics

    if os.environ.get(metrics.MULTIPROC_VARIABLE):
        return
    if command == "serve":
        metrics.prepare_multiprocess_dir(settings.metrics_dir)
    else:
        import atexit
        import shutil

        folder = settings.data_dir / f"metrics-worker-{os.getpid()}"
        metrics.prepare_multiprocess_dir(folder)
        atexit.register(shutil.rmtree, folder, True)
    os.environ[_METRICS_OWNER] = str(os.getpid())


_METRICS_OWNER = "STUDIO_METRICS_OWNER_PID"


def _serve_metrics(settings: Settings) -> None:
    """The process that prepared the folder serves it (``serve``, or a consumer started on its own)."""
    from studio_app import metrics
    from studio_app.services.readiness import ReadinessCollector

    if os.environ.get(_METRICS_OWNER) == str(os.getpid()):
        metrics.start_server(settings, (ReadinessCollector(),))


def default_worker_count() -> int:
    """One worker process per core, at most 4 (media jobs use ffmpeg's own threads too)."""
    return max(1, min(os.cpu_count() or 1, 4))


def run_worker(settings: Settings, *, workers: int, flush_locks: bool) -> int:
    """A job-queue consumer (``jobs/queue.py``) in this process until SIGINT (finish running tasks) or SIGTERM."""
    from studio_app.jobs.queue import run_consumer

    _serve_metrics(settings)
    run_consumer(workers=workers, flush_locks=flush_locks)
    return 0


def initialize_web_directory() -> None:
    """Set up Reflex's frontend folder (.web) when it is missing or from another Reflex version.

    ``reflex run`` would do it through its new-project command, which ends by telling the person to
    "Run `uv run reflex run`": not how this project starts. Done here, ``reflex run`` finds nothing to do.
    """
    from reflex.utils import prerequisites

    if prerequisites.needs_reinit():
        prerequisites.initialize_reflex_user_directory()
        prerequisites.initialize_frontend_dependencies()


ADMIN_ATTEMPTS = 3


def create_admin(email: str) -> int:
    """Asks for the display name and the password (never an argument: it would land in shell history and process
    lists), checks each as it is typed, and asks again after a plain message; no traceback on closed input."""
    from studio_app.database import session_scope
    from studio_app.services.accounts import create_admin as create_admin_account
    from studio_app.services.validation import InvalidInput, check_display_name, check_email, check_password

    try:
        email = check_email(email)
        display_name = _ask(lambda: input("Display name, shown to the people you work with [Admin]: ").strip()
                            or "Admin", check_display_name)
        password = _ask(_new_password, lambda typed: check_password(typed, related=(email, email.split("@")[0],
                                                                                     display_name)))
        with session_scope() as session:
            create_admin_account(session, email, password, display_name)
    except InvalidInput as invalid:
        print(invalid.message, file=sys.stderr)
        return 1
    except (EOFError, KeyboardInterrupt):
        print("\nNo admin account was created.", file=sys.stderr)
        return 1
    print(f"Admin account created for {email}. Sign in at /signin.")
    return 0


def _ask(prompt, check):
    """``prompt()`` until ``check`` accepts the answer, at most ``ADMIN_ATTEMPTS`` times."""
    from studio_app.services.validation import InvalidInput

    for _ in range(ADMIN_ATTEMPTS - 1):
        try:
            return check(prompt())
        except InvalidInput as invalid:
            print(f"{invalid.message} Try again.", file=sys.stderr)
    return check(prompt())


def _new_password() -> str:
    import getpass

    from studio_app.services.validation import InvalidInput

    password = getpass.getpass("Password: ")
    if getpass.getpass("Repeat the password: ") != password:
        raise InvalidInput("password", "The two passwords are different.")
    return password


def rotate_keys(settings: Settings) -> int:
    from sqlmodel import Session

    from studio_app.database import get_engine
    from studio_app.security.keyring import KeyRingError, load_keyring
    from studio_app.services.key_rotation import rewrap_all_data_keys

    keyring = load_keyring(settings)
    if settings.master_keys is None:
        try:
            print(f"New active master key: {keyring.add_key().key_id}")
        except KeyRingError as error:
            print(f"Cannot add a key: {error}", file=sys.stderr)
            return 1
    else:
        print(f"Master keys come from STUDIO_MASTER_KEYS; the active one is {keyring.active_key_id} (the last).")
    count = rewrap_all_data_keys(lambda: Session(get_engine()), keyring)
    print(f"Re-wrapped {count} data key(s) under {keyring.active_key_id}. Run again to resume if interrupted.")
    return 0


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a positive whole number")
    return int(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m studio_app", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="validate settings and reach the database (and Redis when set)")
    commands.add_parser("migrate", help="check, then apply database migrations up to head")
    serve_command = commands.add_parser("serve", help="check, migrate, then start the app")
    serve_command.add_argument("--backend-only", action="store_true",
                               help="serve the event socket and HTTP routes only (extra instances behind a proxy)")
    serve_command.add_argument("--with-worker", action="store_true", default=None,
                               help="with --backend-only: start a job-queue consumer too (serve alone always does)")
    worker_command = commands.add_parser("worker", help="run a job-queue consumer (several share the work)")
    worker_command.add_argument("--workers", type=_positive, default=default_worker_count(),
                                help="worker processes running tasks side by side (default: one per core, at most 4)")
    worker_command.add_argument("--flush-locks", action="store_true",
                                help="clear the locks of periodic rounds first (only when no other consumer runs)")
    admin = commands.add_parser("admin", help="administration").add_subparsers(dest="admin_command", required=True)
    admin.add_parser("create", help="create an admin account (prompts for the password)").add_argument(
        "--email", required=True)
    keys = commands.add_parser("keys", help="encryption keys").add_subparsers(dest="keys_command", required=True)
    keys.add_parser("rotate", help="add a master key and re-wrap every user's data key under it")
    args = parser.parse_args(argv)
    try:
        settings = preflight()
    except SettingsError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    from studio_app import logs

    if args.command in ("serve", "worker"):
        _prepare_metrics(settings, args.command)
    # A task's exception (names, addresses) never reaches a log line, in any of these processes (logs.py).
    logs.setup("worker" if args.command == "worker" else "cli", settings)
    if args.command == "check":
        print(f"Configuration OK: {settings.public_url}, data in {settings.data_dir}")
        return 0
    if args.command == "worker":  # migrations are the web app's (``serve`` or ``migrate``), once per release
        return run_worker(settings, workers=args.workers, flush_locks=args.flush_locks)
    migrate(settings)
    if args.command == "serve":
        return serve(settings, backend_only=args.backend_only, with_worker=args.with_worker)
    if args.command == "admin":
        return create_admin(args.email)
    if args.command == "keys":
        return rotate_keys(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
