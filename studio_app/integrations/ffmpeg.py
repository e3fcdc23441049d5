"""ffprobe and ffmpeg as subprocesses: what a video is, whether we can process it, and what we make of it.

Every call runs the binaries directly (no shell), with a timeout, reading only the demuxers we accept
(``ALLOWED_DEMUXERS``) through the ``file`` protocol: a playlist or an image renamed ``.mp4`` cannot make ffmpeg
open other files or URLs. Plaintext media only ever sits in a private folder (``private_workdir``, mode 0700)
that is removed whatever happens.

One decoding pass (``derive``) makes the proxy, the thumbnail strip, the waveform, the scene cuts and the
silences together: decoding a 1080p source costs more than everything done with its frames, so doing it once
keeps processing close to the cost of making the proxy alone.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import selectors
import shutil
import subprocess
import tempfile
import time
from array import array
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

FFMPEG = "/usr/bin/ffmpeg"
FFPROBE = "/usr/bin/ffprobe"

# ffmpeg names demuxers by family: "mov" reads MP4/MOV/M4V/3GP, "matroska" reads MKV and WebM.
ALLOWED_DEMUXERS = ("mov", "matroska", "avi", "mxf", "mpegts")
ACCEPTED_FORMATS_IN_WORDS = "MP4, MOV, MKV, WebM, AVI, MXF or MPEG-TS"
ALLOWED_VIDEO_CODECS = frozenset({
    "h264", "hevc", "av1", "vp8", "vp9", "prores", "dnxhd", "mpeg4", "mpeg2video", "mjpeg", "dvvideo",
})
ALLOWED_AUDIO_CODECS = frozenset({
    "aac", "mp3", "ac3", "eac3", "opus", "vorbis", "flac", "alac", "mp2",
    "pcm_s16le", "pcm_s16be", "pcm_s24le", "pcm_s24be", "pcm_s32le", "pcm_f32le", "pcm_u8",
})
MAX_DIMENSION = 8192
MAX_DURATION_SECONDS = 6 * 3600

PROBE_TIMEOUT_SECONDS = 60
POSTER_TIMEOUT_SECONDS = 120
PROXY_MAX_SHORT_SIDE = 720
THUMBNAIL_LONG_SIDE = 160
SPRITE_COLUMNS = 10
MAX_THUMBNAILS = 100
THUMBNAIL_INTERVALS = (1, 2, 5, 10, 15, 30, 60, 120, 300)
WAVEFORM_SAMPLE_RATE = 8000
SCENE_THRESHOLD = 0.3
SILENCE_NOISE_DB = -35
SILENCE_MIN_SECONDS = 1.0
# A decode this much shorter than the announced duration means the end of the file is missing.
TRUNCATION_TOLERANCE = 0.9

_INPUT_GUARDS = ("-format_whitelist", ",".join(ALLOWED_DEMUXERS), "-protocol_whitelist", "file")
_QUIET = ("-nostdin", "-hide_banner", "-loglevel", "error", "-y")

NOT_A_VIDEO = f"This file is not a video we can read. Upload a video file ({ACCEPTED_FORMATS_IN_WORDS})."
DAMAGED = "This video is damaged or incomplete and cannot be read. Upload it again from the original."
TRUNCATED = "This video stops before its announced end: the file looks cut short. Upload it again from the original."


class MediaRefused(Exception):
    """The file is not a video we can process; the message says why in plain words, for the person."""


class MediaToolError(Exception):
    """ffmpeg or ffprobe failed or ran out of time for a reason that may not be the file's (retrying may help)."""


@dataclasses.dataclass(frozen=True)
class MediaInfo:
    """What ffprobe says about a video. ``width`` and ``height`` are as displayed (rotation applied)."""

    container: str
    duration_seconds: float
    width: int
    height: int
    frame_rate: str  # a rational, "30000/1001"
    video_codec: str
    audio_codec: str | None
    audio_channels: int
    start_timecode: str | None
    drop_frame: bool

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None

    @property
    def duration_ms(self) -> int:
        return round(self.duration_seconds * 1000)

    @property
    def frames_per_second(self) -> float:
        return float(Fraction(self.frame_rate))

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class SpriteLayout:
    """Thumbnails every ``interval_seconds``, ``columns`` to a row, each ``tile_width`` x ``tile_height``."""

    interval_seconds: int
    count: int
    columns: int
    tile_width: int
    tile_height: int

    @property
    def rows(self) -> int:
        return math.ceil(self.count / self.columns)


@dataclasses.dataclass(frozen=True)
class Segment:
    start_seconds: float
    end_seconds: float


@dataclasses.dataclass(frozen=True)
class Derived:
    """What one decoding pass made: files in the work folder and the values measured on the way."""

    proxy: Path
    sprite: Path
    sprite_layout: SpriteLayout
    waveform: list[float]  # peaks 0..1, empty without audio
    scenes: list[Segment]  # the video cut at each detected scene change
    silences: list[Segment]
    decoded_frames: int


# --- the private work folder --------------------------------------------------------------------------------

@contextlib.contextmanager
def private_workdir(parent: Path | None = None, prefix: str = "media-") -> Iterator[Path]:
    """A new folder only this user can enter (0700), removed with everything in it when the block ends."""
    if parent is not None:
        parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def remove_workdirs(parent: Path, prefix: str) -> int:
    """Remove folders a killed process left (its ``finally`` never ran); returns how many."""
    removed = 0
    if parent.is_dir():
        for folder in parent.glob(f"{prefix}*"):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


# --- probing and validation ---------------------------------------------------------------------------------

def probe(path: Path, *, timeout: float = PROBE_TIMEOUT_SECONDS) -> MediaInfo:
    """Describe the video at ``path``; raises MediaRefused when it is not a readable video."""
    completed = _run([FFPROBE, "-v", "error", *_INPUT_GUARDS, "-print_format", "json", "-show_format",
                      "-show_streams", str(path)], timeout=timeout)
    if completed.returncode != 0:
        raise MediaRefused(DAMAGED if _looks_like_a_video_container(path) else NOT_A_VIDEO)
    try:
        described = json.loads(completed.stdout)
    except ValueError:
        raise MediaRefused(DAMAGED) from None
    return _media_info(described)


def check_processable(info: MediaInfo) -> None:
    """Raise MediaRefused, saying why, unless we can make a proxy, a strip and a waveform of this video."""
    if info.video_codec not in ALLOWED_VIDEO_CODECS:
        raise MediaRefused(f"Its video is encoded as {info.video_codec}, which we cannot process. "
                           "Export it as H.264, HEVC, ProRes, DNxHD, VP9 or AV1.")
    if info.audio_codec is not None and info.audio_codec not in ALLOWED_AUDIO_CODECS:
        raise MediaRefused(f"Its sound is encoded as {info.audio_codec}, which we cannot process. "
                           "Export it with AAC, MP3, Opus or PCM sound.")
    if not 0 < info.width <= MAX_DIMENSION or not 0 < info.height <= MAX_DIMENSION:
        raise MediaRefused(f"Its picture size ({info.width}x{info.height}) is not one we can process: "
                           f"at most {MAX_DIMENSION} pixels a side.")
    if not 0 < info.duration_seconds <= MAX_DURATION_SECONDS:
        raise MediaRefused("Its length cannot be read or is over 6 hours." if info.duration_seconds else DAMAGED)
    if not 0 < info.frames_per_second <= 240:
        raise MediaRefused("Its frame rate cannot be read.")


def sniff(path: Path) -> MediaInfo:
    """Probe and check in one call (for the upload's completion): MediaRefused unless we can process it."""
    info = probe(path)
    check_processable(info)
    return info


def _media_info(described: dict) -> MediaInfo:
    streams = described.get("streams") or []
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not (s.get("disposition") or {}).get("attached_pic")), None)
    if video is None:
        raise MediaRefused("This file has no picture: upload a video, not a sound or an image.")
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    container = (described.get("format") or {}).get("format_name", "")
    rate = _frame_rate(video)
    timecode = _timecode_tag(described)
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if _rotation(video) % 180 == 90:
        width, height = height, width
    return MediaInfo(
        container=container,
        duration_seconds=_duration(described, video),
        width=width, height=height,
        frame_rate=f"{rate.numerator}/{rate.denominator}",
        video_codec=video.get("codec_name") or "unknown",
        audio_codec=(audio.get("codec_name") or "unknown") if audio else None,
        audio_channels=int(audio.get("channels") or 0) if audio else 0,
        start_timecode=timecode,
        drop_frame=(";" in timecode) if timecode else rate in (Fraction(30000, 1001), Fraction(60000, 1001)),
    )


def _frame_rate(video: dict) -> Fraction:
    for field in ("avg_frame_rate", "r_frame_rate"):
        with contextlib.suppress(ValueError, ZeroDivisionError):
            rate = Fraction(video.get(field) or "0/0")
            if rate > 0:
                return rate
    return Fraction(0)


def _duration(described: dict, video: dict) -> float:
    for value in ((described.get("format") or {}).get("duration"), video.get("duration")):
        with contextlib.suppress(TypeError, ValueError):
            seconds = float(value)
            if math.isfinite(seconds) and seconds > 0:
                return seconds
    return 0.0


def _timecode_tag(described: dict) -> str | None:
    """The start timecode a camera or an editing tool wrote, on the container or on any stream (a tmcd track)."""
    places = [described.get("format") or {}, *(described.get("streams") or [])]
    for place in places:
        value = (place.get("tags") or {}).get("timecode")
        if isinstance(value, str) and len(value) == 11 and value[2] == ":" and value[5] == ":":
            return value
    return None


def _rotation(video: dict) -> int:
    for side_data in video.get("side_data_list") or []:
        if "rotation" in side_data:
            with contextlib.suppress(TypeError, ValueError):
                return int(float(side_data["rotation"]))
    with contextlib.suppress(TypeError, ValueError):
        return int((video.get("tags") or {}).get("rotate", 0))
    return 0


def _looks_like_a_video_container(path: Path) -> bool:
    """Whether the first bytes are those of a container we accept (a damaged video, then, not another file)."""
    with open(path, "rb") as handle:
        head = handle.read(16)
    return (head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free") or head.startswith(b"\x1a\x45\xdf\xa3")
            or (head.startswith(b"RIFF") and head[8:11] == b"AVI") or head.startswith(b"\x06\x0e\x2b\x34")
            or head[:1] == b"\x47")


# --- poster, strip, proxy, waveform, suggestions ------------------------------------------------------------

def proxy_size(info: MediaInfo) -> tuple[int, int]:
    """The proxy's picture: the short side at most 720 pixels, both sides even (H.264 with yuv420p needs it)."""
    scale = min(1.0, PROXY_MAX_SHORT_SIDE / min(info.width, info.height))
    return _even(info.width * scale), _even(info.height * scale)


def proxy_encoding_args(info: MediaInfo) -> list[str]:
    """H.264 High/yuv420p + AAC stereo in MP4 with the index first: plays in every browser as it downloads."""
    keyframe_every = max(1, round(info.frames_per_second))  # a keyframe a second keeps seeking in the player quick
    audio = ["-c:a", "aac", "-b:a", "128k", "-ac", "2", "-ar", "48000"] if info.has_audio else []
    return ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-profile:v", "high", "-pix_fmt", "yuv420p",
            "-g", str(keyframe_every), *audio, "-map_metadata", "-1", "-map_chapters", "-1",
            "-movflags", "+faststart", "-f", "mp4"]


def sprite_layout(info: MediaInfo) -> SpriteLayout:
    interval = next((step for step in THUMBNAIL_INTERVALS if info.duration_seconds / step <= MAX_THUMBNAILS),
                    math.ceil(info.duration_seconds / MAX_THUMBNAILS))
    scale = THUMBNAIL_LONG_SIDE / max(info.width, info.height)
    # As many as the fps filter makes: a thumbnail at each multiple of the interval, the last one's cue running to
    # the end (a cue for the last few milliseconds would have no picture).
    return SpriteLayout(interval_seconds=interval, count=max(1, round(info.duration_seconds / interval)),
                        columns=SPRITE_COLUMNS, tile_width=_even(info.width * scale),
                        tile_height=_even(info.height * scale))


def thumbnails_vtt(layout: SpriteLayout, duration_seconds: float, sprite_url: str) -> str:
    """A WebVTT thumbnails track: one cue per thumbnail, pointing into the sprite with a ``#xywh=`` fragment."""
    lines = ["WEBVTT", ""]
    for index in range(layout.count):
        start = index * layout.interval_seconds
        end = duration_seconds if index == layout.count - 1 else start + layout.interval_seconds
        x = (index % layout.columns) * layout.tile_width
        y = (index // layout.columns) * layout.tile_height
        lines += [f"{_vtt_time(start)} --> {_vtt_time(end)}",
                  f"{sprite_url}#xywh={x},{y},{layout.tile_width},{layout.tile_height}", ""]
    return "\n".join(lines)


def make_poster(source: Path, info: MediaInfo, target: Path, *, timeout: float = POSTER_TIMEOUT_SECONDS) -> Path:
    """A JPEG of one frame a tenth into the video (the first seconds are often black), at most proxy size."""
    width, height = proxy_size(info)
    for seconds in (min(info.duration_seconds * 0.1, 10.0), 0.0):
        completed = _run([FFMPEG, *_QUIET, "-ss", f"{seconds:.3f}", *_INPUT_GUARDS, "-i", str(source),
                          "-frames:v", "1", "-vf", f"scale={width}:{height},setsar=1", "-q:v", "3",
                          "-f", "image2", str(target)], timeout=timeout)
        if completed.returncode == 0 and target.exists() and target.stat().st_size > 0:
            return target
    raise MediaRefused(DAMAGED)


def derive(source: Path, info: MediaInfo, folder: Path, *, on_progress: Callable[[float], None] | None = None,
           timeout: float | None = None) -> Derived:
    """One decoding pass: proxy, thumbnail strip, waveform, scene cuts and silences, written into ``folder``.

    ``on_progress`` receives the fraction done (0..1) about twice a second. Raises MediaRefused when the video
    cannot be decoded to its end, MediaToolError when ffmpeg fails otherwise or runs out of time.
    """
    layout = sprite_layout(info)
    expected_frames = max(1, round(info.duration_seconds * info.frames_per_second))
    meter = PeakMeter(samples_per_point=_samples_per_point(info.duration_seconds))
    frames = 0

    def progressed(decoded: int) -> None:
        nonlocal frames
        frames = decoded
        if on_progress is not None:
            on_progress(min(1.0, decoded / expected_frames))

    returncode = _run_with_progress(_derive_args(source, info, layout), cwd=folder,
                                    timeout=timeout or _derive_timeout(info), on_stdout=meter.feed,
                                    on_frames=progressed)
    if returncode < 0:  # killed by a signal (the machine ran short of memory, a stop): not the file's fault
        raise MediaToolError(f"ffmpeg was stopped by signal {-returncode}")
    if returncode != 0:
        raise MediaRefused(DAMAGED) if frames < expected_frames * TRUNCATION_TOLERANCE else MediaToolError(
            f"ffmpeg exited with status {returncode}")
    if frames < expected_frames * TRUNCATION_TOLERANCE:
        raise MediaRefused(TRUNCATED)
    proxy, sprite = folder / "proxy.mp4", folder / "sprite.jpg"
    if not proxy.exists() or not sprite.exists():
        raise MediaToolError("ffmpeg finished without writing every output")
    return Derived(proxy=proxy, sprite=sprite, sprite_layout=layout,
                   waveform=meter.points() if info.has_audio else [],
                   scenes=scenes_between(_metadata_times(folder / "scenes.txt"), info.duration_seconds),
                   silences=_silences(folder / "silences.txt", info.duration_seconds) if info.has_audio else [],
                   decoded_frames=frames)


def _derive_args(source: Path, info: MediaInfo, layout: SpriteLayout) -> list[str]:
    # Outputs are relative names: ffmpeg runs in the work folder, so no path needs escaping inside the graph.
    width, height = proxy_size(info)
    video = (f"[0:v:0]scale={width}:{height},setsar=1,format=yuv420p,split=3[proxy][strip][cuts];"
             f"[strip]fps=1/{layout.interval_seconds},scale={layout.tile_width}:{layout.tile_height},"
             f"tile={layout.columns}x{layout.rows}:padding=0[sprite];"
             f"[cuts]scale=160:-2,select='gt(scene\\,{SCENE_THRESHOLD})',metadata=mode=print:file=scenes.txt,"
             "nullsink")
    audio = (f";[0:a:0]asplit=2[proxy_audio][measure];"
             f"[measure]aresample={WAVEFORM_SAMPLE_RATE},aformat=sample_fmts=s16:channel_layouts=mono,"
             "asplit=2[pcm][quiet];"
             f"[quiet]silencedetect=noise={SILENCE_NOISE_DB}dB:duration={SILENCE_MIN_SECONDS},"
             "ametadata=mode=print:file=silences.txt,anullsink") if info.has_audio else ""
    proxy_maps = ["-map", "[proxy]", *(["-map", "[proxy_audio]"] if info.has_audio else [])]
    pcm = ["-map", "[pcm]", "-f", "s16le", "pipe:1"] if info.has_audio else []
    return [FFMPEG, *_QUIET, *_INPUT_GUARDS, "-i", str(source), "-filter_complex", video + audio,
            *proxy_maps, *proxy_encoding_args(info), "proxy.mp4",
            "-map", "[sprite]", "-frames:v", "1", "-q:v", "4", "-f", "image2", "sprite.jpg", *pcm]


def _derive_timeout(info: MediaInfo) -> float:
    # Generous: a slow shared machine may encode at a fifth of real time; a stuck ffmpeg still ends.
    return 300 + info.duration_seconds * 10


class PeakMeter:
    """Peaks of signed 16-bit mono PCM fed in pieces of any size: one value 0..1 per ``samples_per_point``."""

    def __init__(self, samples_per_point: int):
        self.samples_per_point = samples_per_point
        self._pending = bytearray()
        self._peaks: list[float] = []

    def feed(self, data: bytes) -> None:
        self._pending += data
        whole = len(self._pending) - len(self._pending) % (2 * self.samples_per_point)
        if whole:
            self._measure(self._pending[:whole])
            del self._pending[:whole]

    def points(self) -> list[float]:
        usable = len(self._pending) - len(self._pending) % 2
        if usable:
            self._measure(self._pending[:usable])
            self._pending.clear()
        return list(self._peaks)

    def _measure(self, data: bytes | bytearray) -> None:
        samples = array("h")
        samples.frombytes(bytes(data))
        step = self.samples_per_point
        for start in range(0, len(samples), step):
            window = samples[start:start + step]
            self._peaks.append(round(max(max(window), -min(window)) / 32768, 3))


def _samples_per_point(duration_seconds: float) -> int:
    points = min(1000, max(300, math.ceil(duration_seconds * 20)))
    return max(1, math.ceil(duration_seconds * WAVEFORM_SAMPLE_RATE / points))


def scenes_between(cuts: list[float], duration_seconds: float, *, shortest: float = 0.5) -> list[Segment]:
    """The video cut at each scene change; changes closer than ``shortest`` to the last one are one change."""
    starts = [0.0]
    for cut in sorted(cuts):
        if cut - starts[-1] >= shortest and duration_seconds - cut >= shortest:
            starts.append(cut)
    ends = [*starts[1:], duration_seconds]
    return [Segment(round(start, 3), round(end, 3)) for start, end in zip(starts, ends, strict=True)]


def _metadata_times(path: Path) -> list[float]:
    """``pts_time`` of each frame the metadata filter printed (the frames ``select`` kept)."""
    times = []
    for line in _lines(path):
        if line.startswith("frame:") and "pts_time:" in line:
            with contextlib.suppress(ValueError):
                times.append(float(line.rsplit("pts_time:", 1)[1].split()[0]))
    return times


def _silences(path: Path, duration_seconds: float) -> list[Segment]:
    silences, started = [], None
    for line in _lines(path):
        key, _, value = line.partition("=")
        with contextlib.suppress(ValueError):
            if key == "lavfi.silence_start":
                started = max(0.0, float(value))
            elif key == "lavfi.silence_end" and started is not None:
                silences.append(Segment(round(started, 3), round(min(float(value), duration_seconds), 3)))
                started = None
    if started is not None and duration_seconds - started >= SILENCE_MIN_SECONDS:
        silences.append(Segment(round(started, 3), round(duration_seconds, 3)))  # silent to the end
    return silences


def _lines(path: Path) -> list[str]:
    return path.read_text(errors="replace").splitlines() if path.exists() else []


# --- running the binaries -----------------------------------------------------------------------------------

def _run(args: list[str], *, timeout: float) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:  # subprocess.run has killed it
        raise MediaToolError(f"{Path(args[0]).name} ran for more than {timeout:.0f} s") from None


def _run_with_progress(args: list[str], *, cwd: Path, timeout: float, on_stdout: Callable[[bytes], None],
                       on_frames: Callable[[int], None]) -> int:
    """Run ffmpeg reading its stdout and its ``-progress`` report (on a pipe of their own) as they come.

    One thread, a selector over both pipes: a callback that raises, or the deadline, stops ffmpeg (killed, never
    left running). stderr goes to a file in the work folder so ffmpeg never blocks on it.
    """
    progress_read, progress_write = os.pipe()
    with open(cwd / "ffmpeg.log", "wb") as log:
        try:
            process = subprocess.Popen([*args, "-progress", f"pipe:{progress_write}", "-stats_period", "0.5"],
                                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, cwd=cwd,
                                       pass_fds=(progress_write,))
        finally:
            os.close(progress_write)
        try:
            _pump(process, progress_read, time.monotonic() + timeout, on_stdout, on_frames)
            return process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()
            os.close(progress_read)


def _pump(process: subprocess.Popen, progress_fd: int, deadline: float, on_stdout: Callable[[bytes], None],
          on_frames: Callable[[int], None]) -> None:
    report = _ProgressReport(on_frames)
    stdout_fd = process.stdout.fileno()
    with selectors.DefaultSelector() as selector:
        selector.register(stdout_fd, selectors.EVENT_READ)
        selector.register(progress_fd, selectors.EVENT_READ)
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise MediaToolError("ffmpeg ran out of time")
            for key, _events in selector.select(timeout=min(remaining, 1.0)):
                data = os.read(key.fd, 1 << 16)
                if not data:
                    selector.unregister(key.fd)
                elif key.fd == stdout_fd:
                    on_stdout(data)
                else:
                    report.feed(data)


class _ProgressReport:
    """ffmpeg's ``-progress`` output: blocks of ``key=value`` lines, each ending with ``progress=...``."""

    def __init__(self, on_frames: Callable[[int], None]):
        self._on_frames = on_frames
        self._buffer = b""
        self._frames = 0

    def feed(self, data: bytes) -> None:
        self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            key, _, value = line.decode("ascii", "replace").strip().partition("=")
            if key == "frame" and value.isdigit():
                self._frames = int(value)
            elif key == "progress":
                self._on_frames(self._frames)


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def _vtt_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"
