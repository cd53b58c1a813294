"""The ASGI application: every module's routes, wrapped in the request pipeline."""

import contextlib

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.routing import Route as StarletteRoute

from sandbox.config import Config
from sandbox.core.errors import ApiError
from sandbox.core.routing import Ctx, Route, build_endpoint, run_api
from sandbox.platform import Platform

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def create_app(config: Config) -> Starlette:
    platform = Platform(config)
    routes = [
        StarletteRoute(r.path, build_endpoint(r, platform), methods=[r.method])
        for r in platform.routes()
    ]

    async def unmatched(ctx: Ctx) -> Response:
        scope = ctx.request.scope
        if any(r.matches(scope)[0] == Match.PARTIAL for r in routes):
            raise ApiError(405, "CMN-202", "Operation is not supported")
        raise ApiError(404, "CMN-120", "Invalid URI")

    fallback = Route("*", "/{path:path}", unmatched, "api")

    async def fallback_endpoint(request: Request) -> Response:
        return await run_api(fallback, platform, request)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        await platform.startup()
        try:
            yield
        finally:
            await platform.shutdown()

    app = Starlette(
        routes=[*routes, StarletteRoute("/{path:path}", fallback_endpoint, methods=ALL_METHODS)],
        lifespan=lifespan,
    )
    app.state.platform = platform
    return app
