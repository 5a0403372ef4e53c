"""``python -m quart_app [--host 127.0.0.1] [--port 8080]``: serve the app with Hypercorn."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import socket
import sys

from hypercorn.asyncio import serve
from hypercorn.config import Config as HypercornConfig
from hypercorn.utils import LifespanFailureError
from quart import Quart

from .app import create_app
from .auth import LOOPBACK_HOSTS
from .config import Config, ConfigError
from .storage.database import UnsafeDatabaseRole


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quart_app", description=__doc__)
    parser.add_argument(
        "--host",
        help="address to listen on (default QUART_APP_LISTEN_HOST, else 127.0.0.1); "
        "requests must name it, or a loopback name, as their Host",
    )
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    args = parser.parse_args(argv)
    try:
        config = Config.from_env()
    except (ConfigError, ValueError) as error:
        print(f"quart_app: configuration error: {error}", file=sys.stderr)
        return 2
    # The Host check (hosts.py) answers to the address listened on.
    config = config.model_copy(update={"listen_host": args.host or config.listen_host})
    host = config.listen_host
    logging.basicConfig(
        level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("asyncio").setLevel(logging.WARNING)
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    logging.getLogger("asyncpg.pool").addFilter(_one_line)
    # A start refused on purpose is said in one line below, not logged with a traceback.
    logging.getLogger("quart_app.app").addFilter(_not_refused)

    if config.api_token is None and host not in LOOPBACK_HOSTS:
        logging.getLogger("quart_app").warning(
            "listening on %s without QUART_APP_API_TOKEN: anyone who can reach this address "
            "can run queries on the database",
            host,
        )
    problem = _cannot_listen(host, args.port)
    if problem is not None:  # before anything starts: one line, not a traceback
        print(
            f"quart_app: cannot listen on {host}:{args.port} ({problem}); stop what uses it "
            "or choose another port with --port",
            file=sys.stderr,
        )
        return 2
    hypercorn = HypercornConfig()
    hypercorn.bind = [f"[{host}]:{args.port}" if ":" in host else f"{host}:{args.port}"]
    hypercorn.accesslog = None
    hypercorn.errorlog = logging.getLogger("hypercorn.error")  # log through our handler only
    hypercorn.graceful_timeout = 5
    # One WebSocket message may carry a STOMP frame of the largest size allowed (and over
    # SockJS, its JSON escaping); not Hypercorn's 16 MiB default, held per unread message.
    hypercorn.websocket_max_message_size = max(4 * 1024 * 1024, 2 * config.stomp_max_frame_bytes)
    app = create_app(config)
    try:
        asyncio.run(_serve(app, hypercorn))
    except LifespanFailureError:
        refused = app.extensions.get("startup_refused")
        if refused is None:
            raise
        print(f"quart_app: {refused}", file=sys.stderr)
        return 2
    return 0


def _cannot_listen(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on (in use, not an address of this machine), or
    None. Bound the way Hypercorn binds it, with SO_REUSEADDR, and closed again."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            return error.strerror or str(error)
    return None


def _one_line(record: logging.LogRecord) -> bool:
    """asyncpg logs each failed reconnect of a pool with a traceback: keep only its last line."""
    if record.exc_info and record.exc_info[1] is not None:
        error = record.exc_info[1]
        record.msg = f"{record.getMessage()} ({type(error).__name__}: {error})"
        record.args = ()
        record.exc_info = None
        record.exc_text = None
    return True


def _not_refused(record: logging.LogRecord) -> bool:
    return not (record.exc_info and isinstance(record.exc_info[1], UnsafeDatabaseRole))


async def _serve(app: Quart, hypercorn: HypercornConfig) -> None:
    stop = asyncio.Event()

    def shut_down() -> None:
        # Long-lived streams would hold the graceful shutdown open: end them now,
        # and their clients reconnect (elsewhere) with their last eventId.
        if (service := app.extensions.get("quart_app")) is not None:  # built once serving
            service.bus.end_all()
        stop.set()

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, shut_down)
    await serve(app, hypercorn, shutdown_trigger=stop.wait)


if __name__ == "__main__":
    sys.exit(main())
