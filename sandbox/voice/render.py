"""JSON shapes of calls: the telephony event body (shaped like the recorded streams) and the
Call Control API's `CallParty`, `CallSessionObject`, `ReplyParty` and `ForwardCallPartyResponse`.
"""

from typing import Any

from sandbox.core.clock import iso
from sandbox.voice.models import CallSession, Party

# Fields of `CallParty` that the narrower response schemas keep.
REPLY_PARTY_FIELDS = ("id", "status", "muted", "standAlone", "park", "from", "to", "owner")
FORWARD_PARTY_FIELDS = (*REPLY_PARTY_FIELDS, "direction", "ringOutRole", "recordings")


def status_info(party: Party, *, event: bool) -> dict[str, Any]:
    status: dict[str, Any] = {"code": party.code}
    if party.reason:
        status["reason"] = party.reason
    if party.peer:
        status["peerId"] = dict(party.peer)
    if party.park_id and party.code == "Parked":
        status["parkData"] = party.park_id
    if event and party.mobile_pickup and party.code in ("Proceeding", "Answered"):
        # Real streams carry it (with `srvLvl`, which the spec spells `srvlvl`).
        status["mobilePickupData"] = dict(party.mobile_pickup)
    status["rcc"] = False
    return status


def _recordings(party: Party) -> list[dict[str, Any]]:
    return [{"id": r.id, "active": r.active} for r in party.recordings]


def event_party(party: Party, account_id: str) -> dict[str, Any]:
    """`TelephonySessionsEventPartyInfo`, keys in the order of the recorded streams."""
    out: dict[str, Any] = {"accountId": account_id}
    if party.extension is not None:
        out["extensionId"] = party.extension.id_str
    out["id"] = party.id
    out["direction"] = party.direction
    out["to"] = party.to.as_dict()
    out["from"] = party.from_.as_dict()
    out["status"] = status_info(party, event=True)
    out["park"] = {"id": party.park_id} if party.park_id else {}
    if party.recordings:
        out["recordings"] = _recordings(party)
    out["missedCall"] = party.missed_call
    out["standAlone"] = party.stand_alone
    out["muted"] = party.muted
    return out


def event_body(session: CallSession, party: Party, account_id: str, now: float) -> dict[str, Any]:
    """`TelephonySessionsEventBody` for one party's change (only the changed party)."""
    return {
        "sequence": session.sequence,
        "sessionId": session.session_id,
        "telephonySessionId": session.id,
        "serverId": session.server_id,
        "eventTime": iso(now),
        "parties": [event_party(party, account_id)],
        "origin": {"type": session.origin},
    }


def call_party(party: Party, account_id: str) -> dict[str, Any]:
    """`CallParty` as the Call Control API answers it."""
    out: dict[str, Any] = {"id": party.id, "accountId": account_id}
    if party.extension is not None:
        out["extensionId"] = party.extension.id_str
    out["direction"] = party.direction
    out["from"] = party.from_.as_dict()
    out["to"] = party.to.as_dict()
    out["status"] = status_info(party, event=False)
    out["muted"] = party.muted
    out["standAlone"] = party.stand_alone
    if party.park_id:
        out["park"] = {"id": party.park_id}
    if party.extension is not None:
        out["owner"] = {"accountId": account_id, "extensionId": party.extension.id_str}
    if party.ring_out_role:
        out["ringOutRole"] = party.ring_out_role
    if party.recordings:
        out["recordings"] = _recordings(party)
    return out


def narrowed(party_json: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in party_json.items() if k in fields}


def call_session(session: CallSession, account_id: str) -> dict[str, Any]:
    """`CallSessionObject`."""
    return {
        "id": session.id,
        "origin": {"type": session.origin},
        "parties": [call_party(p, account_id) for p in session.parties],
        "creationTime": iso(session.created_at),
    }
