"""The video player: Vidstack (``@vidstack/react``, React 19 ready) wrapped once, with the glue a derush and a review
need, so pages use it from Python only.

- keyboard (when ``keyboard`` is on and no text field has the focus): Space plays or pauses, ``,`` / ``.`` and the
  arrow keys step one frame (at ``frame_rate``), J / K / L shuttle (J plays backwards by stepping, L faster
  forwards, K stops), I and O send ``on_mark_in`` / ``on_mark_out`` with the current frame;
- ``on_time`` receives the playhead in seconds, at most 4 times a second (and at once after a pause or a seek);
- ``seek`` (``{"at": seconds, "n": counter}``): a new counter moves the playhead there;
- ``sync_group``: players of the same group follow each other's play, pause, seek and speed (side-by-side review);
- ``thumbnails``: a WebVTT thumbnails track for the scrubber (Vidstack's default layout shows it on hover).
The waveform under the player is drawn by ``waveform_strip``, in Python, from the asset's peaks.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

VIDSTACK = "@vidstack/react@1.15.6"

_GLUE = r"""
const studioPlayerGroups = new Map();

function studioJoinGroup(group, player) {
  if (!group) return () => {};
  if (!studioPlayerGroups.has(group)) studioPlayerGroups.set(group, new Set());
  studioPlayerGroups.get(group).add(player);
  return () => studioPlayerGroups.get(group)?.delete(player);
}

function studioFollowers(group, player) {
  return group ? [...(studioPlayerGroups.get(group) || [])].filter((other) => other !== player) : [];
}

function studioTyping(target) {
  const tag = (target && target.tagName) || "";
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
}

const StudioVideoPlayer = ({src, thumbnails, title, frameRate, seek, syncGroup, keyboard, onTime, onMarkIn,
                            onMarkOut, ...rest}) => {
  const player = useRef(null);
  const lastReport = useRef(0);
  const reverse = useRef({speed: 0, timer: null});
  const fps = frameRate > 0 ? frameRate : 25;
  // The <video> itself: its currentTime is set at once by a seek (the player's own copy follows a moment later).
  const media = () => (player.current?.el && player.current.el.querySelector("video")) || player.current;
  const frameOf = (seconds) => Math.floor(seconds * fps + 1e-6);

  const report = useCallback((force) => {
    const element = media();
    if (!element || !onTime) return;
    const now = Date.now();
    if (force || now - lastReport.current >= 250) {
      lastReport.current = now;
      onTime(element.currentTime);
    }
  }, [onTime]);

  const stopReverse = useCallback(() => {
    clearInterval(reverse.current.timer);
    reverse.current = {speed: 0, timer: null};
  }, []);

  const followers = (action) => {
    for (const other of studioFollowers(syncGroup, player.current)) {
      other.__studioFollow = true;
      action(other);
      setTimeout(() => { other.__studioFollow = false; }, 0);
    }
  };

  useEffect(() => {
    const media = player.current;
    return studioJoinGroup(syncGroup, media);
  }, [syncGroup]);

  useEffect(() => {
    if (seek && media() && typeof seek.at === "number") {
      media().currentTime = Math.max(0, seek.at);
      report(true);
    }
  }, [seek && seek.n]);

  useEffect(() => {
    if (!keyboard) return;
    const step = (frames) => {
      const element = media();
      stopReverse();
      element.pause();
      element.currentTime = Math.max(0, (frameOf(element.currentTime) + frames + 0.5) / fps);
    };
    const onKey = (event) => {
      const element = media();
      if (!element || event.ctrlKey || event.metaKey || event.altKey || studioTyping(event.target)) return;
      const key = event.key.toLowerCase();
      if (key === " " && event.target === document.body) {
        stopReverse();
        element.paused ? element.play() : element.pause();
      } else if (key === "," || key === "arrowleft") {
        step(-1);
      } else if (key === "." || key === "arrowright") {
        step(1);
      } else if (key === "k") {
        stopReverse();
        element.pause();
        element.playbackRate = 1;
      } else if (key === "l") {
        stopReverse();
        if (element.paused) { element.playbackRate = 1; element.play(); }
        else { element.playbackRate = Math.min(8, element.playbackRate * 2); }
      } else if (key === "j") {
        element.pause();
        const speed = Math.min(8, (reverse.current.speed || 0.5) * 2);
        clearInterval(reverse.current.timer);
        reverse.current = {speed, timer: setInterval(() => {
          element.currentTime = Math.max(0, element.currentTime - speed / 10);
          if (element.currentTime <= 0) stopReverse();
        }, 100)};
      } else if (key === "i" && onMarkIn) {
        onMarkIn(frameOf(element.currentTime));
      } else if (key === "o" && onMarkOut) {
        onMarkOut(frameOf(element.currentTime));
      } else {
        return;
      }
      event.preventDefault();
    };
    document.addEventListener("keydown", onKey);
    return () => { document.removeEventListener("keydown", onKey); stopReverse(); };
  }, [keyboard, fps, onMarkIn, onMarkOut]);

  const now = () => media().currentTime;
  const follow = (apply) => () => {
    if (player.current && !player.current.__studioFollow) followers(apply);
  };

  return (
    <MediaPlayer ref={player} src={src ? {src, type: "video/mp4"} : undefined} title={title} keyDisabled={true}
                 playsInline crossOrigin={null} onTimeUpdate={() => report(false)}
                 onPause={() => { report(true); follow((other) => other.pause())(); }}
                 onPlay={follow((other) => other.play())}
                 onSeeked={() => { report(true); follow((other) => { other.currentTime = now(); })(); }}
                 onRateChange={follow((other) => { other.playbackRate = player.current.playbackRate; })}
                 {...rest}>
      <MediaProvider />
      <DefaultVideoLayout icons={defaultLayoutIcons} thumbnails={thumbnails || undefined} noKeyboardAnimations />
    </MediaPlayer>
  );
};
"""


class VideoPlayer(rx.Component):
    """``<StudioVideoPlayer>``: Vidstack's player and default layout with the glue above (module-level code)."""

    tag = "StudioVideoPlayer"
    lib_dependencies: list[str] = [VIDSTACK]

    src: rx.Var[str]
    thumbnails: rx.Var[str]
    title: rx.Var[str]
    frame_rate: rx.Var[float]
    seek: rx.Var[dict[str, Any]]
    sync_group: rx.Var[str]
    keyboard: rx.Var[bool]

    on_time: rx.EventHandler[lambda seconds: [seconds]]
    on_mark_in: rx.EventHandler[lambda frame: [frame]]
    on_mark_out: rx.EventHandler[lambda frame: [frame]]

    def add_imports(self) -> dict[str, Any]:
        return {
            "react": [rx.ImportVar(tag="useRef"), rx.ImportVar(tag="useEffect"), rx.ImportVar(tag="useCallback")],
            "@vidstack/react": [rx.ImportVar(tag="MediaPlayer", install=False),
                                rx.ImportVar(tag="MediaProvider", install=False)],
            "@vidstack/react/player/layouts/default": [
                rx.ImportVar(tag="DefaultVideoLayout", install=False),
                rx.ImportVar(tag="defaultLayoutIcons", install=False)],
            "": [rx.ImportVar(tag="@vidstack/react/player/styles/default/theme.css", install=False),
                 rx.ImportVar(tag="@vidstack/react/player/styles/default/layouts/video.css", install=False)],
        }

    def add_custom_code(self) -> list[str]:
        return [_GLUE]


def video_player(**props: Any) -> rx.Component:
    """A player filling its column, 16:9 until the video says otherwise, with a label for assistive technology."""
    return rx.box(VideoPlayer.create(**props), width="100%", background_color="black", border_radius="8px",
                  overflow="hidden")


def waveform_strip(peaks: rx.Var[list[float]], playhead_percent: rx.Var[float],
                   ranges: rx.Var[list[dict]] | None = None, **props: Any) -> rx.Component:
    """The audio's peaks (0..1) as bars under the player, the playhead, and the given ranges (``left``/``width``
    in percent, ``color``) over them; drawn from the state's list, no script."""
    bars = rx.foreach(peaks, lambda peak: rx.box(height=(peak * 100).to_string() + "%", min_height="1px", flex="1",
                                                background_color=rx.color("accent", 8), border_radius="1px"))
    overlays = rx.foreach(ranges, lambda span: rx.box(position="absolute", top="0", bottom="0", left=span["left"],
                                                      width=span["width"], background_color=span["color"],
                                                      opacity="0.35")) if ranges is not None else rx.fragment()
    return rx.box(
        rx.hstack(bars, align="end", spacing="0", gap="1px", height="100%", width="100%"),
        overlays,
        rx.box(position="absolute", top="0", bottom="0", width="2px", left=playhead_percent.to_string() + "%",
               background_color=rx.color("red", 9)),
        position="relative", height="48px", width="100%", padding_y="2px",
        background_color=rx.color("gray", 3), border_radius="4px", overflow="hidden", role="img",
        **props,
    )

