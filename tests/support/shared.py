"""The RingCentral reference files beside the worktree (`../shared`, CONTRACT §0): the spec and
the recorded event streams tests compare against. A missing folder fails with a clear message
instead of a bare FileNotFoundError deep in a test."""

import json
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("CALLBOARD_SHARED", ROOT.parent / "shared"))


class MissingSharedFile(FileNotFoundError):
    pass


def shared_file(*parts: str) -> Path:
    """`../shared/<parts>`, or MissingSharedFile saying where it was looked for."""
    path = SHARED.joinpath(*parts)
    if not path.is_file():
        raise MissingSharedFile(
            f"{path} is missing: tests read the RingCentral reference files from ../shared "
            "(the folder beside the worktree); set CALLBOARD_SHARED to where they are"
        )
    return path


def recorded_stream(name: str) -> list[dict[str, Any]]:
    """A recorded telephony-session stream, e.g. `RingCentral-PSTN`
    (`events/recorded/telephony_events__<name>.json`)."""
    path = shared_file("ringcentral", "events", "recorded", f"telephony_events__{name}.json")
    return json.loads(path.read_text())
