"""Media the sandbox serves: generated audio of a given length, and byte responses that honour
`Range` (RingCentral's media host answers `Range: bytes=a-b` with 206; CONTRACT §11).

Used by every media endpoint (recordings, message attachments) so they behave the same.
"""

import functools
import io
import math
import re
import struct
import wave
import zlib
from array import array
from urllib.parse import quote

from starlette.responses import Response

from sandbox.core.errors import ApiError

WAV_RATE = 8000
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def wav_audio(duration_s: float, *, seed: int = 0) -> bytes:
    """A real 8 kHz mono 16-bit PCM WAV of exactly `duration_s` seconds.

    The sound is a soft two-tone pattern that changes with `seed`, so different recordings are
    audibly and byte-wise different while staying small (16 kB per second).
    """
    frames = max(1, round(duration_s * WAV_RATE))
    block = _second_of_sound(seed % 7)
    whole, rest = divmod(frames, WAV_RATE)
    samples = block * whole + block[: rest * 2]
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(WAV_RATE)
        out.writeframes(samples)
    return buffer.getvalue()


@functools.lru_cache(maxsize=7)
def _second_of_sound(variant: int) -> bytes:
    """One second of sound (two half-second tones under a soft envelope), repeated by
    `wav_audio`: long recordings cost no more to build than short ones."""
    low = 330 + variant * 40
    high = low * 1.5
    second = array("h")
    for i in range(WAV_RATE):
        t = i / WAV_RATE
        tone = low if i < WAV_RATE // 2 else high
        envelope = 0.5 - 0.5 * math.cos(2 * math.pi * ((t * 2) % 1))
        second.append(int(6000 * envelope * math.sin(2 * math.pi * tone * t)))
    return second.tobytes()


def png_image(width: int, height: int, *, seed: int = 0) -> bytes:
    """A real RGB PNG of `width` x `height`: a soft diagonal gradient whose colours change
    with `seed` (MMS photos in generated traffic)."""
    r0, g0, b0 = (seed * 67) % 256, (seed * 131) % 256, (seed * 199) % 256
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            shade = (x + y) * 128 // max(1, width + height)
            rows += bytes(((r0 + shade) % 256, (g0 + shade) % 256, (b0 + shade) % 256))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 6))
        + chunk(b"IEND", b"")
    )


def wav_duration(content: bytes) -> float:
    with wave.open(io.BytesIO(content)) as audio:
        return audio.getnframes() / audio.getframerate()


def range_not_satisfiable(size: int) -> ApiError:
    return ApiError(
        416,
        "CMN-107",
        "Requested Range Not Satisfiable",
        headers={"Content-Range": f"bytes */{size}"},
    )


def content_disposition(kind: str, filename: str) -> str:
    """`kind; filename="..."` with a filename a header can carry (a client-chosen name may hold
    quotes, control or non-Latin characters); the exact name follows as RFC 6266 `filename*`."""
    plain = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in filename)
    value = f'{kind}; filename="{plain}"'
    if plain != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return value


def media_response(
    range_header: str | None,
    content: bytes,
    *,
    content_type: str,
    filename: str | None = None,
    disposition: str = "Inline",
) -> Response:
    """200 with the whole content, or 206 with the requested slice for a single byte range.

    A malformed or multi-range header is ignored (whole content, as servers may do); a range
    that starts past the end is 416 `CMN-107`.
    """
    size = len(content)
    headers = {"Accept-Ranges": "bytes"}
    if filename:
        kind = "attachment" if disposition.lower() == "attachment" else "inline"
        headers["Content-Disposition"] = content_disposition(kind, filename)
    match = _RANGE.match((range_header or "").strip())
    if not match or (not match.group(1) and not match.group(2)):
        return Response(content, 200, headers=headers, media_type=content_type)
    first, last = match.group(1), match.group(2)
    if first:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
        if start >= size or (last and int(last) < start):
            raise range_not_satisfiable(size)
    else:
        suffix = int(last)
        if suffix == 0:
            raise range_not_satisfiable(size)
        start, end = max(0, size - suffix), size - 1
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return Response(content[start : end + 1], 206, headers=headers, media_type=content_type)
