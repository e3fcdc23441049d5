"""The rush viewer: the player's playhead, the in point being marked, and the derush list shared live by the
project's producer and editor (each change is pushed to the other tabs showing the rush, which read the list again
with their own session)."""

from __future__ import annotations

from fractions import Fraction

import reflex as rx

from studio_app import routes
from studio_app.errors import UserError
from studio_app.services import derush, edit_lists
from studio_app.state.live import push_later
from studio_app.state.media_page import MediaPageMixin, media_channel
from studio_app.state.session import user_action

LABEL_COLORS = {"keep": "green", "maybe": "amber", "reject": "red"}
WAVEFORM_BARS = 160


def peaks_for_strip(waveform, bars: int = WAVEFORM_BARS) -> list[float]:
    """The waveform resampled to ``bars`` peaks (the loudest of each stretch), rounded: small enough for state."""
    peaks = [min(max(float(peak), 0.0), 1.0) for peak in waveform if isinstance(peak, int | float)]
    if len(peaks) > bars:
        size = len(peaks) / bars
        peaks = [max(peaks[int(index * size):max(int((index + 1) * size), int(index * size) + 1)])
                 for index in range(bars)]
    return [round(peak, 3) for peak in peaks]


def timecode(frame: int, rate: Fraction) -> str:
    try:
        return edit_lists.timecode_of(frame, rate)
    except UserError:  # a rate timecode cannot express: seconds instead
        return f"{float(frame / rate):.2f}s"


def selection_row(view: derush.SelectionView, rate: Fraction, total_frames: int) -> dict:
    return {
        "id": view.id, "label": view.label, "rating": view.rating, "note": view.note, "author": view.author_name,
        "mine": view.is_mine, "in_frame": view.in_frame, "out_frame": view.out_frame,
        "in_tc": timecode(view.in_frame, rate), "out_tc": timecode(view.out_frame, rate),
        "length": f"{float((view.out_frame - view.in_frame) / rate):.1f}s",
        "from_suggestion": view.from_suggestion or "", "color": LABEL_COLORS.get(view.label, "gray"),
        "left": f"{100 * view.in_frame / total_frames:.3f}%",
        "width": f"{100 * (view.out_frame - view.in_frame) / total_frames:.3f}%",
    }


def suggestion_row(item: derush.Suggestion, rate: Fraction) -> dict:
    return {"key": item.key, "kind": "Scene" if item.kind == "scene" else "Silence", "label": item.label,
            "in_frame": item.in_frame, "in_tc": timecode(item.in_frame, rate), "out_tc": timecode(item.out_frame, rate)}


class DerushState(MediaPageMixin, rx.State):
    loaded: bool = False
    missing: str = ""  # why there is nothing to show
    src: str = ""
    thumbnails: str = ""
    frame_rate: float = 25.0
    total_frames: int = 1
    peaks: list[float] = []
    selections: list[dict] = []
    suggestions: list[dict] = []
    exports: list[dict] = []
    my_role: str = ""
    playhead: float = 0.0
    mark_in_frame: int = -1
    mark_in_tc: str = ""
    seek: dict = {"at": 0.0, "n": 0}
    notice: str = ""
    errors: dict[str, str] = {}
    _rate: str = "25"

    @rx.var
    def playhead_percent(self) -> float:
        seconds = self.total_frames / self.frame_rate if self.frame_rate else 1
        return round(min(100.0, 100 * self.playhead / seconds), 2) if seconds else 0.0

    @rx.event
    def playhead_at(self, seconds: float):
        if isinstance(seconds, int | float) and seconds >= 0:
            self.playhead = round(float(seconds), 3)

    @rx.event
    def mark_in(self, frame: int):
        if isinstance(frame, int) and frame >= 0:
            self.mark_in_frame, self.mark_in_tc = frame, timecode(frame, Fraction(self._rate))
            self.notice = f"In point at {self.mark_in_tc}: press O at the out point."

    @rx.event
    @user_action(fields=False)
    async def mark_out(self, frame: int):
        if self.mark_in_frame < 0:
            self.errors = {"form": "Press I at the in point first, then O at the out point."}
            return
        # O marks the last frame kept: the selection ends just after it.
        await self._change(derush.add_selection, self.asset_id, in_frame=self.mark_in_frame,
                           out_frame=frame + 1 if isinstance(frame, int) else frame)
        self.mark_in_frame, self.mark_in_tc, self.notice = -1, "", "Selection added."

    @rx.event
    def clear_mark(self):
        self.mark_in_frame, self.mark_in_tc, self.notice = -1, "", ""

    @rx.event
    def seek_to_frame(self, frame: int):
        if isinstance(frame, int) and frame >= 0:
            self.seek = {"at": (frame + 0.5) / self.frame_rate, "n": self.seek.get("n", 0) + 1}

    @rx.event
    @user_action(fields=False)
    async def set_label(self, selection_id: str, label: str):
        await self._change(derush.update_selection, selection_id, label=label)

    @rx.event
    @user_action(fields=False)
    async def set_rating(self, selection_id: str, rating: str):
        await self._change(derush.update_selection, selection_id, rating=int(rating) if str(rating).isdigit()
                           else rating)

    @rx.event
    @user_action(fields=False)
    async def save_note(self, form: dict):
        await self._change(derush.update_selection, str(form.get("selection", "")), note=str(form.get("note", "")))
        self.notice = "Note saved."

    @rx.event
    @user_action(fields=False)
    async def delete(self, selection_id: str):
        await self._change(derush.delete_selection, selection_id)

    @rx.event
    @user_action(fields=False)
    async def accept(self, key: str):
        await self._change(derush.accept_suggestion, self.asset_id, key)

    @rx.event
    @user_action(fields=False)
    async def discard(self, key: str):
        await self._change(derush.discard_suggestion, self.asset_id, key)

    async def _change(self, work, *args, **kwargs) -> None:
        """A change, the list read again, and the other tabs showing the rush told."""
        await self._call(work, *args, **kwargs)
        await self._reload()
        push_later(media_channel(self.asset_id), DerushState, DerushState._reread,
                   skip_token=self.router.session.client_token)

    async def _reload(self):
        try:
            actor, listed = await self._call(lambda session, actor: (actor, derush.derush_list(session, actor,
                                                                                                 self.asset_id)))
        except UserError as error:
            self.selections, self.suggestions, self.missing, self.loaded = [], [], error.message, True
            return None
        self._show(listed)
        return actor

    def _show(self, listed: derush.DerushList) -> None:
        rush = listed.rush
        rate, total = rush.frame_rate, rush.total_frames
        self._rate, self.frame_rate, self.total_frames, self.my_role = str(rate), float(rate), total, rush.my_role
        self.selections = [selection_row(view, rate, total) for view in listed.selections]
        self.suggestions = [suggestion_row(item, rate) for item in listed.suggestions]
        if not self.loaded or self.missing:
            self.src = routes.media_proxy(rush.file_id)
            self.thumbnails = routes.thumbnails_vtt(rush.id) if rush.has_thumbnails else ""
            self.peaks = peaks_for_strip(rush.waveform)
            self.exports = [{"label": label, "href": routes.derush_edit_list(rush.file_id, format)}
                            for label, format in (("EDL", "edl"), ("CSV", "csv"), ("OTIO", "otio"))]
        self.missing, self.loaded = "", True

    def _forget(self) -> None:
        self.selections, self.suggestions = [], []

