"""ffprobe and ffmpeg on small videos made here: what they report, what they refuse, what one pass makes."""

import os
import re
import stat
import struct
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from studio_app.integrations import ffmpeg
from tests.support.videos import FFMPEG, damage, make_video, truncate


@pytest.mark.parametrize(("rate", "audio"), [("25", True), ("30000/1001", True), ("60", False)])
def test_probe_reports_size_rate_duration_and_codecs(tmp_path, rate, audio):
    info = ffmpeg.sniff(make_video(tmp_path / "rush.mp4", rate=rate, seconds=2, size="192x108", audio=audio))
    assert (info.width, info.height) == (192, 108)
    assert Fraction(info.frame_rate) == Fraction(rate)
    assert info.duration_seconds == pytest.approx(2.0, abs=0.1)
    assert info.video_codec == "h264" and info.container.startswith("mov")
    assert (info.audio_codec, info.audio_channels) == (("aac", 1) if audio else (None, 0))
    assert info.start_timecode is None
    assert info.drop_frame is (rate == "30000/1001")


def test_probe_reads_the_start_timecode_and_whether_it_is_drop_frame(tmp_path):
    drop = ffmpeg.probe(make_video(tmp_path / "a.mov", rate="30000/1001", seconds=1, timecode="00:59:58;00"))
    assert (drop.start_timecode, drop.drop_frame) == ("00:59:58;00", True)
    plain = ffmpeg.probe(make_video(tmp_path / "b.mov", rate="25", seconds=1, timecode="10:00:00:00"))
    assert (plain.start_timecode, plain.drop_frame) == ("10:00:00:00", False)


def test_what_is_not_a_video_we_can_process_is_refused_in_plain_words(tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("A text file renamed .mp4\n" * 200)
    with pytest.raises(ffmpeg.MediaRefused, match="not a video we can read"):
        ffmpeg.sniff(text)

    image = tmp_path / "image.mp4"
    subprocess.run([FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x64", "-frames:v", "1", "-f", "image2",
                    "-c:v", "png", str(image)], check=True, timeout=60)
    with pytest.raises(ffmpeg.MediaRefused, match="not a video we can read"):
        ffmpeg.sniff(image)

    with pytest.raises(ffmpeg.MediaRefused, match="damaged or incomplete"):
        ffmpeg.sniff(truncate(make_video(tmp_path / "cut.mp4", seconds=2), 0.5))  # its index was at the end
    with pytest.raises(ffmpeg.MediaRefused, match="damaged or incomplete"):
        ffmpeg.sniff(damage(make_video(tmp_path / "broken.mp4", seconds=2, faststart=True)))

    with pytest.raises(ffmpeg.MediaRefused, match="cannot process"):
        ffmpeg.sniff(make_video(tmp_path / "old.mkv", seconds=1, audio=False, codec="mpeg1video"))


def test_a_video_cut_short_after_its_index_is_found_out_while_decoding(tmp_path):
    source = truncate(make_video(tmp_path / "cut.mp4", seconds=4, faststart=True), 0.5)
    info = ffmpeg.sniff(source)  # the index is whole and announces 4 s
    assert info.duration_seconds == pytest.approx(4.0, abs=0.1)
    with ffmpeg.private_workdir(tmp_path / "work") as folder, pytest.raises(ffmpeg.MediaRefused, match="cut short"):
        ffmpeg.derive(source, info, folder)


def test_one_pass_makes_a_playable_proxy_a_thumbnail_strip_and_a_waveform(tmp_path):
    source = make_video(tmp_path / "wide.mp4", rate="30000/1001", seconds=3, size="1600x900")
    info = ffmpeg.sniff(source)
    reported = []
    with ffmpeg.private_workdir(tmp_path / "work") as folder:
        poster = ffmpeg.make_poster(source, info, folder / "poster.jpg")
        derived = ffmpeg.derive(source, info, folder, on_progress=reported.append)
        proxy = ffmpeg.probe(derived.proxy)
        proxy_head = derived.proxy.read_bytes()[:200_000]
        sprite_size = _jpeg_size(derived.sprite.read_bytes())
        poster_size = _jpeg_size(poster.read_bytes())
    assert (proxy.width, proxy.height) == (1280, 720) and proxy.video_codec == "h264"
    assert (proxy.audio_codec, proxy.audio_channels) == ("aac", 2)
    assert Fraction(proxy.frame_rate) == Fraction(30000, 1001)
    assert proxy_head.find(b"moov") < proxy_head.find(b"mdat")  # faststart: plays while it downloads
    assert poster_size == (1280, 720)
    assert reported and reported[-1] == 1.0 and derived.decoded_frames == 90

    layout = derived.sprite_layout
    assert (layout.interval_seconds, layout.count, layout.tile_width, layout.tile_height) == (1, 3, 160, 90)
    assert sprite_size == (layout.columns * 160, 90)
    vtt = ffmpeg.thumbnails_vtt(layout, info.duration_seconds, "/api/media/abc/sprite.jpg")
    cues = re.findall(r"^(\S+) --> (\S+)\n(\S+)$", vtt, flags=re.M)
    assert vtt.startswith("WEBVTT\n")
    assert cues == [("00:00:00.000", "00:00:01.000", "/api/media/abc/sprite.jpg#xywh=0,0,160,90"),
                    ("00:00:01.000", "00:00:02.000", "/api/media/abc/sprite.jpg#xywh=160,0,160,90"),
                    ("00:00:02.000", cues[-1][1], "/api/media/abc/sprite.jpg#xywh=320,0,160,90")]
    assert cues[-1][1] == f"00:00:{info.duration_seconds:06.3f}"  # the last runs to the end

    assert 290 <= len(derived.waveform) <= 310 and all(0 <= peak <= 1 for peak in derived.waveform)
    assert sorted(derived.waveform)[150] == pytest.approx(0.125, abs=0.01)  # ffmpeg's sine is at 1/8 full scale


def test_scene_cuts_and_silences_are_found_where_they_are(tmp_path):
    source = make_video(tmp_path / "two.mp4", seconds=4, cut_at=2.0, silent_between=(1.0, 2.6))
    info = ffmpeg.sniff(source)
    with ffmpeg.private_workdir(tmp_path / "work") as folder:
        derived = ffmpeg.derive(source, info, folder)
    assert [(s.start_seconds, s.end_seconds) for s in derived.scenes] == [(0.0, 2.0), (2.0, 4.0)]
    [silence] = derived.silences
    assert silence.start_seconds == pytest.approx(1.0, abs=0.05) and silence.end_seconds == pytest.approx(2.6, abs=0.05)


def test_a_video_without_sound_has_no_waveform_and_no_silences(tmp_path):
    source = make_video(tmp_path / "mute.mp4", rate="60", seconds=1, audio=False)
    info = ffmpeg.sniff(source)
    with ffmpeg.private_workdir(tmp_path / "work") as folder:
        derived = ffmpeg.derive(source, info, folder)
        assert ffmpeg.probe(derived.proxy).audio_codec is None
    assert (derived.waveform, derived.silences, derived.decoded_frames) == ([], [], 60)


def test_a_progress_callback_that_raises_stops_ffmpeg_and_the_work_folder_goes(tmp_path):
    source = make_video(tmp_path / "long.mp4", seconds=6, size="640x360")
    info = ffmpeg.sniff(source)

    def interrupted(_done):
        raise Interrupted

    with pytest.raises(Interrupted), ffmpeg.private_workdir(tmp_path / "work") as folder:
        ffmpeg.derive(source, info, folder, on_progress=interrupted)
    assert not folder.exists()
    assert _processes_reading(source) == []


def test_ffmpeg_out_of_time_is_killed(tmp_path):
    source = make_video(tmp_path / "long.mp4", seconds=6, size="640x360")
    info = ffmpeg.sniff(source)
    with ffmpeg.private_workdir(tmp_path / "work") as folder, pytest.raises(ffmpeg.MediaToolError, match="time"):
        ffmpeg.derive(source, info, folder, timeout=0.05)
    assert _processes_reading(source) == []


def test_the_work_folder_is_private_and_removed_even_on_error(tmp_path):
    with pytest.raises(RuntimeError), ffmpeg.private_workdir(tmp_path / "parent", prefix="asset-x-") as folder:
        (folder / "original").write_bytes(b"plaintext")
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert stat.S_IMODE((tmp_path / "parent").stat().st_mode) == 0o700
        raise RuntimeError
    assert list((tmp_path / "parent").iterdir()) == []

    (tmp_path / "parent" / "asset-x-left").mkdir()  # what a process killed outright leaves
    assert ffmpeg.remove_workdirs(tmp_path / "parent", "asset-x-") == 1
    assert list((tmp_path / "parent").iterdir()) == []


def test_peaks_do_not_depend_on_how_the_sound_arrives():
    samples = [(index * 37) % 2000 - 1000 for index in range(10_000)] + [-32768]
    pcm = struct.pack(f"<{len(samples)}h", *samples)
    whole = ffmpeg.PeakMeter(samples_per_point=100)
    whole.feed(pcm)
    pieces = ffmpeg.PeakMeter(samples_per_point=100)
    for start in range(0, len(pcm), 333):  # odd sizes split samples in two
        pieces.feed(pcm[start:start + 333])
    assert whole.points() == pieces.points()
    points = whole.points()
    assert len(points) == 101 and points[-1] == 1.0 and max(points[:-1]) == pytest.approx(1000 / 32768, abs=1e-3)


class Interrupted(Exception):
    pass


def _processes_reading(path: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(path).encode() in (entry / "cmdline").read_bytes() and int(entry.name) != os.getpid():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """Width and height from the JPEG's start-of-frame marker."""
    index = 2
    while index < len(data):
        marker, length = data[index + 1], struct.unpack(">H", data[index + 2:index + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[index + 5:index + 9])
            return width, height
        index += 2 + length
    raise AssertionError("no frame header in this JPEG")
