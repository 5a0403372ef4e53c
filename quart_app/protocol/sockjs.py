"""SockJS 0.3.3 framing as pure functions: frames, their JSON, and each transport's wrapping.

A SockJS server sends four frames: ``o`` (open), ``h`` (heart-beat), ``a[...]``
(a JSON array of messages) and ``c[code,"reason"]`` (close). Each HTTP transport
wraps them its own way (a line for XHR, an event for EventSource, a script tag
for htmlfile). The client sends JSON arrays of strings, or, over WebSocket, one
JSON string. Nothing here does I/O.
"""

from __future__ import annotations

import json
import re
from typing import Final

OPEN: Final = "o"
HEARTBEAT: Final = "h"

# Characters the server must escape in what it sends (the protocol's list, plus lone
# surrogates, which cannot be written as UTF-8): browsers mangle them on some transports.
_ESCAPED = re.compile(
    "[\x00-\x1f\u200c-\u200f\u2028-\u202f\u2060-\u206f\ud800-\udfff\ufff0-\uffff]"
)
_CALLBACK = re.compile(r"[A-Za-z0-9_.]{1,64}")
# Close codes a carrier gives (WebSocket's, and SockJS's own 3000), and their reasons.
_REASONS: Final = {
    1000: "Normal closure",
    1001: "Going away",
    1002: "Connection interrupted",
    1008: "Policy violation",
    1011: "Server error",
    1013: "Try again later",
    2010: "Another connection still open",
    3000: "Go away!",
}
ANOTHER_CONNECTION: Final = 2010
INTERRUPTED: Final = 1002

XHR_STREAMING_PRELUDE: Final = "h" * 2048 + "\n"
EVENTSOURCE_PRELUDE: Final = "\r\n"
# The htmlfile page: a script in the hidden iframe calls back into its parent, which is
# the service's own iframe page (``document.domain`` makes it same-origin). Padded past
# 1 KiB, or some browsers render nothing until more arrives.
_HTMLFILE_HEAD: Final = """<!doctype html>
<html><head>
  <meta http-equiv="X-UA-Compatible" content="IE=edge" />
  <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
</head><body><h2>Don't panic!</h2>
  <script>
    document.domain = document.domain;
    var c = parent.%s;
    c.start();
    function p(d) {c.message(d);};
    window.onload = function() {c.stop();};
  </script>"""
IFRAME_PAGE: Final = """<!DOCTYPE html>
<html>
<head>
  <meta http-equiv="X-UA-Compatible" content="IE=edge" />
  <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
  <script>
    document.domain = document.domain;
    _sockjs_onload = function(){SockJS.bootstrap_iframe();};
  </script>
  <script src="%s"></script>
</head>
<body>
  <h2>Don't panic!</h2>
  <p>This is a SockJS hidden iframe. It's used for cross domain magic.</p>
</body>
</html>"""


class BrokenJSON(ValueError):
    def __init__(self) -> None:
        super().__init__("Broken JSON encoding.")


class PayloadExpected(ValueError):
    def __init__(self) -> None:
        super().__init__("Payload expected.")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def encode_messages(messages: list[str]) -> str:
    """The ``a[...]`` frame carrying ``messages``, escaped as the protocol asks."""
    text = json.dumps(messages, ensure_ascii=False, separators=(",", ":"))
    return "a" + _ESCAPED.sub(_escape, text)


def close_frame(code: int, reason: str | None = None) -> str:
    reason = reason if reason is not None else _REASONS.get(code, "Closed")
    return "c" + json.dumps([code, reason], separators=(",", ":"))


def decode_messages(body: bytes | str) -> list[str]:
    """The messages of an ``xhr_send`` body: a JSON array of strings.

    Raises ``PayloadExpected`` for an empty body and ``BrokenJSON`` for anything
    that is not JSON, or not an array of strings.
    """
    if not body:
        raise PayloadExpected()
    try:
        messages = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested past the parser's depth
        raise BrokenJSON() from None
    if not isinstance(messages, list) or not all(isinstance(m, str) for m in messages):
        raise BrokenJSON()
    return messages


def decode_websocket_message(data: str | bytes) -> list[str]:
    """The messages of one WebSocket message: a JSON string or an array of them.

    An empty message is nothing; anything else that is not one raises ``BrokenJSON``.
    """
    if not data:
        return []
    try:
        decoded = json.loads(data)
    except (ValueError, RecursionError):
        raise BrokenJSON() from None
    if isinstance(decoded, str):
        return [decoded]
    if isinstance(decoded, list) and all(isinstance(m, str) for m in decoded):
        return decoded
    raise BrokenJSON()


def valid_callback(name: str | None) -> bool:
    """Whether ``name`` may be written into a page as the htmlfile callback."""
    return name is not None and _CALLBACK.fullmatch(name) is not None


def xhr_line(frame: str) -> str:
    return frame + "\n"


def eventsource_event(frame: str) -> str:
    return "data: " + frame + "\r\n\r\n"


def htmlfile_prelude(callback: str) -> str:
    head = _HTMLFILE_HEAD % callback
    return head + " " * max(0, 1024 - len(head)) + "\r\n\r\n"


def htmlfile_script(frame: str) -> str:
    # ``<`` escaped as well: a message holding "</script>" must not end the script.
    return "<script>\np(" + json.dumps(frame).replace("<", "\\u003c") + ");\n</script>\r\n"
