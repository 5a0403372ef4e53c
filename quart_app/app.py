"""``create_app(config) -> Quart``: blueprints, error handlers and the service's lifespan."""

from __future__ import annotations

import logging
from typing import Any

import quart
from pydantic import BaseModel
from quart import Quart, request
from quart_cors import cors
from quart_schema import QuartSchema, document_response
from werkzeug.exceptions import HTTPException

from .auth import check_origin, check_token, cors_origins, presented_token
from .blueprints import api, dashboard
from .config import Config
from .errors import APIError, Busy, ForbiddenHost, ForbiddenOrigin, Unauthorized
from .hosts import AllowedHosts, check_host, listens_everywhere, machine_names
from .runtime import Service
from .storage.database import UnsafeDatabaseRole
from .transports import sse, websocket

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "invalid_request",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "invalid_request",
}


class Health(BaseModel):
    status: str


_SWAGGER = "/static/vendor/swagger-ui-5.35.0"


def create_app(config: Config | None = None) -> Quart:
    """The application; ``config`` defaults to ``Config.from_env()``."""
    config = config or Config.from_env()
    app = Quart(__name__)
    app.request_class = api.JSONBodyRequest
    app.asgi_websocket_class = websocket.BoundedWebsocketConnection
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    app.json.sort_keys = False  # type: ignore[attr-defined]
    origins = cors_origins(config.cors_origins)
    hosts = AllowedHosts.build(
        config.allowed_hosts,
        config.listen_host,
        machine_names() if listens_everywhere(config.listen_host) else (),
    )
    cors(
        app,
        allow_origin=origins,
        allow_headers=["Content-Type", "Prefer", "Last-Event-ID", "Authorization"],
        allow_methods=["GET", "POST", "OPTIONS"],
        expose_headers=["Location"],
        max_age=600,
    )
    _document(app)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(dashboard.blueprint)
    app.register_blueprint(sse.blueprint)
    app.register_blueprint(websocket.blueprint)
    app.register_blueprint(websocket.sockjs(config))

    @app.get("/health")
    @document_response(Health, 200)
    async def health() -> dict[str, str]:
        """Liveness: answers while the process serves. Never needs a token."""
        return {"status": "ok"}

    @app.before_request
    async def authorize() -> None:
        check_host(request.headers.get("Host"), hosts)  # every request, /health too
        if request.method == "OPTIONS":  # CORS preflights carry no credentials
            return
        check_origin(request.headers.get("Origin"), request.host, origins)
        token = presented_token(
            request.headers.get("Authorization"), request.args.get("access_token")
        )
        check_token(config.api_token, request.path, token)

    @app.before_websocket
    async def authorize_websocket() -> None:
        # A token missing from the handshake may still come in STOMP's CONNECT (passcode).
        handshake = quart.websocket
        check_host(handshake.headers.get("Host"), hosts)
        check_origin(handshake.headers.get("Origin"), handshake.host, origins)

    app.register_error_handler(APIError, api_error)
    app.register_error_handler(HTTPException, http_error)
    _serve_the_service(app, config)
    return app


def _document(app: Quart) -> None:
    """``/openapi.json`` and ``/docs``. The docs' UI comes from the package itself
    (swagger-ui-dist 5.35.0 from npm, vendored byte for byte with its licence), so /docs
    works with no internet."""
    app.config["QUART_SCHEMA_SWAGGER_JS_URL"] = f"{_SWAGGER}/swagger-ui-bundle.js"
    app.config["QUART_SCHEMA_SWAGGER_CSS_URL"] = f"{_SWAGGER}/swagger-ui.css"
    QuartSchema(
        app,
        info={"title": "quart_app", "version": "0.1.0"},
        redoc_ui_path=None,
        scalar_ui_path=None,
    )


async def api_error(error: APIError) -> Any:
    headers = {}
    if isinstance(error, Unauthorized | ForbiddenOrigin | ForbiddenHost):
        # Refused before the body was read, the connection cannot carry another request:
        # say so, or a client that reuses it gets a reset instead of its next answer.
        headers["Connection"] = "close"
    if isinstance(error, Unauthorized):
        headers["WWW-Authenticate"] = 'Bearer realm="quart_app"'
    if isinstance(error, Busy):
        headers["Retry-After"] = str(error.retry_after)
    return error.to_body(), error.status, headers


async def http_error(error: HTTPException) -> Any:
    status = error.code or 500
    code = _HTTP_CODES.get(status, "internal" if status >= 500 else "invalid_request")
    return {"error": {"code": code, "message": error.description or error.name}}, status


def _serve_the_service(app: Quart, config: Config) -> None:
    """The lifespan: the service is built as serving begins, and closed after it ends."""

    @app.before_serving
    async def start() -> None:
        try:
            app.extensions["quart_app"] = await Service.build(config)
        except UnsafeDatabaseRole as error:
            app.extensions["startup_refused"] = str(error)  # said in one line by __main__
            raise

    @app.after_serving
    async def stop() -> None:
        service: Service = app.extensions["quart_app"]
        await service.close()
