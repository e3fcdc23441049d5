"""Derush lists as CSV, CMX3600 EDL and OTIO, checked against timecodes worked out by hand.

Drop-frame at 29.97: a minute of labels has 30 x 60 = 1800 frame numbers, but every minute not divisible by ten
skips ;00 and ;01, so it holds 1798 frames; ten minutes hold 1800 + 9 x 1798 = 17982. At 59.94 four numbers are
skipped: ten minutes hold 3600 + 9 x 3596 = 35964.
"""

import csv
import io
import json

import opentimelineio as otio
import pytest

from studio_app.errors import UserError
from studio_app.services import edit_lists
from studio_app.services.edit_lists import Clip

NTSC = "30000/1001"
NTSC_60 = "60000/1001"


@pytest.mark.parametrize(("frame", "rate", "timecode"), [
    (0, NTSC, "00:00:00;00"),
    (1799, NTSC, "00:00:59;29"),  # the last frame of minute 0 (no numbers skipped in minute 0)
    (1800, NTSC, "00:01:00;02"),  # the first frame of minute 1: ;00 and ;01 do not exist there
    (3597, NTSC, "00:01:59;29"),  # minute 1 holds 1798 frames: 1800..3597
    (3598, NTSC, "00:02:00;02"),
    (17982, NTSC, "00:10:00;00"),  # minute 10 skips nothing
    (17982 * 6, NTSC, "01:00:00;00"),
    (3600, NTSC_60, "00:01:00;04"),
    (35964, NTSC_60, "00:10:00;00"),
    (1800, "25", "00:01:12:00"),  # 1800 / 25 = 72 s
    (90000, "25/1", "01:00:00:00"),
    (3600, "60", "00:01:00:00"),
    (1441, "24000/1001", "00:01:00:01"),  # 23.976 counts as 24, non-drop
    (86399 * 30 + 29, "30", "23:59:59:29"),
])
def test_timecodes_match_hand_computed_values(frame, rate, timecode):
    assert edit_lists.timecode_of(frame, rate) == timecode
    assert edit_lists.frame_of(timecode, rate) == frame


def test_a_phone_rate_is_snapped_and_a_strange_one_refused():
    assert edit_lists.edit_rate("17940000/598571") == edit_lists.edit_rate(NTSC)  # 29.971 average
    assert edit_lists.is_drop_frame(NTSC_60) and not edit_lists.is_drop_frame("25")
    with pytest.raises(UserError, match=r"12\.500 frames a second"):
        edit_lists.edit_rate("25/2")
    with pytest.raises(UserError, match="does not exist"):
        edit_lists.frame_of("00:01:00;01", NTSC)


CLIPS = [
    Clip(0, 48, "keep", 4, "Great take"),
    Clip(100, 250, "reject", 1, ""),
    Clip(1790, 1810, "maybe", 3, "=HYPERLINK(\"x\") café"),
]
# Start 00:59:58;00 = (59*60 + 58) * 30 - 2 * (59 - 5) = 107940 - 108 = 107832 (01:00:00;00 = 107892, 60 later).
START = "00:59:58;00"


def test_the_csv_has_every_clip_with_source_and_record_timecodes():
    rows = list(csv.DictReader(io.StringIO(edit_lists.derush_csv("Rush 01.mov", NTSC, START, CLIPS))))
    assert [(r["label"], r["source_in"], r["source_out"], r["record_in"], r["record_out"]) for r in rows] == [
        ("keep", "00:59:58;00", "00:59:59;18", "01:00:00;00", "01:00:01;18"),  # 48 frames = 1 s 18
        ("reject", "01:00:01;10", "01:00:06;10", "", ""),  # 107932 = 01:00:00;00 + 40; rejects take no record
        # 107832 + 1790 = 01:00:00;00 + 1730 = 57 s 20; the record goes on from the first clip's out.
        ("maybe", "01:00:57;20", "01:00:58;10", "01:00:01;18", "01:00:02;08"),
    ]
    assert rows[2]["note"] == "'=HYPERLINK(\"x\") café"  # a spreadsheet shows it, never runs it
    first = rows[0]
    assert (first["in_frame"], first["out_frame"], first["duration_frames"], first["rating"]) == ("0", "48", "48", "4")


def test_the_edl_has_drop_frame_timecodes_and_reads_back_with_the_otio_adapter():
    edl = edit_lists.derush_edl("Rush 01.mov", NTSC, START, CLIPS)
    lines = edl.splitlines()
    assert lines[:2] == ["TITLE: Rush 01.mov", "FCM: DROP FRAME"]
    events = [line for line in lines if line[:3].isdigit()]
    assert events == [
        "001  RUSH01   AA/V  C        00:59:58;00 00:59:59;18 01:00:00;00 01:00:01;18",
        "002  RUSH01   AA/V  C        01:00:57;20 01:00:58;10 01:00:01;18 01:00:02;08",
    ]
    assert "* AZEKIA MAYBE YELLOW RATING 3/5 =HYPERLINK(\"x\") cafe" in lines

    timeline = otio.adapters.read_from_string(edl, "cmx_3600", rate=30000 / 1001)
    read = [(clip.name, clip.source_range.start_time.value, clip.source_range.duration.value)
            for clip in timeline.video_tracks()[0].find_clips()]
    assert read == [("Rush 01.mov", 107832, 48), ("Rush 01.mov", 109622, 20)]
    assert len(timeline.audio_tracks()) == 2  # AA/V: picture and both sound channels


def test_a_clip_across_a_skipped_minute_boundary_and_59_94():
    crossing = [Clip(1790, 1810, "keep")]
    [event] = [line for line in edit_lists.derush_edl("r.mp4", NTSC, None, crossing, with_audio=False).splitlines()
               if line[:3] == "001"]
    assert event.split()[2:] == ["V", "C", "00:00:59;20", "00:01:00;12", "01:00:00;00", "01:00:00;20"]

    edl = edit_lists.derush_edl("r.mp4", NTSC_60, None, [Clip(3590, 3610, "keep")])
    assert "FCM: DROP FRAME" in edl and "00:00:59;50 00:01:00;14 01:00:00;00 01:00:00;20" in edl


def test_non_drop_rates_use_colons():
    edl = edit_lists.derush_edl("clip.mov", "25", "10:00:00:00", [Clip(25, 75, "keep")])
    assert "FCM: NON-DROP FRAME" in edl and "10:00:01:00 10:00:03:00 01:00:00:00 01:00:02:00" in edl
    timeline = otio.adapters.read_from_string(edl, "cmx_3600", rate=25)
    [clip] = timeline.video_tracks()[0].find_clips()
    assert (clip.source_range.start_time.value, clip.source_range.duration.value) == (900025, 50)


def test_the_otio_timeline_starts_at_one_hour_and_keeps_labels():
    text = edit_lists.derush_otio("Rush 01.mov", NTSC, START, CLIPS, include_rejected=True)
    timeline = otio.adapters.read_from_string(text, "otio_json")
    assert timeline.global_start_time.value == 107892
    clips = list(timeline.find_clips())
    assert [clip.metadata["azekia"]["label"] for clip in clips] == ["keep", "reject", "maybe"]
    assert clips[2].metadata["azekia"]["note"] == "=HYPERLINK(\"x\") café"
    assert [clip.source_range.start_time.value for clip in clips] == [107832, 107932, 109622]
    assert json.loads(text)["OTIO_SCHEMA"] == "Timeline.1"


def test_bad_selections_are_refused():
    with pytest.raises(UserError, match="end after it starts"):
        edit_lists.derush_csv("r", "25", None, [Clip(10, 10, "keep")])
    with pytest.raises(UserError, match="label"):
        edit_lists.derush_csv("r", "25", None, [Clip(0, 10, "favourite")])
    with pytest.raises(UserError, match="no selection"):
        edit_lists.derush_edl("r", "25", None, [Clip(0, 10, "reject")])
