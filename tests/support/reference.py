"""The RingCentral reference files kept in the repository (`tests/data/ringcentral/`, see its
README for where each comes from): the official spec and the recorded event streams."""

import json
from pathlib import Path
from typing import Any

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "ringcentral"


def reference_file(*parts: str) -> Path:
    """`tests/data/ringcentral/<parts>`."""
    return REFERENCE.joinpath(*parts)


def recorded_stream(name: str) -> list[dict[str, Any]]:
    """A recorded telephony-session stream, e.g. `RingCentral-PSTN`
    (`events/recorded/telephony_events__<name>.json`)."""
    path = reference_file("events", "recorded", f"telephony_events__{name}.json")
    return json.loads(path.read_text())
