"""A minimal PDF writer (PDF 1.4, ISO 32000-1): pages of plain text in Helvetica, enough for the authority report.

Written here rather than adding a PDF library for one short document: text objects with the standard Helvetica
font (WinAnsiEncoding, so no font is embedded), lines wrapped to the page, new pages as needed.
"""

from __future__ import annotations

import textwrap

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
MARGIN, LEADING, FONT_SIZE, TITLE_SIZE = 56, 14, 10, 14
COLUMNS = 95  # characters of Helvetica 10 pt that fit between the margins
LINES_PER_PAGE = (PAGE_HEIGHT - 2 * MARGIN) // LEADING


def text_pdf(title: str, lines: list[str]) -> bytes:
    """A PDF whose first line is ``title`` (larger) followed by ``lines``, wrapped; empty strings are blank lines."""
    wrapped = [title, ""] + [part for line in lines for part in (textwrap.wrap(line, COLUMNS) or [""])]
    pages = [wrapped[start:start + LINES_PER_PAGE] for start in range(0, len(wrapped), LINES_PER_PAGE)]
    objects: list[bytes] = [b"", b""]  # 1: catalog, 2: page tree, filled in below
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")  # 3
    page_ids = []
    for number, page in enumerate(pages):
        stream = _content(page, first=number == 0)
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 3 0 R >> >> "
                       b"/Contents %d 0 R >>" % (PAGE_WIDTH, PAGE_HEIGHT, len(objects)))
        page_ids.append(len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % i for i in page_ids),
                                                               len(page_ids))
    return _file(objects)


def _content(lines: list[str], *, first: bool) -> bytes:
    parts = [b"BT", b"/F1 %d Tf" % FONT_SIZE, b"%d TL" % LEADING, b"%d %d Td" % (MARGIN, PAGE_HEIGHT - MARGIN)]
    for index, line in enumerate(lines):
        size = TITLE_SIZE if first and index == 0 else FONT_SIZE
        parts.append(b"/F1 %d Tf (%s) Tj T*" % (size, _string(line)))
    parts.append(b"ET")
    return b"\n".join(parts)


def _string(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)").replace(b"\r", b"")


def _file(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
