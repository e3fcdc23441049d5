"""Derushing: the selections the members make in a rush (in and out frames, a label, a rating, a note) and the
segments processing suggests (scene cuts and silences) that they accept or discard.

Frames count in the rush's own frame rate, ``in_frame`` included and ``out_frame`` excluded, so a selection's
length is ``out_frame - in_frame`` frames and edit lists convert them to timecodes without rounding twice.
Producer and editor share one list; each edits or deletes only the selections they made. Notes are sealed under
the project's key. A decided suggestion (accepted or discarded) is remembered and never proposed again.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from collections.abc import Sequence
from datetime import datetime
from fractions import Fraction

from sqlmodel import Session, select

from studio_app.models.base import is_row_id, new_id, utcnow
from studio_app.models.files import StoredFile
from studio_app.models.media import MediaAsset, MediaKind
from studio_app.models.review import DerushSelection, DerushSuggestionDecision, SelectionLabel, SuggestionKind
from studio_app.security.crypto import DataKey
from studio_app.security.fields import get_decrypted, set_encrypted
from studio_app.security.policy import Action, Actor, require_in_project
from studio_app.services import edit_lists, files
from studio_app.services.keys import project_key_of
from studio_app.services.media_access import access_asset, access_asset_by_file, frame_rate_of
from studio_app.services.people import display_names, name_of
from studio_app.services.sql import insert_missing
from studio_app.services.validation import InvalidInput

NOTE_MAX = 2_000
RATING_MAX = 5
SELECTIONS_MAX = 2_000
SUGGESTIONS_MAX = 500
NO_SUCH_SELECTION = "This selection does not exist any more."
# What each kind of suggestion proposes: a shot between two scene cuts may be worth keeping; a silence is dead air.
SUGGESTED_LABELS = {SuggestionKind.SCENE: SelectionLabel.MAYBE, SuggestionKind.SILENCE: SelectionLabel.REJECT}


@dataclasses.dataclass(frozen=True)
class SelectionView:
    id: str
    asset_id: str
    in_frame: int
    out_frame: int
    label: str
    rating: int
    note: str
    from_suggestion: str | None
    author_id: str | None
    author_name: str
    is_mine: bool
    created_at: datetime
    updated_at: datetime


@dataclasses.dataclass(frozen=True)
class Suggestion:
    key: str  # "scene:<in>-<out>" or "silence:<in>-<out>", in frames: stable while the analysis is the same
    kind: str
    in_frame: int
    out_frame: int
    label: str  # the label an accepted suggestion gets


@dataclasses.dataclass(frozen=True)
class Rush:
    """What the derush page needs of the rush itself."""

    id: str
    project_id: str
    file_id: str
    frame_rate: Fraction
    total_frames: int
    duration_ms: int
    my_role: str
    waveform: tuple[float, ...]  # peaks 0..1, for the strip under the player
    has_thumbnails: bool


@dataclasses.dataclass(frozen=True)
class DerushList:
    rush: Rush
    selections: tuple[SelectionView, ...]  # in order of their in point
    suggestions: tuple[Suggestion, ...]  # not decided yet, in order of their in point


def derush_list(session: Session, actor: Actor | None, asset_id: str) -> DerushList:
    """The rush, its selections and the suggestions nobody decided on yet, in one transaction."""
    asset, role = access_asset(session, actor, asset_id, Action.VIEW_PROJECT, kind=MediaKind.RUSH)
    rush = _rush(asset, role)
    return DerushList(rush=rush, selections=tuple(_selection_views(session, actor, asset)),
                      suggestions=tuple(_open_suggestions(session, asset, rush)))


def list_selections(session: Session, actor: Actor | None, asset_id: str) -> list[SelectionView]:
    asset, _ = access_asset(session, actor, asset_id, Action.VIEW_PROJECT, kind=MediaKind.RUSH)
    return _selection_views(session, actor, asset)


def selections_for_file(session: Session, actor: Actor | None, file_id: str) -> tuple[Rush, list[SelectionView]]:
    """The rush whose original is the stored file ``file_id`` and its selections: what edit lists are made of."""
    asset, role = access_asset_by_file(session, actor, file_id, Action.VIEW_PROJECT, kind=MediaKind.RUSH)
    return _rush(asset, role), _selection_views(session, actor, asset)


def add_selection(session: Session, actor: Actor | None, asset_id: str, *, in_frame: int, out_frame: int,
                  label: str = SelectionLabel.KEEP, rating: int = 0, note: str = "") -> SelectionView:
    asset, role = access_asset(session, actor, asset_id, Action.DERUSH, kind=MediaKind.RUSH)
    rush = _rush(asset, role)
    in_frame, out_frame = _check_range(rush, in_frame, out_frame)
    selection = DerushSelection(id=new_id(), asset_id=asset.id, project_id=asset.project_id, in_frame=in_frame,
                                out_frame=out_frame, label=_check_label(label), rating=_check_rating(rating),
                                created_by=actor.user_id)
    key = project_key_of(session, asset.project_id)
    set_encrypted(selection, "note_encrypted", _check_note(note) or None, data_key=key)
    session.add(selection)
    session.flush()
    return _view(selection, key, actor, display_names(session, [actor.user_id]))


def update_selection(session: Session, actor: Actor | None, selection_id: str, *, in_frame: int | None = None,
                     out_frame: int | None = None, label: str | None = None, rating: int | None = None,
                     note: str | None = None) -> SelectionView:
    """Change what is given (None leaves a value as it is); only the selection's author may."""
    selection, asset, role = _own_selection(session, actor, selection_id)
    if in_frame is not None or out_frame is not None:
        selection.in_frame, selection.out_frame = _check_range(
            _rush(asset, role), selection.in_frame if in_frame is None else in_frame,
            selection.out_frame if out_frame is None else out_frame)
    if label is not None:
        selection.label = _check_label(label)
    if rating is not None:
        selection.rating = _check_rating(rating)
    key = project_key_of(session, asset.project_id)
    if note is not None:
        set_encrypted(selection, "note_encrypted", _check_note(note) or None, data_key=key)
    selection.updated_at = utcnow()
    session.add(selection)
    session.flush()
    return _view(selection, key, actor, display_names(session, [actor.user_id]))


def delete_selection(session: Session, actor: Actor | None, selection_id: str) -> str:
    """Returns the rush's id (the real-time layer tells the tabs showing it)."""
    selection, asset, _ = _own_selection(session, actor, selection_id)
    session.delete(selection)
    session.flush()
    return asset.id


def suggestions(session: Session, actor: Actor | None, asset_id: str) -> list[Suggestion]:
    asset, role = access_asset(session, actor, asset_id, Action.VIEW_PROJECT, kind=MediaKind.RUSH)
    return _open_suggestions(session, asset, _rush(asset, role))


def accept_suggestion(session: Session, actor: Actor | None, asset_id: str, key: str) -> SelectionView:
    """The suggested segment becomes a selection of the actor's, labelled as the suggestion proposes."""
    asset, role = access_asset(session, actor, asset_id, Action.DERUSH, kind=MediaKind.RUSH)
    suggestion = _decide(session, actor, asset, _rush(asset, role), key, accepted=True)
    selection = DerushSelection(id=new_id(), asset_id=asset.id, project_id=asset.project_id,
                                in_frame=suggestion.in_frame, out_frame=suggestion.out_frame, label=suggestion.label,
                                from_suggestion=suggestion.kind, created_by=actor.user_id)
    session.add(selection)
    session.flush()
    return _view(selection, project_key_of(session, asset.project_id), actor,
                 display_names(session, [actor.user_id]))


def discard_suggestion(session: Session, actor: Actor | None, asset_id: str, key: str) -> None:
    asset, role = access_asset(session, actor, asset_id, Action.DERUSH, kind=MediaKind.RUSH)
    _decide(session, actor, asset, _rush(asset, role), key, accepted=False)


@dataclasses.dataclass(frozen=True)
class EditList:
    filename: str
    media_type: str
    text: str


# format -> (media type, writer of services/edit_lists.py)
EDIT_LIST_FORMATS = {
    "edl": ("text/plain; charset=utf-8", edit_lists.derush_edl),
    "csv": ("text/csv; charset=utf-8", edit_lists.derush_csv),
    "otio": ("application/json", edit_lists.derush_otio),
}


def derush_edit_list(session: Session, actor: Actor | None, file_id: str, format: str) -> EditList:
    """The derush list of the rush whose original is ``file_id`` as an EDL, a CSV or an OTIO timeline, named after
    the rush (rejects are in the CSV only)."""
    if format not in EDIT_LIST_FORMATS:
        raise InvalidInput("format", "Choose EDL, CSV or OTIO.")
    rush, selections = selections_for_file(session, actor, file_id)
    asset = session.get(MediaAsset, rush.id)
    name = _rush_name(session, asset)
    clips = [edit_lists.Clip(in_frame=view.in_frame, out_frame=view.out_frame, label=view.label,
                             rating=view.rating, note=view.note) for view in selections]
    media_type, write = EDIT_LIST_FORMATS[format]
    text = write(name, rush.frame_rate, (asset.media_info or {}).get("start_timecode"), clips)
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", name) or "rush"
    return EditList(filename=f"{stem} derush.{format}", media_type=media_type, text=text)


def _rush_name(session: Session, asset: MediaAsset) -> str:
    original = session.get(StoredFile, asset.file_id) if asset.file_id else None
    if original is None:
        return "rush"
    return get_decrypted(original, "name_encrypted", data_key=files.key_of(session, original)) or "rush"


# -- suggestions ------------------------------------------------------------------------------------


def suggested_segments(media_info: dict, frame_rate: Fraction, total_frames: int) -> list[Suggestion]:
    """The segments processing's analysis proposes, in frames, clipped to the rush: each shot between scene cuts and
    each silence. ``scene_cuts`` holds cut times (seconds) or shots (``{"in_frame", "out_frame"}``); ``silences``
    holds ``[start, end]`` seconds or ``{"in_frame", "out_frame"}``. Malformed entries are skipped: the analysis is
    data, not a contract to crash on."""
    found: dict[str, Suggestion] = {}
    scene_cuts = media_info.get("scene_cuts") if isinstance(media_info.get("scene_cuts"), list) else []
    cuts = sorted({_frame(second, frame_rate) for second in scene_cuts if _is_number(second)})
    bounds = [0, *(cut for cut in cuts if 0 < cut < total_frames), total_frames]
    if len(bounds) > 2:  # no cut: the whole rush is no suggestion
        for start, end in itertools.pairwise(bounds):
            _add(found, SuggestionKind.SCENE, start, end)
    for kind, entries in ((SuggestionKind.SCENE, scene_cuts), (SuggestionKind.SILENCE, media_info.get("silences"))):
        for entry in entries if isinstance(entries, list) else ():
            if (segment := _segment(entry, frame_rate)) is not None:
                start, end = (min(max(frame, 0), total_frames) for frame in segment)
                _add(found, kind, start, end)
    return sorted(found.values(), key=lambda item: (item.in_frame, item.out_frame, item.kind))[:SUGGESTIONS_MAX]


def _segment(entry: object, frame_rate: Fraction) -> tuple[int, int] | None:
    if isinstance(entry, dict) and _is_whole(entry.get("in_frame")) and _is_whole(entry.get("out_frame")):
        return entry["in_frame"], entry["out_frame"]
    if isinstance(entry, Sequence) and not isinstance(entry, str) and len(entry) == 2 and all(map(_is_number, entry)):
        return _frame(entry[0], frame_rate), _frame(entry[1], frame_rate)
    return None


def _add(found: dict[str, Suggestion], kind: SuggestionKind, start: int, end: int) -> None:
    if end > start:
        key = f"{kind}:{start}-{end}"
        found[key] = Suggestion(key, str(kind), start, end, str(SUGGESTED_LABELS[kind]))


def _open_suggestions(session: Session, asset: MediaAsset, rush: Rush) -> list[Suggestion]:
    proposed = suggested_segments(asset.media_info or {}, rush.frame_rate, rush.total_frames)
    if not proposed:
        return []
    decided = set(session.exec(
        select(DerushSuggestionDecision.suggestion_key).where(DerushSuggestionDecision.asset_id == asset.id)
        .limit(SUGGESTIONS_MAX * 4)
    ).all())
    return [suggestion for suggestion in proposed if suggestion.key not in decided]


def _decide(session: Session, actor: Actor, asset: MediaAsset, rush: Rush, key: object, *, accepted: bool
            ) -> Suggestion:
    suggestion = next((item for item in _open_suggestions(session, asset, rush) if item.key == key), None)
    if suggestion is None:
        raise InvalidInput("suggestion", "This suggestion was already decided on, or is no longer proposed.")
    # Two people deciding at once: the first decision stands, the second is told.
    if not insert_missing(session, DerushSuggestionDecision,
                          [{"asset_id": asset.id, "suggestion_key": suggestion.key, "accepted": accepted,
                            "decided_by": actor.user_id, "decided_at": utcnow()}],
                          key=("asset_id", "suggestion_key"), returning=DerushSuggestionDecision.suggestion_key):
        raise InvalidInput("suggestion", "Someone decided on this suggestion just now.")
    return suggestion


# -- helpers ---------------------------------------------------------------------------------------


def _rush(asset: MediaAsset, role: str) -> Rush:
    if not asset.duration_ms:
        raise InvalidInput("rush", "This rush is still being processed: derush it once it is ready.")
    rate = frame_rate_of(asset)
    return Rush(id=asset.id, project_id=asset.project_id, file_id=asset.file_id, frame_rate=rate,
                total_frames=max(1, math.floor(Fraction(asset.duration_ms, 1000) * rate)),
                duration_ms=asset.duration_ms, my_role=role, waveform=tuple(asset.waveform or ()),
                has_thumbnails=bool(asset.thumbnails_vtt and asset.sprite_file_id))


def _own_selection(session: Session, actor: Actor | None, selection_id: str
                   ) -> tuple[DerushSelection, MediaAsset, str]:
    selection = session.get(DerushSelection, selection_id) if is_row_id(selection_id) else None
    if selection is None:
        # Nothing to find is also what a non-member is told, in the asset's words.
        access_asset(session, actor, None, Action.DERUSH)
    asset, role = access_asset(session, actor, selection.asset_id, Action.DERUSH, kind=MediaKind.RUSH)
    require_in_project(actor, Action.EDIT_SELECTION, role, author_id=selection.created_by)
    return selection, asset, role


def _selection_views(session: Session, actor: Actor | None, asset: MediaAsset) -> list[SelectionView]:
    rows = session.exec(
        select(DerushSelection).where(DerushSelection.asset_id == asset.id)
        .order_by(DerushSelection.in_frame, DerushSelection.out_frame, DerushSelection.created_at)
        .limit(SELECTIONS_MAX)
    ).all()
    if not rows:
        return []
    key = project_key_of(session, asset.project_id)
    names = display_names(session, (row.created_by for row in rows))
    return [_view(row, key, actor, names) for row in rows]


def _view(row: DerushSelection, key: DataKey, actor: Actor, names: dict[str, str]) -> SelectionView:
    return SelectionView(id=row.id, asset_id=row.asset_id, in_frame=row.in_frame, out_frame=row.out_frame,
                         label=row.label, rating=row.rating, note=get_decrypted(row, "note_encrypted", data_key=key)
                         or "", from_suggestion=row.from_suggestion, author_id=row.created_by,
                         author_name=name_of(names, row.created_by), is_mine=row.created_by == actor.user_id,
                         created_at=row.created_at, updated_at=row.updated_at)


def _check_range(rush: Rush, in_frame: object, out_frame: object) -> tuple[int, int]:
    if not (_is_whole(in_frame) and _is_whole(out_frame)):
        raise InvalidInput("in_frame", "Set an in point and an out point.")
    if not 0 <= in_frame < out_frame:
        raise InvalidInput("out_frame", "The out point must come after the in point.")
    if out_frame > rush.total_frames:
        raise InvalidInput("out_frame", "The out point is past the end of the rush.")
    return int(in_frame), int(out_frame)


def _check_label(label: object) -> str:
    if label not in tuple(SelectionLabel):
        raise InvalidInput("label", "Choose keep, maybe or reject.")
    return str(label)


def _check_rating(rating: object) -> int:
    if not _is_whole(rating) or not 0 <= rating <= RATING_MAX:
        raise InvalidInput("rating", f"Rate from 0 to {RATING_MAX} stars.")
    return int(rating)


def _check_note(note: object) -> str:
    if not isinstance(note, str):
        raise InvalidInput("note", "Write the note as text.")
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise InvalidInput("note", f"A note has at most {NOTE_MAX:,} characters.")
    return note


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _frame(seconds: float, frame_rate: Fraction) -> int:
    return round(Fraction(seconds) * frame_rate)

