"""Stored call recordings (CONTRACT §11): metadata and audio content.

A recording is kept when its call ends, if it lasted at least `min_recording_duration` seconds
("RingCentral does not retain recordings shorter than 30 seconds"); shorter ones only leave
`shortRecording: true` in the call log. The audio is a real WAV of the recording's length,
generated on demand (the same id always gives the same bytes).
"""

import functools
from dataclasses import dataclass

from sandbox.core.media import wav_audio

CONTENT_TYPE = "audio/wav"


@dataclass(frozen=True)
class StoredRecording:
    id: str
    mode: str  # Automatic | OnDemand
    duration: int  # whole seconds
    extension_ids: frozenset[str]  # whose call log shows it
    telephony_session_id: str
    created_at: float

    @property
    def seed(self) -> int:
        return int(self.id) % 1_000_003

    def content(self) -> bytes:
        return _audio(self.duration, self.seed)


@functools.lru_cache(maxsize=16)
def _audio(duration: int, seed: int) -> bytes:
    return wav_audio(duration, seed=seed)


class RecordingStore:
    def __init__(self) -> None:
        self._by_id: dict[str, StoredRecording] = {}

    def add(
        self,
        *,
        recording_id: str,
        mode: str,
        seconds: float,
        extension_ids: set[str],
        telephony_session_id: str,
        now: float,
    ) -> StoredRecording:
        stored = StoredRecording(
            id=recording_id,
            mode=mode,
            duration=max(1, round(seconds)),
            extension_ids=frozenset(extension_ids),
            telephony_session_id=telephony_session_id,
            created_at=now,
        )
        self._by_id[recording_id] = stored
        return stored

    def get(self, recording_id: str) -> StoredRecording | None:
        return self._by_id.get(recording_id)

    def __len__(self) -> int:
        return len(self._by_id)
