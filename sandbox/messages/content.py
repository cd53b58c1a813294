"""Message content the sandbox makes or inspects: rendered fax documents (real, minimal PDFs of
text pages), page counts of uploaded PDFs, image dimensions of MMS attachments, SMS segment
counts, and the media types each message kind accepts (CONTRACT §10)."""

import mimetypes
import re
import struct
import textwrap
import zlib

# --- PDF -------------------------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = 612, 792  # US Letter, points
LINES_PER_PAGE = 54
CHARS_PER_LINE = 86
_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def _pdf_string(line: str) -> bytes:
    text = line.encode("latin-1", "replace")
    return b"(" + text.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def text_pdf(pages: list[list[str]]) -> bytes:
    """A valid PDF 1.4 document with one page per list of lines (Helvetica 11 pt, Letter).

    Written by hand (objects, compressed content streams, exact xref offsets): a fax document
    needs nothing more, and the sandbox stays free of a PDF library.
    """
    pages = pages or [[""]]
    objects: list[bytes] = []
    page_ids = [4 + 2 * i for i in range(len(pages))]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = b" ".join(b"%d 0 R" % pid for pid in page_ids)
    objects.append(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(pages)))
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for pid, lines in zip(page_ids, pages, strict=True):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>"
            % (PAGE_WIDTH, PAGE_HEIGHT, pid + 1)
        )
        ops = [b"BT /F1 11 Tf 14 TL 54 738 Td"]
        ops += [_pdf_string(line) + b" Tj T*" for line in lines[:LINES_PER_PAGE]]
        ops.append(b"ET")
        stream = zlib.compress(b"\n".join(ops))
        objects.append(
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream)
        )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def paginate_text(text: str) -> list[list[str]]:
    """Wrap text into fax pages (at least one page)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines += textwrap.wrap(paragraph, CHARS_PER_LINE) or [""]
    return [lines[i : i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)] or [[""]]


def pdf_page_count(content: bytes) -> int:
    """Pages in an uploaded PDF (page objects counted; at least one)."""
    return max(1, len(_PAGE_OBJECT.findall(content)))


def is_pdf(content: bytes) -> bool:
    return content.startswith(b"%PDF-")


# --- images ----------------------------------------------------------------------------------


def image_size(content: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, GIF or JPEG image; None for anything else."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) >= 24:
        return struct.unpack(">II", content[16:24])
    if content[:6] in (b"GIF87a", b"GIF89a") and len(content) >= 10:
        return struct.unpack("<HH", content[6:10])
    if content.startswith(b"\xff\xd8"):
        return _jpeg_size(content)
    return None


def _jpeg_size(content: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(content):
        if content[i] != 0xFF:
            return None
        marker = content[i + 1]
        length = struct.unpack(">H", content[i + 2 : i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE):
            height, width = struct.unpack(">HH", content[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None


# --- SMS text --------------------------------------------------------------------------------

MAX_TEXT_UNITS = 1000
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€\f")


def text_units(text: str) -> int:
    """Length as the SMS API counts it: UTF-16 code units (a 4-byte character counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def segment_count(text: str) -> int:
    """Segments an SMS is split into: GSM-7 160/153 characters, otherwise UCS-2 70/67."""
    if all(c in _GSM7 or c in _GSM7_EXTENDED for c in text):
        septets = sum(2 if c in _GSM7_EXTENDED else 1 for c in text)
        return 1 if septets <= 160 else -(-septets // 153)
    units = text_units(text)
    return 1 if units <= 70 else -(-units // 67)


# --- media types -----------------------------------------------------------------------------

# The MMS content types RingCentral lists (developer guide, "Sending MMS").
MMS_CONTENT_TYPES = frozenset(
    {
        "image/jpeg", "image/png", "image/bmp", "image/gif", "image/tiff", "image/svg+xml",
        "image/webp", "video/3gpp", "video/mp4", "video/mpeg", "video/avi", "video/msvideo",
        "video/x-flv", "video/x-ms-wmv", "video/quicktime", "video/webm", "video/ogg",
        "audio/mpeg", "audio/mp4", "audio/ogg", "audio/wav", "audio/amr", "audio/3gpp",
        "text/vcard", "text/x-vcard", "application/zip", "application/gzip", "application/rtf",
        "application/pdf", "text/html", "text/plain", "text/csv", "text/calendar",
    }
)  # fmt: skip
# Documents the fax service renders (RingCentral's list of supported fax file types).
FAX_CONTENT_TYPES = frozenset(
    {
        "application/pdf", "application/postscript", "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
        "application/rtf", "text/rtf", "text/plain", "text/html", "text/xml", "application/xml",
        "text/csv", "image/tiff", "image/jpeg", "image/png", "image/gif", "image/bmp",
    }
)  # fmt: skip
_EXTRA_TYPES = {
    ".vcf": "text/vcard",
    ".vcard": "text/vcard",
    ".3gp": "video/3gpp",
    ".m4a": "audio/mp4",
    ".amr": "audio/amr",
    ".webp": "image/webp",
    ".gzip": "application/gzip",
}


def guess_content_type(filename: str | None) -> str | None:
    """The media type a file name's extension implies (None without a known extension)."""
    if not filename or "." not in filename:
        return None
    ext = filename[filename.rfind(".") :].lower()
    return _EXTRA_TYPES.get(ext) or mimetypes.guess_type("x" + ext, strict=False)[0]


def extension_for(content_type: str) -> str:
    return {"text/plain": ".txt", "image/jpeg": ".jpg", "audio/x-wav": ".wav"}.get(
        content_type
    ) or (mimetypes.guess_extension(content_type, strict=False) or ".bin")
