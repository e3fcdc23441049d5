"""Small videos made by ffmpeg for the media tests (``testsrc2`` pictures, ``sine`` sound), and broken files."""

from __future__ import annotations

import subprocess
from pathlib import Path

FFMPEG = "/usr/bin/ffmpeg"


def make_video(path: Path, *, rate: str = "25", seconds: float = 3.0, size: str = "160x90", audio: bool = True,
               timecode: str | None = None, faststart: bool = False, cut_at: float | None = None,
               silent_between: tuple[float, float] | None = None, codec: str = "libx264") -> Path:
    """An MP4 (or what ``path``'s extension says) of ``seconds`` at ``rate`` fps.

    ``cut_at`` switches the picture to plain blue there (a scene cut); ``silent_between`` mutes the tone.
    """
    if cut_at is None:
        video = f"testsrc2=size={size}:rate={rate}:duration={seconds}"
    else:
        video = (f"testsrc2=size={size}:rate={rate}:duration={cut_at}[a];"
                 f"color=c=blue:size={size}:rate={rate}:duration={seconds - cut_at}[b];[a][b]concat=n=2:v=1:a=0")
    args = [FFMPEG, "-nostdin", "-v", "error", "-y", "-filter_complex", video]
    if audio:
        tone = f"sine=frequency=440:sample_rate=48000:duration={seconds}"
        if silent_between:
            start, end = silent_between
            tone += f",volume=enable='between(t,{start},{end})':volume=0"
        args += ["-f", "lavfi", "-i", tone]
    args += ["-c:v", codec, "-pix_fmt", "yuv420p"]
    if codec == "libx264":
        args += ["-preset", "ultrafast"]
    if audio:
        args += ["-c:a", "aac"]
    if timecode:
        args += ["-timecode", timecode]
    if faststart:
        args += ["-movflags", "+faststart"]
    subprocess.run([*args, str(path)], check=True, timeout=120)
    return path


def truncate(path: Path, fraction: float) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def damage(path: Path, *, start: int = 32, size: int = 4096) -> Path:
    """Overwrite ``size`` bytes from ``start`` with noise, as a broken disk or transfer would (past the first
    bytes, the file still says it is an MP4)."""
    data = bytearray(path.read_bytes())
    data[start:start + size] = bytes((index * 97 + 13) % 256 for index in range(size))
    path.write_bytes(bytes(data))
    return path
