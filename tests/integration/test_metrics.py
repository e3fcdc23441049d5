"""Prometheus metrics over real HTTP: a live app (backend only) after real traffic shows its counters moved, holds
no email, password or token, and listens on the loopback address only; values of several processes add up."""

import os
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from studio_app.settings import DEFAULT_METRICS_ADDRESS, SettingsError, load_settings
from studio_app.state.signed_out import SignedOutState
from tests.support.live_clients import LiveClient, handler_name, run_in_own_loop
from tests.support.liveapp import live_app
from tests.support.servers import free_port

EMAIL = "metrics-leak@example.com"
PASSWORD = "Sw0rdfish-never-in-metrics"


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(url: str, ready) -> tuple[str, dict]:
    """Scrape until ``ready(samples)`` (the tabs gauge is sampled every few seconds)."""
    deadline = time.monotonic() + 30
    while True:
        text = httpx.get(url, timeout=30).text
        found = samples(text)
        if ready(found) or time.monotonic() > deadline:
            return text, found
        time.sleep(1)


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on ``port``, from the kernel's tables."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_metrics_listen_on_localhost_by_default():
    assert DEFAULT_METRICS_ADDRESS == "127.0.0.1:9108"
    assert load_settings({"STUDIO_DATA_DIR": "/tmp/studio-metrics-default"}).metrics_address == "127.0.0.1:9108"
    assert load_settings({"STUDIO_DATA_DIR": "/tmp/studio-metrics-default",
                          "STUDIO_METRICS_ADDRESS": "off"}).metrics_address is None
    with pytest.raises(SettingsError, match="STUDIO_METRICS_ADDRESS"):
        load_settings({"STUDIO_DATA_DIR": "/tmp/studio-metrics-default", "STUDIO_METRICS_ADDRESS": "9108"})


def test_a_live_app_counts_its_traffic_and_keeps_nothing_personal(tmp_path):
    with live_app(tmp_path, backend_only=True) as app:
        for _ in range(3):
            assert httpx.get(f"{app.url}/api/health").status_code == 200
        refused = httpx.post(f"{app.url}/api/auth/signin", data={"email": EMAIL, "password": PASSWORD, "next": "/"},
                             headers={"origin": app.url}, follow_redirects=False)
        assert refused.status_code == 303 and "credentials" in refused.headers["location"]
        token = str(uuid.uuid4())

        async def one_event_with_a_tab_open() -> tuple[str, dict]:
            client = await LiveClient(app.url, token=token).connect()
            try:
                await client.call(handler_name(SignedOutState, "forget"), {}, "/")
                return scrape(app.metrics_url, lambda found: value(found, "studio_connected_tabs") >= 1)
            finally:
                await client.close()

        text, found = run_in_own_loop(one_event_with_a_tab_open())
        port = int(app.metrics_url.split(":")[2].split("/")[0])
        addresses = listening_addresses(port)

    assert value(found, "studio_http_request_duration_seconds_count", route="/api/health", method="GET",
                 status="200") >= 3
    assert value(found, "studio_http_request_duration_seconds_count", route="/api/auth/signin", method="POST",
                 status="303") >= 1
    assert value(found, "studio_signin_failures_total", reason="credentials") >= 1
    events = [key for key in found if key[0] == "studio_event_duration_seconds_count"
              and dict(key[1])["handler"] == "signed_out_state.forget"]
    assert events and found[events[0]] >= 1  # counted in a server worker, served by serve's own process
    assert value(found, "studio_connected_tabs") >= 1
    assert value(found, "studio_ready", part="database") == 1
    assert ("studio_queue_waiting", ()) in found
    for secret in (EMAIL, "example.com", PASSWORD, token, app.data_dir.as_posix()):
        assert secret not in text
    assert addresses == {"0100007F"}  # 127.0.0.1 only


AGGREGATE = textwrap.dedent("""
    import sys, time
    from studio_app import metrics
    if sys.argv[1] == "serve":
        from studio_app.settings import load_settings
        metrics.start_server(load_settings())
        print("serving", flush=True)
        time.sleep(60)
    else:
        for _ in range(int(sys.argv[1])):
            metrics.count_mail_failure()
            metrics.count_provider_error("discord", "50007")
""")


def test_values_of_several_processes_add_up(tmp_path):
    folder = tmp_path / "multiproc"
    folder.mkdir()
    port = free_port()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder), "STUDIO_DATA_DIR": str(tmp_path / "data"),
           "STUDIO_METRICS_ADDRESS": f"127.0.0.1:{port}"}
    for count in ("2", "3"):
        subprocess.run([sys.executable, "-c", AGGREGATE, count], env=env, check=True)
    server = subprocess.Popen([sys.executable, "-c", AGGREGATE, "serve"], env=env, stdout=subprocess.PIPE)
    try:
        assert server.stdout.readline().strip() == b"serving"
        found = samples(httpx.get(f"http://127.0.0.1:{port}/metrics").text)
    finally:
        server.kill()
        server.wait()
    assert value(found, "studio_mail_failures_total") == 5
    assert value(found, "studio_provider_errors_total", provider="discord", code="50007") == 5
