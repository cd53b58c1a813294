"""RingOut (CONTRACT §9): a two-legged call the platform places for a user. It rings the user's own
phone (`from`) first; when that leg answers it rings the callee (`to`); when both answered they
are connected. The statuses are read from the telephony session that carries the legs.

Status meanings (RingOut guide): `InProgress` → `Success` → `Finished` per leg; `NoAnswer` (timed
out), `Busy`, `Rejected` (cancelled by the user, or the first leg dropped while the second
rang). `callStatus` is `InProgress` while being set up, `Success` once both legs connected,
`CannotReach` when it never connected.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.account.models import Extension
    from sandbox.voice.models import CallSession, Party


@dataclass(eq=False)
class RingOut:
    id: str
    extension: "Extension"
    from_number: str
    to_number: str
    caller_id: str | None
    play_prompt: bool
    session: "CallSession"
    cancelled: bool = False

    def _leg(self, role: str) -> "Party | None":
        return next((p for p in self.session.parties if p.role == role), None)

    @property
    def caller(self) -> "Party":
        party = self._leg("ringout-caller")
        assert party is not None
        return party

    @property
    def callee(self) -> "Party | None":
        return self._leg("ringout-callee")

    @property
    def cancellable(self) -> bool:
        """DELETE ends the RingOut only until its first leg connects (RingOut guide)."""
        return self.session.live and self.caller.answered_at is None

    def _leg_status(self, party: "Party | None") -> str:
        if party is None:
            return "InProgress" if self.session.live else "Rejected"
        if party.ringing:
            return "InProgress"
        if party.answered_at is not None or party.voicemail_at is not None:
            return "Success" if party.live else "Finished"
        if party.timed_out:
            return "NoAnswer"
        if party.busy:
            return "Busy"
        return "Rejected"

    def status(self) -> dict[str, str]:
        caller = self._leg_status(self.caller)
        callee = self._leg_status(self.callee)
        if self.session.connected_at is not None:
            call = "Success"
        elif self.session.live:
            call = "InProgress"
        else:
            call = "CannotReach"
        return {"callStatus": call, "callerStatus": caller, "calleeStatus": callee}

    def as_json(self, uri: str) -> dict[str, Any]:
        """`GetRingOutStatusResponse`."""
        return {"id": self.id, "uri": uri, "status": self.status()}
