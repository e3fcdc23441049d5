"""Is this a video? A first look at an upload's opening bytes, before anything is kept.

Only the containers the product handles pass: ISO BMFF (MP4, MOV, M4V, 3GP), Matroska and WebM, AVI, MPEG
transport streams (plain and Blu-ray M2TS) and MXF. Names and the browser's type are never trusted. This is a
cheap early refusal; ffprobe checks the streams themselves once the upload is complete (processing).
"""

from __future__ import annotations

SNIFF_BYTES = 4096  # enough for every signature below (a transport stream shows 3 sync bytes in 576)

_QUICKTIME_ATOMS = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")  # old QuickTime files start without ftyp
_MXF_PARTITION_KEY = bytes.fromhex("060e2b34020501010d010201")


def sniff_video(head: bytes) -> str | None:
    """The content type of a video container starting with ``head``, or None if it is not one we accept.

    Give at least ``SNIFF_BYTES`` bytes unless the file is shorter.
    """
    if len(head) < 12:
        return None
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:12] == b"qt  " else "video/mp4"
    if head[4:8] in _QUICKTIME_ATOMS and int.from_bytes(head[:4], "big") >= 8:
        return "video/quicktime"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "video/webm" if b"webm" in head[:64] else "video/x-matroska"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video/x-msvideo"
    if head.startswith(_MXF_PARTITION_KEY):
        return "application/mxf"
    if _is_transport_stream(head):
        return "video/mp2t"
    return None


def _is_transport_stream(head: bytes) -> bool:
    """Sync bytes 0x47 every 188 bytes (or every 192 after a 4-byte time code, M2TS), at least three times."""
    for first, stride in ((0, 188), (4, 192)):
        positions = range(first, len(head), stride)
        if len(positions) >= 3 and all(head[position] == 0x47 for position in positions):
            return True
    return False
