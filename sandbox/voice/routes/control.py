"""Control API for calls (`/sandbox/v1/calls`): start a call, drive it (answer, hold, unhold,
hang up, voicemail, record, decline), and look at live or recently finished calls. Documented
with examples in sandbox/README.md."""

from typing import Any

from starlette.responses import Response

from sandbox.control.routes import ControlError, number_field, read_body
from sandbox.core.clock import iso
from sandbox.core.routing import Ctx, Router, json_response
from sandbox.messages.api import MAX_VOICEMAIL_S
from sandbox.voice.engine import CallEngine, CallError
from sandbox.voice.models import CONNECTED, CallSession, InvalidState, Party
from sandbox.voice.routes.common import engine

router = Router()
MAX_WAIT_S = 86400  # how long a phone may ring or an IVR wait
START_FIELDS = {
    "from": str,
    "to": str,
    "from_name": str,
    "ring_s": float,
    "voicemail_s": float,
    "transcription": str,
    "ivr_choice": str,
    "ivr_s": float,
    "record": bool,
    "device_id": str,
}


def party_view(party: Party) -> dict[str, Any]:
    own = party.to if party.direction == "Inbound" else party.from_
    return {
        "id": party.id,
        "role": party.role,
        "direction": party.direction,
        "status": party.code,
        "reason": party.reason,
        "extensionId": party.extension_id,
        "extensionNumber": party.extension.extension_number if party.extension else None,
        "phoneNumber": own.phone_number,
        "missedCall": party.missed_call,
        "muted": party.muted,
        "parkId": party.park_id,
        "recordings": [{"id": r.id, "active": r.active, "mode": r.mode} for r in party.recordings],
    }


def caller_of(session: CallSession) -> Party:
    return session.parties[0]


def callee_of(session: CallSession) -> Party | None:
    """The current far end of the call: the newest leg that is not the caller or the IVR."""
    others = [p for p in session.parties[1:] if p.role != "ivr"]
    live = [p for p in others if p.live]
    return (live or others or [None])[-1]


def call_view(session: CallSession) -> dict[str, Any]:
    callee = callee_of(session)
    return {
        "telephonySessionId": session.id,
        "sessionId": session.session_id,
        "origin": session.origin,
        "status": "live" if session.live else "ended",
        "creationTime": iso(session.created_at),
        "endTime": iso(session.ended_at) if session.ended_at is not None else None,
        "callerPartyId": caller_of(session).id,
        "calleePartyId": callee.id if callee is not None else None,
        "ringoutId": session.ringout.id if session.ringout is not None else None,
        "callLogIds": dict(session.call_log_ids),
        "parties": [party_view(p) for p in session.parties],
    }


def _start_options(body: dict[str, Any]) -> dict[str, Any]:
    unknown = set(body) - set(START_FIELDS)
    if unknown:
        raise ControlError(400, f"unknown field(s): {', '.join(sorted(unknown))}")
    for name in ("from", "to"):
        if not isinstance(body.get(name), str) or not body[name].strip():
            raise ControlError(400, f"{name} is required: an extension number or a phone number")
    for name, kind in START_FIELDS.items():
        value = body.get(name)
        if value is None:
            continue
        if kind is float:
            _seconds(body, name)
        elif not isinstance(value, kind):
            raise ControlError(400, f"{name} must be a {kind.__name__}")
    if body.get("ring_s") == 0:
        raise ControlError(400, "ring_s must be more than 0")
    return {
        "caller": body["from"],
        "callee": body["to"],
        "caller_name": body.get("from_name"),
        "ring_timeout": body.get("ring_s"),
        "voicemail_duration": body.get("voicemail_s"),
        "voicemail_transcription": body.get("transcription"),
        "ivr_choice": body.get("ivr_choice"),
        "ivr_delay": body.get("ivr_s"),
        "record": bool(body.get("record")),
        "device_id": body.get("device_id"),
    }


@router.control("POST", "/sandbox/v1/calls")
async def start_call(ctx: Ctx) -> Response:
    options = _start_options(await read_body(ctx))
    try:
        session = engine(ctx).start_call(**options)
    except CallError as error:
        raise ControlError(400, str(error)) from None
    return json_response(call_view(session), status=201)


@router.control("GET", "/sandbox/v1/calls")
async def list_calls(ctx: Ctx) -> Response:
    voice = engine(ctx)
    sessions = list(voice.sessions.values())
    if ctx.query.get("all") == "true":
        sessions = list(voice.ended.values()) + sessions
    return json_response({"count": len(sessions), "records": [call_view(s) for s in sessions]})


def _session(voice: CallEngine, telephony_session_id: str) -> CallSession:
    session = voice.find(telephony_session_id)
    if session is None:
        raise ControlError(404, f"no call {telephony_session_id}")
    return session


@router.control("GET", "/sandbox/v1/calls/{telephonySessionId}")
async def read_call(ctx: Ctx) -> Response:
    return json_response(call_view(_session(engine(ctx), ctx.params["telephonySessionId"])))


def _pick(session: CallSession, body: dict[str, Any], default) -> Party:
    """The party an action applies to: `party_id`, `side` (caller|callee), or the default."""
    if body.get("party_id") is not None:
        party = session.party(str(body["party_id"]))
        if party is None:
            raise ControlError(404, f"no party {body['party_id']} in {session.id}")
        return party
    side = body.get("side")
    if side is not None:
        if side not in ("caller", "callee"):
            raise ControlError(400, "side is caller or callee")
        party = caller_of(session) if side == "caller" else callee_of(session)
        if party is None:
            raise ControlError(409, "the call has no callee yet")
        return party
    party = default(session)
    if party is None:
        raise ControlError(409, "no party of the call can do that now")
    return party


def _ringing(session: CallSession) -> Party | None:
    return next((p for p in session.parties if p.ringing and p.direction == "Inbound"), None)


def _agent(codes: tuple[str, ...]):
    """The account's user on the call (the first user leg in one of `codes`)."""

    def pick(session: CallSession) -> Party | None:
        return next((p for p in session.parties if p.is_user and p.code in codes), None)

    return pick


def _first_live(session: CallSession) -> Party | None:
    caller = caller_of(session)
    return caller if caller.live else next(iter(session.live_parties()), None)


def _seconds(body: dict[str, Any], name: str) -> float | None:
    high = MAX_VOICEMAIL_S if name.startswith("voicemail") or name == "duration_s" else MAX_WAIT_S
    value = number_field(body, name, low=0, high=high)
    return None if value is None else float(value)


def _answer(voice: CallEngine, session: CallSession, body: dict[str, Any]) -> None:
    voice.answer(_pick(session, body, _ringing))


def _hold(voice: CallEngine, session: CallSession, body: dict[str, Any]) -> None:
    voice.hold(_pick(session, body, _agent(("Answered",))))


def _unhold(voice: CallEngine, session: CallSession, body: dict[str, Any]) -> None:
    voice.unhold(_pick(session, body, _agent(("Hold",))))


def _hangup(voice: CallEngine, session: CallSession, body: dict[str, Any]) -> None:
    voice.hangup(_pick(session, body, _first_live))


def _decline(voice: CallEngine, session: CallSession, body: dict[str, Any]) -> None:
    voice.decline(_pick(session, body, _ringing))


def _voicemail(voice: CallEngine, session: CallSession, body: dict[str, Any]) -> None:
    party = _pick(
        session, body, lambda s: next((p for p in s.parties if p.ringing and p.is_user), None)
    )
    voice.to_voicemail(party, duration=_seconds(body, "duration_s"))


def _record(voice: CallEngine, session: CallSession, body: dict[str, Any]) -> None:
    mode = body.get("mode", "OnDemand")
    if mode not in ("OnDemand", "Automatic"):
        raise ControlError(400, "mode is OnDemand or Automatic")
    voice.start_recording(_pick(session, body, _agent(CONNECTED)), mode=mode)


ACTIONS = {
    "answer": _answer,
    "hold": _hold,
    "unhold": _unhold,
    "hangup": _hangup,
    "decline": _decline,
    "voicemail": _voicemail,
    "record": _record,
}


@router.control("POST", "/sandbox/v1/calls/{telephonySessionId}/{action}")
async def drive_call(ctx: Ctx) -> Response:
    action = ACTIONS.get(ctx.params["action"])
    if action is None:
        raise ControlError(404, f"unknown action; one of {', '.join(ACTIONS)}")
    body = await read_body(ctx)
    voice = engine(ctx)
    session = _session(voice, ctx.params["telephonySessionId"])
    if not session.live:
        raise ControlError(409, f"call {session.id} has ended")
    try:
        action(voice, session, body)
    except InvalidState as error:
        raise ControlError(409, str(error)) from None
    except CallError as error:
        raise ControlError(400, str(error)) from None
    return json_response(call_view(session))
