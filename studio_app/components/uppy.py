"""The upload zone: Uppy's Dashboard sending files with the tus 1.0 resumable protocol, wrapped once for Reflex.

Page code uses ``upload_zone(project_id=..., kind="rush", on_complete=State.handler)``. Everything in JavaScript
that makes Uppy fit this app lives here, in the component's custom code:

- files go to ``/api/uploads`` (tus 1.0) with the session cookie, ``Upload-Metadata`` carrying ``project``,
  ``filename`` and ``kind``; several files, dropped or picked, one progress line per file, speed and time left;
  pause, resume and cancel per file;
- each upload's URL is kept in the browser under the file's fingerprint (``storeFingerprintForResuming``): the same
  file picked again after a closed tab or a lost connection continues from the last byte the server stored, and the
  zone says so when the file is added;
- a refused file shows the server's own reason (its plain-words answer to a 403, 413, 415...) under the zone, in a
  live region, never only in a tooltip or a modal alert.

Uppy renders nothing on the server (it needs ``window``): the prerendered page shows a placeholder of the same size.
"""

from __future__ import annotations

import reflex as rx
from reflex.event import passthrough_event_spec
from reflex.utils.imports import ImportVar

from studio_app import routes

# Versions that work together (the @uppy/* 6 line) and with React 19 (@uppy/react 6 declares ^18 || ^19).
UPPY_PACKAGES = ["@uppy/core@6.3.1", "@uppy/dashboard@6.0.3", "@uppy/tus@6.0.0", "@uppy/react@6.1.1",
                 "tus-js-client@4.3.1"]
# Big enough that a fast link is not slowed by round trips, small enough that a paused or broken upload loses
# little: the server keeps every chunk it fully received.
CHUNK_BYTES = 8 * 1024 * 1024
RETRY_DELAYS_MS = [0, 1000, 3000, 5000, 10000, 20000]
VIDEO_TYPES = ["video/*", ".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".mxf", ".mts"]

_GLUE = """
const studioUploadReason = (error) => {
  // tus-js-client's DetailedError carries the server's answer: its plain-words body is the reason to show.
  const response = error && error.originalResponse;
  const body = response && typeof response.getBody === "function" ? String(response.getBody() || "").trim() : "";
  if (body) return body.slice(0, 300);
  if (response) return "The server refused this file.";
  return "The connection was lost. Press retry to continue from where the upload stopped.";
};

const studioUploadEndpoint = (path) => {
  const url = getBackendURL(env.UPLOAD);
  url.pathname = path;
  url.search = "";
  return url.href;
};

function StudioUploadZone({ path, projectId, kind, note, label, chunkBytes, retryDelays, fileTypes, height, id,
                            onComplete }) {
  const [uppy, setUppy] = useState(null);
  const [refusals, setRefusals] = useState([]);
  const [notice, setNotice] = useState("");
  const completed = useRef(onComplete);
  completed.current = onComplete;

  useEffect(() => {
    const endpoint = studioUploadEndpoint(path);
    const instance = new Uppy({ id: `studio-${kind}-${projectId}`, autoProceed: false,
                                restrictions: { allowedFileTypes: fileTypes } });
    instance.use(Tus, {
      endpoint, chunkSize: chunkBytes, retryDelays, withCredentials: true, limit: 3,
      storeFingerprintForResuming: true, removeFingerprintOnSuccess: true,
      allowedMetaFields: ["project", "filename", "kind"],
    });
    instance.on("file-added", (file) => {
      instance.setFileMeta(file.id, { project: projectId, kind, filename: file.name });
      setRefusals((shown) => shown.filter((line) => line.name !== file.name));
      // The same file as an upload this browser left unfinished: Uppy continues it from the server's offset.
      const fingerprint = ["tus", file.id, endpoint].join("-");
      Promise.resolve(tusDefaults.urlStorage.findUploadsByFingerprint(fingerprint)).then((previous) => {
        if (previous && previous.length) {
          setNotice(`Part of “${file.name}” was already sent: press Upload to continue where it stopped.`);
        }
      }).catch(() => {});
    });
    instance.on("upload-error", (file, error) => {
      const reason = studioUploadReason(error);
      if (file) {
        setRefusals((shown) => [...shown.filter((line) => line.name !== file.name), { name: file.name, reason }]);
      }
    });
    instance.on("upload-success", (file) => {
      setRefusals((shown) => shown.filter((line) => !file || line.name !== file.name));
    });
    instance.on("complete", (result) => {
      setNotice("");
      const count = (result && result.successful ? result.successful.length : 0);
      if (count && completed.current) completed.current(count);
    });
    setUppy(instance);
    return () => { instance.destroy(); setUppy(null); };
  }, [path, projectId, kind]);

  const zone = uppy
    ? createElement(Dashboard, {
        uppy, id: `${id}-dashboard`, width: "100%", height, note, theme: "light",
        proudlyDisplayPoweredByUppy: false, showProgressDetails: true, hideProgressDetails: false,
        fileManagerSelectionType: "files", doneButtonHandler: () => uppy.clear(),
        locale: { strings: { dropPasteFiles: `Drop ${label} here or %{browseFiles}`, browseFiles: "choose files" } },
      })
    : createElement("div", { className: "upload-zone-placeholder", style: { height } }, "Preparing the upload zone…");
  return createElement("div", { id, className: "upload-zone", "data-ready": uppy ? "true" : "false" },
    zone,
    createElement("p", { className: "upload-zone-notice", role: "status" }, notice),
    createElement("ul", { className: "upload-zone-refusals", role: "alert", "aria-label": "Files not uploaded" },
      refusals.map((line) => createElement("li", { key: line.name },
        createElement("strong", null, line.name), ": ", line.reason))));
}
"""


class UploadZone(rx.Component):
    """Uppy's Dashboard with its tus plugin (see the module's docstring); ``StudioUploadZone`` is defined in the
    custom code, so ``library`` stays empty and the packages come through ``lib_dependencies``."""

    tag = "StudioUploadZone"
    lib_dependencies: list[str] = UPPY_PACKAGES

    path: rx.Var[str]
    project_id: rx.Var[str]
    kind: rx.Var[str]
    note: rx.Var[str]
    label: rx.Var[str]
    chunk_bytes: rx.Var[int]
    retry_delays: rx.Var[list[int]]
    file_types: rx.Var[list[str]]
    height: rx.Var[int]

    on_complete: rx.EventHandler[passthrough_event_spec(int)]

    def add_imports(self) -> dict:
        return {
            "react": ["createElement", "useEffect", "useRef", "useState"],
            # Installed pinned through lib_dependencies, not again unpinned from here.
            "@uppy/core": ImportVar(tag="Uppy", is_default=True, install=False),
            "@uppy/tus": ImportVar(tag="Tus", is_default=True, install=False),
            "@uppy/react/dashboard": ImportVar(tag="Dashboard", is_default=True, install=False),
            "tus-js-client": ImportVar(tag="defaultOptions", alias="tusDefaults", install=False),
            "$/utils/state": ["getBackendURL"],
            "$/env.json": ImportVar(tag="env", is_default=True),
            "": ["@uppy/core/css/style.min.css", "@uppy/dashboard/css/style.min.css"],
        }

    def add_custom_code(self) -> list[str]:
        return [_GLUE]


def upload_zone(*, project_id, kind: str, on_complete, element_id: str | None = None,
                note: str = "Video files. Big rushes are fine: an upload continues where it stopped.",
                height: int = 300) -> rx.Component:
    """A drop zone that uploads ``kind`` ("rush" or "version") media to the project ``project_id`` (a var or str);
    ``on_complete`` receives how many files finished in the batch."""
    return UploadZone.create(
        path=routes.UPLOADS, project_id=project_id, kind=kind, note=note,
        label="videos" if kind == "rush" else "a new version", chunk_bytes=CHUNK_BYTES,
        retry_delays=RETRY_DELAYS_MS, file_types=VIDEO_TYPES, height=height,
        id=element_id or f"upload-zone-{kind}", on_complete=on_complete,
    )
