import io
import wave

import pytest

from sandbox.core.errors import ApiError
from sandbox.core.media import media_response, wav_audio, wav_duration


def test_wav_audio_is_a_real_wav_of_the_requested_length():
    content = wav_audio(12.5, seed=4)
    with wave.open(io.BytesIO(content)) as audio:
        assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) == (1, 2, 8000)
        assert audio.getnframes() == 100_000
    assert wav_duration(content) == 12.5


def test_different_seeds_give_different_audio():
    assert wav_audio(2, seed=1) != wav_audio(2, seed=2)


def test_whole_content_without_range():
    response = media_response(None, b"0123456789", content_type="audio/x-wav", filename="r.wav")
    assert response.status_code == 200
    assert response.body == b"0123456789"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-disposition"] == 'inline; filename="r.wav"'


@pytest.mark.parametrize(
    ("filename", "header"),
    [
        ('a"b\x00.txt', "attachment; filename=\"a_b_.txt\"; filename*=UTF-8''a%22b%00.txt"),
        (
            "résumé.pdf",
            "attachment; filename=\"r_sum_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf",
        ),
    ],
)
def test_a_filename_a_header_cannot_carry_is_replaced_and_sent_encoded(filename, header):
    response = media_response(
        None, b"x", content_type="text/plain", filename=filename, disposition="Attachment"
    )
    assert response.headers["content-disposition"] == header


@pytest.mark.parametrize(
    ("header", "body", "content_range"),
    [
        ("bytes=0-3", b"0123", "bytes 0-3/10"),
        ("bytes=7-", b"789", "bytes 7-9/10"),
        ("bytes=-2", b"89", "bytes 8-9/10"),
        ("bytes=5-100", b"56789", "bytes 5-9/10"),
    ],
)
def test_single_range_is_answered_with_206(header, body, content_range):
    response = media_response(header, b"0123456789", content_type="audio/x-wav")
    assert response.status_code == 206
    assert response.body == body
    assert response.headers["content-range"] == content_range


@pytest.mark.parametrize("header", ["bytes=10-", "bytes=4-2", "bytes=-0"])
def test_unsatisfiable_range_is_416_cmn_107(header):
    with pytest.raises(ApiError) as refused:
        media_response(header, b"0123456789", content_type="audio/x-wav")
    assert refused.value.status == 416
    assert refused.value.body() == {
        "errors": [{"errorCode": "CMN-107", "message": "Requested Range Not Satisfiable"}]
    }
    assert refused.value.headers == {"Content-Range": "bytes */10"}


def test_malformed_range_gives_the_whole_content():
    response = media_response("bytes=a-b", b"0123", content_type="audio/x-wav")
    assert (response.status_code, response.body) == (200, b"0123")
