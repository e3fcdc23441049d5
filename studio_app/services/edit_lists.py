"""A rush's derush list written for editing software: CSV, CMX3600 EDL and OpenTimelineIO (``.otio``).

Pure functions of ``(rush name, frame rate, start timecode, clips)``; the caller (the derush export routes)
authorizes and loads them. Frames count from the rush's first frame; a clip's ``out_frame`` is exclusive, as
in OTIO and in an EDL's out points. Source timecodes add the rush's start timecode (from its tags, or
00:00:00:00); record timecodes lay the clips end to end from 01:00:00:00, the usual start of a programme.

Timecode follows SMPTE 12M: at 29.97 and 59.94 fps it is drop-frame (frame numbers 00 and 01, or 00 to 03,
skipped at the start of every minute not divisible by ten, ``;`` before the frames), elsewhere non-drop with
``:``. A rate is first snapped to the nominal rate editing software uses (a phone's 29.98 average is 29.97).
OpenTimelineIO and its CMX3600 adapter build the timeline and write the EDL and ``.otio``; the timecode
arithmetic here is ours so the CSV needs no timeline and the tests can check both against each other.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import unicodedata
from collections.abc import Sequence
from fractions import Fraction

import opentimelineio as otio

from studio_app.errors import UserError

LABELS = ("keep", "maybe", "reject")
RECORD_START = "01:00:00:00"
NOMINAL_RATES = (Fraction(24000, 1001), Fraction(24), Fraction(25), Fraction(30000, 1001), Fraction(30),
                 Fraction(48), Fraction(50), Fraction(60000, 1001), Fraction(60))
_DROPPED_PER_MINUTE = {Fraction(30000, 1001): 2, Fraction(60000, 1001): 4}
_SNAP_TOLERANCE = Fraction(1, 100)  # relative: 29.97 vs 30 differ by 0.1 %, so 1 % only catches noise
_TIMECODE = re.compile(r"^(\d\d):([0-5]\d):([0-5]\d)[:;.](\d\d)$")
CSV_COLUMNS = ("event", "rush", "label", "rating", "note", "source_in", "source_out", "record_in", "record_out",
               "duration", "in_frame", "out_frame", "duration_frames")
_EDL_CHANNELS = {True: "AA/V ", False: "V    "}
_EDL_COLORS = {"keep": "GREEN", "maybe": "YELLOW", "reject": "RED"}


@dataclasses.dataclass(frozen=True)
class Clip:
    """One derush selection: frames ``in_frame`` (included) to ``out_frame`` (excluded) of the rush."""

    in_frame: int
    out_frame: int
    label: str  # keep | maybe | reject
    rating: int = 0  # 0..5
    note: str = ""

    @property
    def duration_frames(self) -> int:
        return self.out_frame - self.in_frame


# --- timecode -----------------------------------------------------------------------------------------------

def edit_rate(frame_rate: Fraction | str) -> Fraction:
    """The nominal rate for timecode: ``frame_rate`` snapped to the closest of ``NOMINAL_RATES``."""
    rate = Fraction(frame_rate)
    if rate <= 0:
        raise UserError("This rush has no frame rate, so its timecodes cannot be written.")
    closest = min(NOMINAL_RATES, key=lambda nominal: abs(nominal - rate))
    if abs(closest - rate) / closest > _SNAP_TOLERANCE:
        raise UserError(f"This rush runs at {float(rate):.3f} frames a second, a rate editing software cannot "
                        "take as timecode (23.976, 24, 25, 29.97, 30, 48, 50, 59.94 or 60).")
    return closest


def is_drop_frame(frame_rate: Fraction | str) -> bool:
    return edit_rate(frame_rate) in _DROPPED_PER_MINUTE


def timecode_of(frame: int, frame_rate: Fraction | str) -> str:
    """The SMPTE timecode of frame number ``frame`` (0 = 00:00:00:00), drop-frame at 29.97 and 59.94."""
    rate = edit_rate(frame_rate)
    nominal, dropped = _nominal(rate), _DROPPED_PER_MINUTE.get(rate, 0)
    frame %= nominal * 86400 - dropped * 1296 if dropped else nominal * 86400  # a day of timecode, then it wraps
    if dropped:  # add back the numbers skipped before this frame, so plain division gives the label
        per_ten_minutes, per_minute = nominal * 600 - dropped * 9, nominal * 60 - dropped
        tens, rest = divmod(frame, per_ten_minutes)
        frame += dropped * 9 * tens + (dropped * ((rest - dropped) // per_minute) if rest > dropped else 0)
    hours, rest = divmod(frame, nominal * 3600)
    minutes, rest = divmod(rest, nominal * 60)
    seconds, frames = divmod(rest, nominal)
    separator = ";" if dropped else ":"
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{frames:02d}"


def frame_of(timecode: str, frame_rate: Fraction | str) -> int:
    """The frame number a timecode stands for (the inverse of ``timecode_of``)."""
    match = _TIMECODE.match(timecode.strip()) if isinstance(timecode, str) else None
    rate = edit_rate(frame_rate)
    nominal, dropped = _nominal(rate), _DROPPED_PER_MINUTE.get(rate, 0)
    if match is None or int(match[4]) >= nominal:
        raise UserError(f"{timecode!r} is not a timecode at {float(rate):.3f} frames a second.")
    hours, minutes, seconds, frames = (int(part) for part in match.groups())
    total_minutes = hours * 60 + minutes
    if dropped and seconds == 0 and frames < dropped and minutes % 10:
        raise UserError(f"{timecode} does not exist in drop-frame timecode (those frame numbers are skipped).")
    counted = ((hours * 3600 + minutes * 60 + seconds) * nominal) + frames
    return counted - dropped * (total_minutes - total_minutes // 10)


def _nominal(rate: Fraction) -> int:
    return round(rate)


# --- the three formats --------------------------------------------------------------------------------------

def derush_csv(rush_name: str, frame_rate: Fraction | str, start_timecode: str | None, clips: Sequence[Clip]) -> str:
    """Every clip, rejects included, one row each, with source timecodes and frame numbers; record timecodes as
    in the EDL (rejects have none and take no room in the record)."""
    rate, start = _checked(frame_rate, start_timecode, clips)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    record = frame_of(RECORD_START, rate)
    for event, clip in enumerate(clips, start=1):
        in_edl = clip.label != "reject"
        writer.writerow([
            event, _cell(rush_name), clip.label, clip.rating, _cell(clip.note),
            timecode_of(start + clip.in_frame, rate), timecode_of(start + clip.out_frame, rate),
            timecode_of(record, rate) if in_edl else "",
            timecode_of(record + clip.duration_frames, rate) if in_edl else "",
            timecode_of(clip.duration_frames, rate), clip.in_frame, clip.out_frame, clip.duration_frames,
        ])
        record += clip.duration_frames if in_edl else 0
    return out.getvalue()


def derush_edl(rush_name: str, frame_rate: Fraction | str, start_timecode: str | None, clips: Sequence[Clip], *,
               include_rejected: bool = False, with_audio: bool = True) -> str:
    """A CMX3600 EDL of the selections (rejects left out unless asked), cuts only, one event per clip.

    Each event names the rush as its clip and source file (editing software relinks by them) and carries the
    label, rating and note as a comment line. ``with_audio`` makes events picture and sound (``AA/V``).
    """
    rate, start = _checked(frame_rate, start_timecode, clips)
    chosen = _chosen(clips, include_rejected)
    if not chosen:
        raise UserError("There is no selection to export yet.")
    timeline = _timeline(rush_name, rate, start, chosen, ascii_only=True)
    # The adapter lays record times from zero: a leading gap (gaps make no event) moves them to 01:00:00:00.
    timeline.tracks[0].insert(0, otio.schema.Gap(duration=otio.opentime.RationalTime(
        frame_of(RECORD_START, rate), float(rate))))
    text = otio.adapters.write_to_string(timeline, "cmx_3600", rate=float(rate), style="avid")
    frame_code_mode = "DROP FRAME" if rate in _DROPPED_PER_MINUTE else "NON-DROP FRAME"
    title, _, events = text.partition("\n\n")
    events = re.sub(r"^(\d{3}  .{8} )V    ", lambda m: m[1] + _EDL_CHANNELS[with_audio], events, flags=re.M)
    return f"{title}\nFCM: {frame_code_mode}\n\n{events}"


def derush_otio(rush_name: str, frame_rate: Fraction | str, start_timecode: str | None, clips: Sequence[Clip], *,
                include_rejected: bool = False) -> str:
    """The selections as an OpenTimelineIO timeline (JSON), record start 01:00:00:00, labels in metadata."""
    rate, start = _checked(frame_rate, start_timecode, clips)
    timeline = _timeline(rush_name, rate, start, _chosen(clips, include_rejected), ascii_only=False)
    timeline.global_start_time = otio.opentime.RationalTime(frame_of(RECORD_START, rate), float(rate))
    return otio.adapters.write_to_string(timeline, "otio_json")


def _timeline(rush_name: str, rate: Fraction, start: int, clips: Sequence[Clip], *, ascii_only: bool
              ) -> otio.schema.Timeline:
    name = _edl_text(rush_name) if ascii_only else rush_name
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    for clip in clips:
        track.append(otio.schema.Clip(
            name=name,
            media_reference=otio.schema.ExternalReference(target_url=name),
            source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(start + clip.in_frame, float(rate)),
                                                 otio.opentime.RationalTime(clip.duration_frames, float(rate))),
            metadata={
                "azekia": {"label": clip.label, "rating": clip.rating, "note": clip.note},
                "cmx_3600": {"reel": _reel(rush_name), "comments": [_edl_comment(clip)]},
            },
        ))
    return otio.schema.Timeline(name=name or "Derush", tracks=[track])


def _checked(frame_rate: Fraction | str, start_timecode: str | None, clips: Sequence[Clip]) -> tuple[Fraction, int]:
    rate = edit_rate(frame_rate)
    for clip in clips:
        if clip.label not in LABELS:
            raise UserError(f"A selection's label must be one of {', '.join(LABELS)}.")
        if not 0 <= clip.in_frame < clip.out_frame:
            raise UserError("A selection must end after it starts.")
        if not 0 <= clip.rating <= 5:
            raise UserError("A rating goes from 0 to 5.")
    return rate, frame_of(start_timecode, rate) if start_timecode else 0


def _chosen(clips: Sequence[Clip], include_rejected: bool) -> list[Clip]:
    return [clip for clip in clips if include_rejected or clip.label != "reject"]


def _reel(rush_name: str) -> str:
    """CMX3600 reel names are 8 characters of letters and digits: the rush's name without its extension."""
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", _edl_text(rush_name))
    return re.sub(r"[^A-Za-z0-9]", "", stem).upper()[:8] or "AX"


def _edl_comment(clip: Clip) -> str:
    note = f" {_edl_text(clip.note)}" if clip.note else ""
    return f"AZEKIA {clip.label.upper()} {_EDL_COLORS[clip.label]} RATING {clip.rating}/5{note}"[:200]


def _edl_text(text: str) -> str:
    """One line of plain ASCII: EDLs are read by tools that know nothing else, line by line."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join("".join(char if char.isprintable() else " " for char in folded).split())


def _cell(text: str) -> str:
    # A cell starting with = + - @ is a formula to spreadsheet software: quote it so a note cannot run as one.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
