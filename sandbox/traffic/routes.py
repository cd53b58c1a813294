"""`/sandbox/v1/traffic`: start, stop and watch the traffic generator (sandbox/README.md)."""

from starlette.responses import Response

from sandbox.control.routes import ControlError, read_body
from sandbox.core.routing import Ctx, Router, json_response
from sandbox.traffic.settings import TrafficError, parse_settings

router = Router()


def _generator(ctx: Ctx):
    return ctx.world.modules["traffic"]


@router.control("GET", "/sandbox/v1/traffic")
async def traffic_status(ctx: Ctx) -> Response:
    return json_response(_generator(ctx).status())


@router.control("POST", "/sandbox/v1/traffic")
async def traffic_control(ctx: Ctx) -> Response:
    """`{"action": "start", ...settings}` (409 while running) or `{"action": "stop"}`
    (hangs up the generated calls still going); answers the status."""
    body = await read_body(ctx)
    generator = _generator(ctx)
    action = body.get("action")
    if action == "stop":
        if set(body) != {"action"}:
            raise ControlError(400, "stop takes no other fields")
        hung_up = generator.stop()
        return json_response({**generator.status(), "calls_hung_up": hung_up})
    if action != "start":
        raise ControlError(400, 'action must be "start" or "stop"')
    try:
        settings = parse_settings(body)
    except TrafficError as error:
        raise ControlError(400, str(error)) from None
    if generator.running:
        raise ControlError(409, "traffic is already running; stop it first")
    try:
        generator.start(settings)
    except TrafficError as error:
        raise ControlError(400, str(error)) from None
    return json_response(generator.status(), status=201)
