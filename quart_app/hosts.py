"""Which ``Host`` names the service answers to: the guard against DNS rebinding.

A page whose name is rebound to 127.0.0.1 passes the Origin check as same-origin;
only its ``Host`` still names it. So a request is served only for loopback names, the
listening address, ``QUART_APP_ALLOWED_HOSTS``, or (on a wildcard address) IP addresses
and this machine's names; a request without Host comes from no browser.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from .errors import ForbiddenHost

LOOPBACK_NAMES: Final = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_ADDRESSES: Final = frozenset({"0.0.0.0", "::"})
# What a host name may hold (IDNs arrive as punycode); anything else is no name of ours.
_NAME: Final = re.compile(r"[a-z0-9_.-]+")


@dataclass(frozen=True, slots=True)
class AllowedHosts:
    """The names and kinds of ``Host`` a request may carry."""

    names: frozenset[str]
    suffixes: tuple[str, ...] = (".localhost",)  # "*.localhost": never leaves the machine
    any_address: bool = False
    anything: bool = False

    @classmethod
    def build(
        cls, setting: str, listen_host: str, machine_names: Iterable[str] = ()
    ) -> AllowedHosts:
        """From ``QUART_APP_ALLOWED_HOSTS``, the listening address and, when that is a
        wildcard, this machine's names (``machine_names()``)."""
        names = set(LOOPBACK_NAMES)
        suffixes = [".localhost"]
        anything = False
        for entry in (part.strip().lower() for part in setting.split(",")):
            if entry == "*":
                anything = True
            elif entry.startswith("*."):
                suffixes.append(entry[1:])
            elif entry and (name := host_name(entry)) is not None:
                names.add(name)
        names.add(listen_host.strip().strip("[]").lower().removesuffix("."))
        wildcard = listens_everywhere(listen_host)
        if wildcard:
            names.update(name for name in map(host_name, machine_names) if name)
        return cls(frozenset(names), tuple(suffixes), any_address=wildcard, anything=anything)

    def allows(self, host: str | None) -> bool:
        """Whether a request whose ``Host`` header is ``host`` (None: absent) is served.

        Absent or empty (an HTTP/1.0 request, which Hypercorn gives an empty ``Host``):
        served, since a browser always names the host, and load balancers' health
        checks often send none."""
        if not host or self.anything:
            return True
        name = host_name(host)
        if name is None:
            return False
        if name in self.names or name.endswith(self.suffixes):
            return True
        return self.any_address and _is_address(name)


def check_host(host: str | None, allowed: AllowedHosts) -> None:
    """Refuse (403 ``forbidden_host``) a request whose ``Host`` this service does not answer to."""
    if not allowed.allows(host):
        raise ForbiddenHost(host or "")


def host_name(host: str) -> str | None:
    """The name or address in a ``Host`` value, lower-case, without port, brackets or
    final dot; None when it is not one (``a b``, ``::1`` unbracketed, ``x:port``)."""
    host = host.strip().lower()
    if host.startswith("["):
        address, bracket, rest = host[1:].partition("]")
        if not bracket or (rest and not (rest.startswith(":") and _is_port(rest[1:]))):
            return None
        return address if ":" in address and _is_address(address) else None
    name, colon, port = host.partition(":")
    if colon and not _is_port(port):
        return None
    name = name.removesuffix(".")
    return name if _NAME.fullmatch(name) else None


def machine_names() -> list[str]:
    """This machine's host name and fully qualified name (which may ask the resolver)."""
    hostname = socket.gethostname()
    return [hostname, socket.getfqdn(hostname)]


def listens_everywhere(listen_host: str) -> bool:
    """Whether ``--host`` is a wildcard address (every interface, any address)."""
    return listen_host.strip().strip("[]") in WILDCARD_ADDRESSES | {""}


def _is_port(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 5


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
