"""Call Control API (CONTRACT §12, all Light / CallControl): read and drop telephony sessions, read,
update (mute) and drop parties, and the party actions. An action not allowed in the party's
state is 409; unknown or finished sessions and unknown parties are 404; controlling another
extension's leg is 403 (admins may). Every accepted action is recorded in the outbox.
"""

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.responses import Response

from sandbox.core.errors import ApiError, invalid_parameter, mandatory_parameter, not_found
from sandbox.core.routing import Ctx, Router, json_response
from sandbox.voice import render
from sandbox.voice.engine import CallEngine, CallError, Target
from sandbox.voice.models import CallSession, InvalidState, Party
from sandbox.voice.numbers import normalize
from sandbox.voice.routes.common import (
    bool_field,
    engine,
    json_object,
    sees_everyone,
    string_field,
)

router = Router()
SESSION = "/restapi/v1.0/account/{accountId}/telephony/sessions/{telephonySessionId}"
PARTY = SESSION + "/parties/{partyId}"
HOLD_PROTOCOLS = ("Auto", "RC", "BroadWorks", "DisconnectHolder", "BroadWorksOrDisconnectHolder")
REPLY_PATTERNS = (
    "WillCallYouBack",
    "CallMeBack",
    "OnMyWay",
    "OnTheOtherLine",
    "WillCallYouBackLater",
    "CallMeBackLater",
    "InAMeeting",
    "OnTheOtherLineNoCall",
)
TIMED_PATTERNS = ("WillCallYouBack", "CallMeBack")
TIME_UNITS = ("Minute", "Hour", "Day")
PATTERN_TEXT = {
    "WillCallYouBack": "Sorry, I can't talk right now. I will call you back in {time}.",
    "CallMeBack": "Sorry, I can't talk right now. Please call me back in {time}.",
    "OnMyWay": "I'm on my way.",
    "OnTheOtherLine": "I'm on the other line. Please hold.",
    "WillCallYouBackLater": "Sorry, I can't talk right now. I will call you back later.",
    "CallMeBackLater": "Sorry, I can't talk right now. Please call me back later.",
    "InAMeeting": "I'm in a meeting.",
    "OnTheOtherLineNoCall": "I'm on the other line.",
}


def invalid_state(error: InvalidState) -> ApiError:
    """409 for an action the party's state does not allow (the exact live code is UNVERIFIED)."""
    return ApiError(
        409,
        "TAS-101",
        f"Operation [{error.action}] is not allowed in the call party status [{error.party.code}]",
    )


def _session(ctx: Ctx) -> CallSession:
    ctx.account_id()
    session_id = ctx.params["telephonySessionId"]
    session = engine(ctx).live(session_id)
    if session is None:
        raise not_found("telephonySessionId", session_id)
    return session


def _party(ctx: Ctx, session: CallSession) -> Party:
    party = session.party(ctx.params["partyId"])
    if party is None:
        raise not_found("partyId", ctx.params["partyId"])
    return party


def _forbidden() -> ApiError:
    return ApiError(
        403,
        "CMN-408",
        "In order to call this API endpoint, user needs to have [CallControl] permission "
        "for requested resource.",
    )


def _may_see(ctx: Ctx, session: CallSession) -> None:
    if not (session.involves(ctx.me.id_str) or sees_everyone(ctx.me)):
        raise _forbidden()


def _may_control(ctx: Ctx, party: Party) -> None:
    """Users control their own legs, and the outside legs of calls they are on; admins all."""
    me = ctx.me
    if me.is_admin or party.extension_id == me.id_str:
        return
    if party.extension is None and party.session.involves(me.id_str):
        return
    raise _forbidden()


def _party_json(ctx: Ctx, party: Party) -> dict[str, Any]:
    return render.call_party(party, ctx.world.account.id_str)


def _record(ctx: Ctx, action: str, party: Party, body: dict[str, Any] | None = None) -> None:
    ctx.world.outbox.record(
        "call_control",
        extension_id=ctx.me.id_str,
        payload={
            "action": action,
            "telephonySessionId": party.session.id,
            "partyId": party.id,
            "body": body or {},
        },
    )


@router.api("GET", SESSION, group="Light")
async def read_session(ctx: Ctx) -> Response:
    session = _session(ctx)
    _may_see(ctx, session)
    return json_response(render.call_session(session, ctx.world.account.id_str))


@router.api("DELETE", SESSION, group="Light")
async def drop_session(ctx: Ctx) -> Response:
    session = _session(ctx)
    mine = next((p for p in session.live_parties() if p.extension_id == ctx.me.id_str), None)
    if mine is None and not ctx.me.is_admin:
        raise _forbidden()
    engine(ctx).drop(session, first=mine)
    ctx.world.outbox.record(
        "call_control",
        extension_id=ctx.me.id_str,
        payload={"action": "drop", "telephonySessionId": session.id, "partyId": None, "body": {}},
    )
    return Response(status_code=204)


@router.api("GET", PARTY, group="Light")
async def read_party(ctx: Ctx) -> Response:
    session = _session(ctx)
    _may_see(ctx, session)
    return json_response(_party_json(ctx, _party(ctx, session)))


@router.api("PATCH", PARTY, group="Light")
async def update_party(ctx: Ctx) -> Response:
    """Mute / stand-alone. Both body forms are accepted: `{"muted": true}` (docs, RC's own SDK)
    and `{"party": {"muted": true}}` (the current spec), CONTRACT §12."""
    session = _session(ctx)
    party = _party(ctx, session)
    _may_control(ctx, party)
    body = await json_object(ctx)
    fields, prefix = body, ""
    if "party" in body:
        if not isinstance(body["party"], dict):
            raise invalid_parameter("party", body["party"])
        fields, prefix = body["party"], "party."
    muted = bool_field(fields, "muted", path=prefix + "muted")
    stand_alone = bool_field(fields, "standAlone", path=prefix + "standAlone")
    if muted is None and stand_alone is None:
        raise mandatory_parameter(prefix + "muted")
    with _conflicts():
        engine(ctx).update(party, muted=muted, stand_alone=stand_alone)
    _record(ctx, "update", party, body)
    return json_response(_party_json(ctx, party))


@router.api("DELETE", PARTY, group="Light")
async def drop_party(ctx: Ctx) -> Response:
    session = _session(ctx)
    party = _party(ctx, session)
    _may_control(ctx, party)
    if not party.live:
        raise not_found("partyId", party.id)
    engine(ctx).leave(party)
    _record(ctx, "drop_party", party)
    return Response(status_code=204)


@contextlib.contextmanager
def _conflicts():
    """Turns the engine's refusals into API errors: InvalidState → 409, CallError → 400."""
    try:
        yield
    except InvalidState as error:
        raise invalid_state(error) from None
    except CallError as error:
        raise ApiError(400, "CMN-101", str(error)) from None


Action = Callable[[Ctx, CallEngine, Party, dict[str, Any]], Awaitable[Response]]


def party_action(name: str, *, body: bool = True, owner_only: bool = True):
    """Register `POST …/parties/{partyId}/<name>`: load and authorise, run, record it."""

    def register(fn: Action) -> Action:
        @router.api("POST", f"{PARTY}/{name}", group="Light")
        async def endpoint(ctx: Ctx) -> Response:
            session = _session(ctx)
            party = _party(ctx, session)
            if owner_only:
                _may_control(ctx, party)
            payload = await json_object(ctx) if body else {}
            with _conflicts():
                response = await fn(ctx, engine(ctx), party, payload)
            _record(ctx, name, party, payload)
            return response

        endpoint.__name__ = f"party_{name}"
        return fn

    return register


@party_action("answer")
async def answer(ctx: Ctx, voice: CallEngine, party: Party, body: dict[str, Any]) -> Response:
    string_field(body, "deviceId")
    voice.answer(party)
    return json_response(_party_json(ctx, party))


@party_action("reject", body=False)
async def reject(ctx: Ctx, voice: CallEngine, party: Party, body: dict[str, Any]) -> Response:
    voice.decline(party)
    return Response(status_code=204)


@party_action("ignore")
async def ignore(ctx: Ctx, voice: CallEngine, party: Party, body: dict[str, Any]) -> Response:
    string_field(body, "deviceId")
    # Only call-queue calls can be ignored by one agent; the sandbox has no queue calls, and the
    # spec declares no 409 here.
    raise ApiError(
        400,
        "CMN-101",
        "Parameter [partyId] value is invalid. Only a call queue call can be ignored.",
        parameter_name="partyId",
        parameter_value=party.id,
    )


@party_action("hold")
async def hold(ctx: Ctx, voice: CallEngine, party: Party, body: dict[str, Any]) -> Response:
    proto = body.get("proto")
    if proto is not None and proto not in HOLD_PROTOCOLS:
        raise invalid_parameter("proto", proto)
    voice.hold(party)
    return json_response(_party_json(ctx, party))


@party_action("unhold", body=False)
async def unhold(ctx: Ctx, voice: CallEngine, party: Party, body: dict[str, Any]) -> Response:
    voice.unhold(party)
    return json_response(_party_json(ctx, party))


def _only_one(body: dict[str, Any], allowed: tuple[str, ...]) -> tuple[str, str]:
    given = [k for k in allowed if body.get(k) is not None]
    if not given:
        raise mandatory_parameter(allowed[0])
    if len(given) > 1:
        raise invalid_parameter(given[1], body[given[1]])
    name = given[0]
    return name, string_field(body, name)


def _destination(ctx: Ctx, voice: CallEngine, name: str, value: str):
    """A transfer/forward target: (Target or None, voicemail Extension or None)."""
    if name == "phoneNumber":
        number = normalize(value.split("*")[0])
        if number is None or not number.startswith("+"):
            raise invalid_parameter(name, value)
        if "*" in value:  # "main number*extension", CONTRACT §12
            name, value = "extensionNumber", value.split("*", 1)[1]
        else:
            try:
                target = voice.resolve(number)
            except CallError:
                raise invalid_parameter(name, value) from None
            if target.kind == "ivr":
                raise invalid_parameter(name, value)
            return target, None
    if name == "extensionNumber":
        extensions = ctx.world.account.extensions.values()
        ext = next((e for e in extensions if e.extension_number == value), None)
    else:  # extensionId, voicemail: extension ids
        ext = ctx.world.account.extensions.get(value)
    if ext is None or not ext.is_user or ext.status != "Enabled":
        raise not_found(name, value)
    if name == "voicemail":
        return None, ext
    return Target("extension", ext.extension_number, ext), None


@party_action("forward")
async def forward(ctx: Ctx, voice: CallEngine, party: Party, body: dict[str, Any]) -> Response:
    name, value = _only_one(body, ("phoneNumber", "voicemail", "extensionNumber", "extensionId"))
    target, voicemail = _destination(ctx, voice, name, value)
    voice.forward(party, target, voicemail=voicemail)
    return json_response(render.narrowed(_party_json(ctx, party), render.FORWARD_PARTY_FIELDS))


@party_action("transfer")
async def transfer(ctx: Ctx, voice: CallEngine, party: Party, body: dict[str, Any]) -> Response:
    name, value = _only_one(
        body, ("phoneNumber", "voicemail", "extensionNumber", "parkOrbit", "extensionId")
    )
    if name == "parkOrbit":
        if party.code not in ("Answered", "Hold"):
            raise InvalidState(party, "transfer")
        try:
            voice.park(party, value)
        except CallError:
            raise not_found("parkOrbit", value) from None
    else:
        target, voicemail = _destination(ctx, voice, name, value)
        voice.transfer(party, target, voicemail=voicemail)
    return json_response(_party_json(ctx, party))


@party_action("reply")
async def reply(ctx: Ctx, voice: CallEngine, party: Party, body: dict[str, Any]) -> Response:
    if "replyWithText" in body:
        text = string_field(body, "replyWithText")
    elif "replyWithPattern" in body:
        pattern = body["replyWithPattern"]
        if not isinstance(pattern, dict):
            raise invalid_parameter("replyWithPattern", pattern)
        name = string_field(pattern, "pattern", path="replyWithPattern.pattern")
        if name not in REPLY_PATTERNS:
            raise invalid_parameter("replyWithPattern.pattern", name)
        text = PATTERN_TEXT[name]
        if name in TIMED_PATTERNS:
            amount = pattern.get("time")
            if amount is None:
                raise mandatory_parameter("replyWithPattern.time")
            if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
                raise invalid_parameter("replyWithPattern.time", amount)
            unit = string_field(pattern, "timeUnit", path="replyWithPattern.timeUnit")
            if unit not in TIME_UNITS:
                raise invalid_parameter("replyWithPattern.timeUnit", unit)
            text = text.format(time=f"{amount} {unit.lower()}{'s' if amount != 1 else ''}")
    else:
        raise mandatory_parameter("replyWithText")
    voice.reply(party, text)
    ctx.world.outbox.record(
        "call_reply",
        extension_id=ctx.me.id_str,
        payload={"telephonySessionId": party.session.id, "partyId": party.id, "text": text},
    )
    return json_response(render.narrowed(_party_json(ctx, party), render.REPLY_PARTY_FIELDS))


@party_action("park", body=False)
async def park(ctx: Ctx, voice: CallEngine, party: Party, body: dict[str, Any]) -> Response:
    voice.park(party)
    return json_response(_party_json(ctx, party), status=201)


@party_action("pickup", owner_only=False)
async def pickup(ctx: Ctx, voice: CallEngine, party: Party, body: dict[str, Any]) -> Response:
    device_id = string_field(body, "deviceId")
    leg = voice.pickup(party, ctx.me, device_id)
    return json_response(_party_json(ctx, leg), status=201)


@party_action("flip")
async def flip(ctx: Ctx, voice: CallEngine, party: Party, body: dict[str, Any]) -> Response:
    flip_id = string_field(body, "callFlipId")
    try:
        voice.flip(party, flip_id)
    except CallError:
        raise invalid_parameter("callFlipId", flip_id) from None
    return Response(status_code=200)


@party_action("bridge")
async def bridge(ctx: Ctx, voice: CallEngine, party: Party, body: dict[str, Any]) -> Response:
    other_session_id = string_field(body, "telephonySessionId")
    other_party_id = string_field(body, "partyId")
    other_session = voice.live(other_session_id)
    if other_session is None:
        raise not_found("telephonySessionId", other_session_id)
    other = other_session.party(other_party_id)
    if other is None:
        raise not_found("partyId", other_party_id)
    _may_control(ctx, other)
    try:
        voice.bridge(party, other)
    except CallError as error:
        raise ApiError(400, "CMN-101", str(error), parameter_name="partyId") from None
    return json_response(_party_json(ctx, party))


@party_action("recordings", body=False)
async def start_recording(
    ctx: Ctx, voice: CallEngine, party: Party, body: dict[str, Any]
) -> Response:
    recording = voice.start_recording(party)
    return json_response({"id": recording.id, "active": recording.active}, status=201)


@router.api("PATCH", PARTY + "/recordings/{recordingId}", group="Light")
async def pause_resume_recording(ctx: Ctx) -> Response:
    session = _session(ctx)
    party = _party(ctx, session)
    _may_control(ctx, party)
    recording = next((r for r in party.recordings if r.id == ctx.params["recordingId"]), None)
    if recording is None:
        raise not_found("recordingId", ctx.params["recordingId"])
    body = await json_object(ctx)
    active = bool_field(body, "active")
    if active is None:
        raise mandatory_parameter("active")
    with _conflicts():
        engine(ctx).set_recording(recording, active=active)
    _record(ctx, "recording", party, body)
    return json_response({"id": recording.id, "active": recording.active})


@router.api("POST", "/restapi/v1.0/account/{accountId}/telephony/call-out", group="Heavy")
async def call_out(ctx: Ctx) -> Response:
    """CallOut: the user's device calls `to` (origin `CallOut`); 201 with the new session."""
    ctx.account_id()
    body = await json_object(ctx)
    source = body.get("from")
    if not isinstance(source, dict):
        raise mandatory_parameter("from.deviceId")
    device_id = string_field(source, "deviceId", path="from.deviceId")
    dest = body.get("to")
    if not isinstance(dest, dict):
        raise mandatory_parameter("to.phoneNumber")
    name, value = _only_one(dest, ("phoneNumber", "extensionNumber"))
    voice = engine(ctx)
    try:
        session = voice.start_call(
            caller=ctx.me.id_str, callee=value, origin="CallOut", device_id=device_id
        )
    except CallError:
        raise invalid_parameter(f"to.{name}", value) from None
    ctx.world.outbox.record(
        "call_out",
        extension_id=ctx.me.id_str,
        payload={"telephonySessionId": session.id, "from": source, "to": dest},
    )
    body_out = {"session": render.call_session(session, ctx.world.account.id_str)}
    return json_response(body_out, status=201)
