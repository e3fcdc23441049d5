"""Processing a 60-second 1080p rush vs ffmpeg alone making the same proxy.

Measured: ``process_asset`` as the queue worker runs it: decrypt the sealed original into the private folder,
probe and check it, the poster, then one decoding pass making the 720p proxy, the thumbnail strip, the waveform,
scene cuts and silences, and every output sealed back into storage with its row. Peer: ``ffmpeg`` reading the
plaintext file and writing the same proxy (same scale and encoder settings), nothing else. Interleaved rounds;
processing should cost at most 1.5x the proxy alone.
"""

from __future__ import annotations

import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import Result, temporary_app
from studio_app.database import session_scope
from studio_app.integrations import ffmpeg
from studio_app.jobs.media import process_asset
from studio_app.models.media import MediaAsset, ProcessingStatus
from studio_app.services import files
from studio_app.settings import current_settings
from tests.support.projects import new_project, person

SECONDS = 60
SIZE = "1920x1080"
RATE = "30"
ROUNDS = 3
TARGET = 1.5


def run() -> Result:
    with tempfile.TemporaryDirectory() as scratch:
        source = _make_rush(Path(scratch) / "rush.mp4")
        info = ffmpeg.sniff(source)
        source_mib = round(source.stat().st_size / 2**20, 1)
        with temporary_app():
            producer = person(current_settings(), "bench@example.com")
            project = new_project(producer)
            processing, proxy_alone = [], []
            for _ in range(ROUNDS):
                asset_id = _uploaded(producer, project.id, source)
                started = time.perf_counter()
                process_asset(asset_id)
                processing.append(time.perf_counter() - started)
                _check_ready(asset_id)
                started = time.perf_counter()
                _proxy_alone(source, info, Path(scratch) / "proxy.mp4")
                proxy_alone.append(time.perf_counter() - started)
    measured, peer = statistics.median(processing), statistics.median(proxy_alone)
    return Result(
        name="media_processing",
        measured=measured,
        peer=peer,
        target=TARGET,
        unit="s (median)",
        details={"processing_s": [round(value, 2) for value in processing],
                 "ffmpeg_proxy_alone_s": [round(value, 2) for value in proxy_alone],
                 "source": f"{SECONDS} s {SIZE} at {RATE} fps, H.264 + AAC, {source_mib} MiB"},
    )


def _make_rush(path: Path) -> Path:
    subprocess.run([ffmpeg.FFMPEG, "-nostdin", "-v", "error", "-y",
                    "-f", "lavfi", "-i", f"testsrc2=size={SIZE}:rate={RATE}:duration={SECONDS}",
                    "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={SECONDS}",
                    "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    str(path)], check=True, timeout=1800)
    return path


def _uploaded(producer, project_id: str, source: Path) -> str:
    def chunks():
        with open(source, "rb") as handle:
            while chunk := handle.read(1 << 20):
                yield chunk

    with session_scope() as session:
        original = files.store_file(session, producer, project_id=project_id, name="rush.mp4",
                                    content_type="video/mp4", chunks=chunks())
        asset = MediaAsset(project_id=project_id, file_id=original.id, kind="rush", uploaded_by=producer.user_id)
        session.add(asset)
        session.flush()
        return asset.id


def _check_ready(asset_id: str) -> None:
    with session_scope() as session:
        asset = session.get(MediaAsset, asset_id)
        if asset.status != ProcessingStatus.READY:
            raise RuntimeError(f"processing did not finish: {asset.failure_reason}")


def _proxy_alone(source: Path, info: ffmpeg.MediaInfo, target: Path) -> None:
    width, height = ffmpeg.proxy_size(info)
    subprocess.run([ffmpeg.FFMPEG, "-nostdin", "-v", "error", "-y", "-i", str(source),
                    "-vf", f"scale={width}:{height},setsar=1,format=yuv420p",
                    *ffmpeg.proxy_encoding_args(info), str(target)], check=True, timeout=1800)
