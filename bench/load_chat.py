"""Chat throughput: 200 signed-in tabs in 40 projects of 5, each on its project page, posting round-robin at a
fixed rate, against the app and against a bare Reflex app with the same push shape, in one run.

The driver (this process) speaks to both as the browser does: socket.io clients with the session cookie, the
project page's events (``ShellState.load``, ``ProjectState.load``, ``ThreadState.open``), then
``ThreadState.send`` with the form a browser submits. The peer (``bench/peer_chat``, served by
``reflex run --env prod --backend-only`` like the app) keeps the same window of 50 rows in one substate and
pushes each row to the room's other tabs through ``app.modify_state``, with no database, session or encryption.

Both apps run one backend process (the embedded default: SQLite, disk state manager). Each is offered rising
rates, ``PHASE_SECONDS`` each, in steps of at most a quarter (a coarser ladder made the ratio jump with noise);
a rate is sustained when every message reached all five members' tabs and the p99 post-to-seen stayed under
``SUSTAINED_P99_MS``. The result compares the highest sustained rates as
milliseconds of offered interval per message (1000 / rate; lower is better): the app holds at a ratio of at most
2, at least half the peer's rate. Also required: each message reaches each member exactly once (it appears once
in their window and never comes back) and in order (each sender's messages arrive in the order sent, and a
project's members end with the same window), p99 post-to-seen under 250 ms at 50 msg/s; memory per connected
tab is reported (resident memory of the server's process tree before and after the tabs connect).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import Result, percentile, summary_ms, tree_rss_bytes
from tests.support.live_clients import LiveClient, handler_name, services_of
from tests.support.liveapp import live_app
from tests.support.servers import free_port, python_command, running_process

PROJECTS, MEMBERS = 40, 5
# Messages per second offered, in order, until one is not sustained (on a quiet machine the peer reaches 450).
RATES = (10, 20, 30, 40, 50, 60, 75, 100, 125, 150, 200, 250, 300, 375, 450, 550, 700, 850, 1000)
PHASE_SECONDS = 12
DRAIN_SECONDS = 20  # after a phase, how long the stragglers may take before they count as not delivered
SUSTAINED_P99_MS = 1000
CHECKED_RATE, CHECKED_P99_MS = 50, 250
TARGET = 2.0
CONNECTS_AT_ONCE = 10
PEER_DIR = Path(__file__).parent / "peer_chat"
PEER_STATE = "reflex___state____state.peer_chat___peer_chat____chat_state"


class Tab(LiveClient):
    """One member's tab: records when each message first appears in its window and checks it never appears
    twice (in one window, or again after it left), and that messages appear in posting order."""

    def __init__(self, app_url: str, cookie: str | None, user: int, project: int):
        super().__init__(app_url, cookie)
        self.user, self.project = user, project
        self.collecting = True  # while the page opens, ``call`` reads the updates
        self.shown: set[int] = set()
        self.window: list[int] = []
        self.arrived: dict[int, float] = {}
        self.arrival_order: list[int] = []
        self.problems: list[str] = []

    def _received(self, update: dict) -> None:
        if self.collecting:
            self.updates.put_nowait(update)
        now = time.perf_counter()
        for substate in update.get("delta", {}).values():
            rows = substate.get("messages_rx_state_")
            if rows is None:
                continue
            bodies = [row.get("body", "") for row in rows]
            numbers = [int(body.split()[1]) for body in bodies if body.startswith("load ")]
            if len(numbers) != len(set(numbers)):
                self.problems.append("a message shown twice in one window")
            for number in numbers:
                if number not in self.shown:
                    if number in self.arrived:
                        self.problems.append(f"message {number} came back")
                    else:
                        self.arrived[number] = now
                        self.arrival_order.append(number)
            self.shown, self.window = set(numbers), numbers


class Target:
    """One app under load: how to open a tab's page and post from it."""

    name: str

    async def open_tab(self, user: int, project: int) -> Tab:
        raise NotImplementedError

    async def post(self, tab: Tab, body: str) -> None:
        raise NotImplementedError


class StudioApp(Target):
    name = "app"

    def __init__(self, app, cookies: list[str], project_ids: list[str]):
        from studio_app.state.projects import ProjectState
        from studio_app.state.shell import ShellState
        from studio_app.state.thread import ThreadState

        self.url, self.cookies, self.project_ids = app.url, cookies, project_ids
        self.page_events = [handler_name(ShellState, "load"), handler_name(ProjectState, "load"),
                            handler_name(ThreadState, "open")]
        self.send = handler_name(ThreadState, "send")

    def path(self, project: int) -> str:
        return f"/projects/{self.project_ids[project]}"

    async def open_tab(self, user: int, project: int) -> Tab:
        tab = await Tab(self.url, self.cookies[user], user, project).connect()
        for event in self.page_events:
            await tab.call(event, {}, self.path(project))
        tab.collecting = False
        return tab

    async def post(self, tab: Tab, body: str) -> None:
        path = self.path(tab.project)
        form = {"body": body, "key": uuid.uuid4().hex, "project": self.project_ids[tab.project]}
        await tab.client.emit("event", {"name": self.send, "payload": {"form": form},
                                        "router_data": {"pathname": path, "asPath": path}}, namespace="/_event")


class PeerApp(Target):
    name = "peer"

    def __init__(self, url: str):
        self.url = url

    async def open_tab(self, user: int, project: int) -> Tab:
        tab = await Tab(self.url, None, user, project).connect()
        await tab.call(f"{PEER_STATE}.join", {"room": f"room-{project}", "user": f"user-{user}"}, "/")
        tab.collecting = False
        return tab

    async def post(self, tab: Tab, body: str) -> None:
        await tab.client.emit("event", {"name": f"{PEER_STATE}.send", "payload": {"body": body},
                                        "router_data": {"pathname": "/", "asPath": "/"}}, namespace="/_event")


async def open_tabs(target: Target) -> tuple[list[Tab], list[float]]:
    gate, seconds = asyncio.Semaphore(CONNECTS_AT_ONCE), []

    async def one(user: int) -> Tab:
        async with gate:
            started = time.perf_counter()
            tab = await target.open_tab(user, user // MEMBERS)
            seconds.append(time.perf_counter() - started)
            return tab

    return list(await asyncio.gather(*(one(user) for user in range(PROJECTS * MEMBERS)))), seconds


async def run_phase(target: Target, tabs: list[Tab], rate: int, first_number: int, senders: dict[int, int]) -> dict:
    """Offer ``rate`` messages a second for ``PHASE_SECONDS``: senders round-robin over the projects, each
    project's members in turn; then wait for every member's tab to show every message."""
    order = [tabs[project * MEMBERS + turn] for turn in range(MEMBERS) for project in range(PROJECTS)]
    count = rate * PHASE_SECONDS
    posted: dict[int, tuple[float, Tab]] = {}
    started = time.perf_counter()
    for index in range(count):
        delay = started + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        number, sender = first_number + index, order[index % len(order)]
        posted[number], senders[number] = (time.perf_counter(), sender), sender.user
        await target.post(sender, f"load {number} from user {sender.user}")
    offered_seconds = time.perf_counter() - started

    def missing() -> int:
        return sum(1 for number, (_, sender) in posted.items() for member in project_tabs(tabs, sender.project)
                   if number not in member.arrived)

    deadline = time.perf_counter() + DRAIN_SECONDS
    while missing() and time.perf_counter() < deadline:
        await asyncio.sleep(0.2)
    latencies, last_seen = [], started
    for number, (at, sender) in posted.items():
        for member in project_tabs(tabs, sender.project):
            if number in member.arrived:
                last_seen = max(last_seen, member.arrived[number])
                if member is not sender:
                    latencies.append(member.arrived[number] - at)
    lost = missing()
    summary = summary_ms(latencies) if latencies else {"p50_ms": None, "p99_ms": None}
    p99 = percentile(latencies, 0.99) * 1e3 if latencies else float("inf")
    return {
        "offered_per_s": rate, "messages": count, "offered_seconds": round(offered_seconds, 2),
        "delivered_per_s": round(count / (last_seen - started), 1), "not_delivered": lost,
        "post_to_seen": summary, "sustained": lost == 0 and p99 < SUSTAINED_P99_MS,
    }


def project_tabs(tabs: list[Tab], project: int) -> list[Tab]:
    return tabs[project * MEMBERS:(project + 1) * MEMBERS]


def order_problems(tabs: list[Tab], senders: dict[int, int]) -> list[str]:
    """In order: the five members of a project end with the same window (the thread's one order), and each
    sender's messages reached every member in the order they were sent."""
    problems = [problem for tab in tabs for problem in tab.problems]
    for project in range(PROJECTS):
        members = project_tabs(tabs, project)
        if any(member.window != members[0].window for member in members):
            problems.append(f"the members of project {project} see different orders")
    for tab in tabs:
        by_sender = defaultdict(list)
        for number in tab.arrival_order:
            by_sender[senders.get(number)].append(number)
        if any(numbers != sorted(numbers) for numbers in by_sender.values()):
            problems.append(f"user {tab.user} saw someone's messages out of order")
    return problems


async def drive(target: Target, leader_pid: int) -> dict:
    before_kib = tree_rss_bytes(leader_pid) // 1024
    tabs, open_seconds = await open_tabs(target)
    await asyncio.sleep(2)  # let the servers settle (deferred state writes) before measuring memory
    after_kib = tree_rss_bytes(leader_pid) // 1024
    phases, number, senders = [], 0, {}
    try:
        for rate in RATES:
            phase = await run_phase(target, tabs, rate, number, senders)
            number += phase["messages"]
            phases.append(phase)
            if not phase["sustained"]:
                break
        problems = order_problems(tabs, senders)
    finally:
        await asyncio.gather(*(tab.close() for tab in tabs), return_exceptions=True)
    sustained = max((phase["offered_per_s"] for phase in phases if phase["sustained"]), default=0)
    checked = next((phase for phase in phases if phase["offered_per_s"] == CHECKED_RATE), None)
    return {
        "sustained_per_s": sustained,
        "phases": phases,
        "exactly_once_in_order": not problems and all(phase["not_delivered"] == 0 for phase in phases
                                                        if phase["sustained"]),
        "problems": problems[:10],
        f"p99_ms_at_{CHECKED_RATE}": checked["post_to_seen"]["p99_ms"] if checked else None,
        "connect_and_open_page": summary_ms(open_seconds),
        "memory_per_tab_kib": round((after_kib - before_kib) / len(tabs), 1),
    }


def prepare_people(app) -> tuple[list[str], list[str]]:
    """200 verified accounts (the first of each five a producer) with a session each, 40 projects of five."""
    with services_of(app.data_dir):
        from sqlmodel import select

        from studio_app.database import session_scope
        from studio_app.models.accounts import User
        from studio_app.security.blind_index import email_index
        from studio_app.security.keyring import current_keys
        from studio_app.services import sessions
        from studio_app.services.sessions import ClientInfo
        from studio_app.settings import current_settings
        from tests.support.accounts import CLIENT, verified_account
        from tests.support.projects import add_editor, new_project

        settings, run = current_settings(), uuid.uuid4().hex[:6]
        emails = [f"load-{run}-{user}@example.com" for user in range(PROJECTS * MEMBERS)]

        def account(user: int) -> str:
            """Signed up and verified (one argon2id hash), then a session as the sign-in route makes one."""
            role = "producer" if user % MEMBERS == 0 else "editor"
            # One address each: the sign-up limit per network address would stop a crowd from one machine.
            client = ClientInfo(ip_address=f"10.0.{user // 250}.{user % 250 + 1}", user_agent=CLIENT.user_agent)
            verified_account(settings, emails[user], role=role, name=f"Load Person {user}", client=client)
            with session_scope() as session:
                found = session.exec(select(User).where(
                    User.email_index == email_index(current_keys().index_key, emails[user]))).one()
                return sessions.create_session(session, settings, found, client)

        with ThreadPoolExecutor(max_workers=2) as pool:  # argon2id per sign-up: two at a time on two cores
            cookies = list(pool.map(account, range(PROJECTS * MEMBERS)))
        project_ids = []
        for project in range(PROJECTS):
            producer = actor_of(cookies[project * MEMBERS])
            created = new_project(producer, f"Load project {project}")
            for member in range(1, MEMBERS):
                add_editor(producer, actor_of(cookies[project * MEMBERS + member]), created.id)
            project_ids.append(created.id)
    return cookies, project_ids


def actor_of(cookie: str):
    from studio_app.database import session_scope
    from studio_app.services.sessions import resolve_session
    from studio_app.settings import current_settings

    with session_scope() as session:
        return resolve_session(session, current_settings(), cookie)


def peer_server(work: Path):
    """The peer, copied to ``work`` (its disk state manager writes next to it) and served like the app."""
    folder = work / "peer_chat"
    shutil.copytree(PEER_DIR, folder, ignore=shutil.ignore_patterns("__pycache__", ".web", ".states"))
    port = free_port()
    url = f"http://localhost:{port}"
    reflex = str(Path(python_command()[0]).parent / "reflex")
    env = {"PEER_CHAT_ORIGIN": url, "REFLEX_USE_SYSTEM_BUN": "1"}
    return url, running_process([reflex, "run", "--env", "prod", "--backend-only", "--backend-port", str(port)],
                                env=env, ready_url=f"{url}/ping", log=work / "peer.log", cwd=folder)


def run() -> Result:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        with live_app(work / "app", backend_only=True) as app:
            cookies, project_ids = prepare_people(app)
            measured = asyncio.run(drive(StudioApp(app, cookies, project_ids), app.pid))
        peer_url, server = peer_server(work)
        with server as process:
            peer = asyncio.run(drive(PeerApp(peer_url), process.pid))
    # A server that sustains none of the rates is counted as sustaining half the lowest one.
    app_rate, peer_rate = (phases["sustained_per_s"] or RATES[0] / 2 for phases in (measured, peer))
    return Result(
        name="load_chat",
        measured=1000 / app_rate,
        peer=1000 / peer_rate,
        target=TARGET,
        unit="ms of offered interval per message at the highest sustained rate (1000 / msg/s)",
        details={"clients": PROJECTS * MEMBERS, "projects": PROJECTS, "phase_seconds": PHASE_SECONDS,
                 "app": measured, "peer": peer},
        conditions={
            "every_message_to_every_member_once_in_order": measured["exactly_once_in_order"],
            f"p99_under_{CHECKED_P99_MS}_ms_at_{CHECKED_RATE}_per_s":
                (measured[f"p99_ms_at_{CHECKED_RATE}"] or float("inf")) < CHECKED_P99_MS,
        },
    )
