"""``create_app(config) -> Quart``: blueprints, error handlers and the service's lifespan."""

from __future__ import annotations

import logging
import re
from typing import Any

from quart import Quart
from quart_cors import cors
from quart_schema import QuartSchema
from werkzeug.exceptions import HTTPException

from .blueprints import api, dashboard
from .config import Config
from .errors import APIError
from .service import Service
from .transports import sse, websocket

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "invalid_request",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "invalid_request",
}


def cors_origins(setting: str) -> list[str | re.Pattern[str]]:
    """``QUART_APP_CORS_ORIGINS`` as quart-cors wants it: ``*`` in an origin matches any port."""
    origins: list[str | re.Pattern[str]] = []
    for origin in (part.strip() for part in setting.split(",")):
        if origin == "*" or (origin and "*" not in origin):
            origins.append(origin)
        elif origin:
            origins.append(re.compile(re.escape(origin).replace(r"\*", r"\d+") + "$"))
    return origins


def create_app(config: Config | None = None) -> Quart:
    """The application; ``config`` defaults to ``Config.from_env()``."""
    config = config or Config.from_env()
    app = Quart(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    app.json.sort_keys = False  # type: ignore[attr-defined]
    cors(
        app,
        allow_origin=cors_origins(config.cors_origins),
        allow_headers=["Content-Type", "Prefer", "Last-Event-ID", "Authorization"],
        allow_methods=["GET", "POST", "OPTIONS"],
        expose_headers=["Location"],
        max_age=600,
    )
    QuartSchema(
        app,
        info={"title": "quart_app", "version": "0.1.0"},
        redoc_ui_path=None,
        scalar_ui_path=None,
    )
    service = Service.create(config)
    app.extensions["quart_app"] = service

    app.register_blueprint(api.blueprint)
    app.register_blueprint(dashboard.blueprint)
    app.register_blueprint(sse.blueprint)
    app.register_blueprint(websocket.blueprint)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.errorhandler(APIError)
    async def api_error(error: APIError) -> Any:
        return error.to_body(), error.status

    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException) -> Any:
        status = error.code or 500
        code = _HTTP_CODES.get(status, "internal" if status >= 500 else "invalid_request")
        return {"error": {"code": code, "message": error.description or error.name}}, status

    @app.before_serving
    async def start() -> None:
        await service.startup()

    @app.after_serving
    async def stop() -> None:
        await service.shutdown()

    return app
