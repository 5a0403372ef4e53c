"""SockJS 0.3.3 framing and the SockJS session on their own: no server, no socket."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import pytest

from quart_app.protocol.sockjs import (
    EVENTSOURCE_PRELUDE,
    IFRAME_PAGE,
    XHR_STREAMING_PRELUDE,
    BrokenJSON,
    PayloadExpected,
    close_frame,
    decode_messages,
    decode_websocket_message,
    encode_messages,
    eventsource_event,
    htmlfile_prelude,
    htmlfile_script,
    valid_callback,
    xhr_line,
)
from quart_app.transports.sockjs_session import (
    AnotherReceiver,
    Application,
    Options,
    Sessions,
    SockJSSession,
)
from quart_app.transports.stomp_connection import Carrier

# The characters the protocol says a server must escape, as ranges, and the lone
# surrogates (which cannot be written as UTF-8 at all).
ESCAPED_RANGES = [
    (0x00, 0x1F),
    (0x200C, 0x200F),
    (0x2028, 0x202F),
    (0x2060, 0x206F),
    (0xD800, 0xDFFF),
    (0xFFF0, 0xFFFF),
]
# JSON's own short escapes, which win over \\u00XX for these controls.
SHORT_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def escaped(char: str) -> str:
    return SHORT_ESCAPES.get(char, f"\\u{ord(char):04x}")


def utf16(text: str) -> bytes:
    return text.encode("utf-16-le", "surrogatepass")


def every_escaped_char() -> list[str]:
    return [chr(code) for low, high in ESCAPED_RANGES for code in range(low, high + 1)]


# Framing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("messages", "frame"),
    [
        ([], "a[]"),
        (["a"], 'a["a"]'),
        (["a", "b", ""], 'a["a","b",""]'),
        (['say "hi"', "back\\slash"], 'a["say \\"hi\\"","back\\\\slash"]'),
        (["\x00\x01\x1f"], 'a["\\u0000\\u0001\\u001f"]'),
        (["\n\r\t\b\f"], 'a["\\n\\r\\t\\b\\f"]'),
        (["\u200c\u200f\u2028\u2029\u202f"], 'a["\\u200c\\u200f\\u2028\\u2029\\u202f"]'),
        (["\u2060\u206f\ufff0\ufffe\uffff"], 'a["\\u2060\\u206f\\ufff0\\ufffe\\uffff"]'),
        (["\ud800", "\udfff"], 'a["\\ud800","\\udfff"]'),
        (["\ud83d\ude00"], 'a["\\ud83d\\ude00"]'),  # a pair kept as two code units
        # Next to the escaped ranges, and the rest of Unicode: verbatim.
        (["\x7f\x80\x9f\xa0\xad"], 'a["\x7f\x80\x9f\xa0\xad"]'),
        (["\u200b\u2027\u2030\u205f\u2070"], 'a["\u200b\u2027\u2030\u205f\u2070"]'),
        (["\ufeff\uffef", "é€😀", "日本語"], 'a["\ufeff\uffef","é€😀","日本語"]'),
        (["</script><!--"], 'a["</script><!--"]'),
    ],
)
def test_encode_messages_escapes_only_what_the_protocol_names(
    messages: list[str], frame: str
) -> None:
    assert encode_messages(messages) == frame


def test_encode_messages_escapes_every_named_character_and_decodes_back() -> None:
    chars = every_escaped_char()
    frame = encode_messages(["".join(chars)])
    assert frame == 'a["' + "".join(escaped(char) for char in chars) + '"]'
    assert frame.isascii()
    # As a JavaScript client reads it: UTF-16 code units (JSON joins a high and a low
    # surrogate into one character, which is the same two units).
    (decoded,) = json.loads(frame[1:])
    assert utf16(decoded) == utf16("".join(chars))


def test_encode_messages_leaves_every_other_bmp_character_verbatim() -> None:
    named = set(every_escaped_char()) | {'"', "\\"}
    others = "".join(chr(code) for code in range(0x10000) if chr(code) not in named)
    assert encode_messages([others]) == 'a["' + others + '"]'


@pytest.mark.parametrize(
    ("code", "reason", "frame"),
    [
        (3000, None, 'c[3000,"Go away!"]'),
        (2010, None, 'c[2010,"Another connection still open"]'),
        (1002, None, 'c[1002,"Connection interrupted"]'),
        (1000, None, 'c[1000,"Normal closure"]'),
        (1001, None, 'c[1001,"Going away"]'),
        (1011, None, 'c[1011,"Server error"]'),
        (4321, None, 'c[4321,"Closed"]'),
        (1002, "Session timed out", 'c[1002,"Session timed out"]'),
        (1002, "Broken JSON encoding.", 'c[1002,"Broken JSON encoding."]'),
        (3001, 'a "quoted"\nreason', 'c[3001,"a \\"quoted\\"\\nreason"]'),
    ],
)
def test_close_frame_carries_code_and_reason(code: int, reason: str | None, frame: str) -> None:
    assert close_frame(code, reason) == frame
    assert json.loads(frame[1:])[0] == code


@pytest.mark.parametrize(
    ("body", "messages"),
    [
        ('["a"]', ["a"]),
        (b'["a"]', ["a"]),
        ("[]", []),
        ('["a","b",""]', ["a", "b", ""]),
        (' \n["a"] \n', ["a"]),
        ('["\\u0000\\n\\ud800"]', ["\x00\n\ud800"]),
        ('["é"]'.encode(), ["é"]),
        ('["\\"]"]', ['"]']),
    ],
)
def test_decode_messages_reads_an_array_of_strings(body: str | bytes, messages: list[str]) -> None:
    assert decode_messages(body) == messages


@pytest.mark.parametrize(
    "body",
    [
        '["x',
        "[",
        " ",
        '"a"',
        "null",
        "1",
        '{"a": "b"}',
        "[1]",
        '["a", null]',
        '[["a"]]',
        '[{"a": "b"}]',
        "d=%5B%22x%22%5D",  # a JSONP-style form body
        b"\xff\xfe",
        b'["\xff"]',
        "[" * 100_000 + "]" * 100_000,  # nested past the parser's depth
    ],
)
def test_decode_messages_refuses_anything_else_as_broken_json(body: str | bytes) -> None:
    with pytest.raises(BrokenJSON) as raised:
        decode_messages(body)
    assert str(raised.value) == "Broken JSON encoding."


@pytest.mark.parametrize("body", ["", b""])
def test_decode_messages_wants_a_payload(body: str | bytes) -> None:
    with pytest.raises(PayloadExpected) as raised:
        decode_messages(body)
    assert str(raised.value) == "Payload expected."


@pytest.mark.parametrize(
    ("data", "messages"),
    [
        ("", []),
        (b"", []),
        ('"a"', ["a"]),
        ('""', [""]),
        (b'"a"', ["a"]),
        ('["a"]', ["a"]),
        ('["a","b"]', ["a", "b"]),
        ("[]", []),
        ('"\\ud800\\u2028"', ["\ud800\u2028"]),
    ],
)
def test_decode_websocket_message_reads_a_string_or_an_array(
    data: str | bytes, messages: list[str]
) -> None:
    assert decode_websocket_message(data) == messages


@pytest.mark.parametrize(
    "data",
    [
        '["a',
        "a",
        " ",
        "null",
        "1",
        "true",
        '{"a": "b"}',
        "[1]",
        '["a", 2]',
        b"\xff",
        "[" * 100_000 + "]" * 100_000,
    ],
)
def test_decode_websocket_message_refuses_anything_else(data: str | bytes) -> None:
    with pytest.raises(BrokenJSON) as raised:
        decode_websocket_message(data)
    assert str(raised.value) == "Broken JSON encoding."


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("callback", True),
        ("c", True),
        ("_sockjs_global.a1b2c3", True),
        ("A.b_C.9", True),
        ("x" * 64, True),
        (None, False),
        ("", False),
        ("x" * 65, False),
        ("alert(1)", False),
        ("a;alert(1)", False),
        ("a</script><script>alert(1)//", False),
        ("a'b", False),
        ('a"b', False),
        ("a b", False),
        ("a\nb", False),
        ("callback\n", False),
        ("a[0]", False),
        ("a=b", False),
        ("a+b", False),
        ("a/b", False),
        ("é", False),
        ("a\x00", False),
    ],
)
def test_valid_callback_allows_only_a_dotted_name(name: str | None, valid: bool) -> None:
    assert valid_callback(name) is valid


@pytest.mark.parametrize(
    "frame",
    [
        "o",
        "h",
        'a["x"]',
        'a["</script><script>alert(1)</script>"]',
        'a["</SCRIPT >"]',
        'a["<!--<script>"]',
        'a["\\u2028\\u2029 é"]',
        'c[3000,"Go away!"]',
    ],
)
def test_htmlfile_script_calls_p_and_no_message_ends_the_script(frame: str) -> None:
    script = htmlfile_script(frame)
    assert script.startswith("<script>\np(") and script.endswith(");\n</script>\r\n")
    argument = script.removeprefix("<script>\np(").removesuffix(");\n</script>\r\n")
    assert "<" not in argument
    assert script.lower().count("</script") == 1
    assert json.loads(argument) == frame


@pytest.mark.parametrize(
    ("frame", "script"),
    [
        ("o", '<script>\np("o");\n</script>\r\n'),
        ('a["x"]', '<script>\np("a[\\"x\\"]");\n</script>\r\n'),
    ],
)
def test_htmlfile_script_matches_the_protocol(frame: str, script: str) -> None:
    assert htmlfile_script(frame) == script


@pytest.mark.parametrize("callback", ["callback", "_sockjs_global.a1b2c3"])
def test_htmlfile_prelude_calls_back_into_the_parent_past_one_kib(callback: str) -> None:
    prelude = htmlfile_prelude(callback)
    assert len(prelude) > 1024
    assert prelude.endswith("\r\n\r\n")
    assert prelude.startswith("<!doctype html>\n<html><head>")
    assert f"var c = parent.{callback};" in prelude
    head = prelude.rstrip()
    assert head.endswith("</script>")
    assert "document.domain = document.domain;" in head
    assert "function p(d) {c.message(d);};" in head
    assert "window.onload = function() {c.stop();};" in head


def test_streaming_preludes_and_wrappers() -> None:
    assert XHR_STREAMING_PRELUDE == "h" * 2048 + "\n"
    assert EVENTSOURCE_PRELUDE == "\r\n"
    assert xhr_line('a["x"]') == 'a["x"]\n'
    assert eventsource_event('a["x"]') == 'data: a["x"]\r\n\r\n'
    assert eventsource_event("o") == "data: o\r\n\r\n"


def test_iframe_page_loads_the_client_and_bootstraps_it() -> None:
    page = IFRAME_PAGE % "/static/sockjs.min.js"
    assert page.startswith("<!DOCTYPE html>\n<html>\n<head>")
    assert '<script src="/static/sockjs.min.js"></script>' in page
    assert "_sockjs_onload = function(){SockJS.bootstrap_iframe();};" in page
    assert "document.domain = document.domain;" in page
    assert page.endswith("</html>")


# The session -------------------------------------------------------------------


async def echo(carrier: Carrier) -> None:
    while True:
        text = await carrier.receive()
        await carrier.send(text if isinstance(text, str) else text.decode())


async def idle(carrier: Carrier) -> None:
    await asyncio.Event().wait()


async def wait_for(condition: Callable[[], bool], timeout: float = 2) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)


def new_session(application: Application, **options: float) -> SockJSSession:
    return SockJSSession("s-1", application, Options(**options))  # type: ignore[arg-type]


async def test_the_open_frame_comes_first_then_messages_in_one_array() -> None:
    sent = asyncio.Event()

    async def greeter(carrier: Carrier) -> None:
        for text in ("one", "two", 'th"ree'):
            await carrier.send(text)
        sent.set()
        await asyncio.Event().wait()

    session = new_session(greeter)
    session.attach(receiver := object())
    assert await session.next_frame() == "o"
    await sent.wait()
    assert await session.next_frame() == 'a["one","two","th\\"ree"]'
    session.detach(receiver, interrupted=False)
    await session.aclose()


async def test_what_the_client_delivers_reaches_the_application_in_order() -> None:
    session = new_session(echo)
    session.attach(object())
    assert await session.next_frame() == "o"
    await session.deliver(["a", "b"])
    await session.deliver(["c"])
    echoed: list[str] = []
    while len(echoed) < 3:
        frame = await session.next_frame()
        assert frame.startswith("a[")
        echoed += json.loads(frame[1:])
    assert echoed == ["a", "b", "c"]
    await session.aclose()


async def test_a_delivery_larger_than_the_inbox_reaches_the_application() -> None:
    session = new_session(echo)
    try:
        session.attach(object())
        assert await session.next_frame() == "o"
        messages = [str(number) for number in range(300)]
        await asyncio.wait_for(session.deliver(messages), 1)
        echoed: list[str] = []
        while len(echoed) < len(messages):
            echoed += json.loads((await session.next_frame())[1:])
        assert echoed == messages
    finally:
        await session.aclose()


async def test_an_idle_session_sends_a_heartbeat_after_heartbeat_seconds() -> None:
    session = new_session(idle, heartbeat_seconds=0.05)
    session.attach(object())
    assert await session.next_frame() == "o"
    started = time.monotonic()
    assert await session.next_frame() == "h"
    assert 0.04 <= time.monotonic() - started < 1
    assert await session.next_frame() == "h"
    await session.aclose()


@pytest.mark.parametrize(
    ("application", "frame"),
    [
        ("closes with 3000", 'c[3000,"Go away!"]'),
        ("closes with 1000", 'c[1000,"Normal closure"]'),
        ("returns", 'c[3000,"Go away!"]'),
        ("raises", 'c[1011,"Server error"]'),
    ],
)
async def test_the_close_frame_is_served_to_every_receiver_after_the_application_ends(
    application: str, frame: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def run(carrier: Carrier) -> None:
        if application.startswith("closes"):
            await carrier.close(int(application.rsplit(" ", 1)[1]))
        elif application == "raises":
            raise RuntimeError("boom")

    session = new_session(run)
    first = object()
    session.attach(first)
    assert await session.next_frame() == "o"
    assert await session.next_frame() == frame
    session.detach(first, interrupted=False)
    assert session.closed
    for _ in range(2):
        receiver = object()
        session.attach(receiver)
        assert await session.next_frame() == frame
        session.detach(receiver, interrupted=False)
    assert ("SockJS session 's-1' failed" in caplog.text) is (application == "raises")
    await session.aclose()


async def test_what_was_sent_before_the_close_comes_before_the_close_frame() -> None:
    async def last_words(carrier: Carrier) -> None:
        await carrier.send("bye")
        await carrier.close(3000)

    session = new_session(last_words)
    session.attach(object())
    assert await session.next_frame() == "o"
    assert await session.next_frame() == 'a["bye"]'
    assert await session.next_frame() == 'c[3000,"Go away!"]'
    await session.aclose()


async def test_a_second_receiver_is_refused_while_one_is_attached() -> None:
    session = new_session(idle)
    first, second = object(), object()
    session.attach(first)
    with pytest.raises(AnotherReceiver):
        session.attach(second)
    session.detach(second, interrupted=True)  # not the attached one: nothing happens
    assert not session.closed
    session.detach(first, interrupted=False)
    session.attach(second)
    assert await session.next_frame() == "o"
    await session.aclose()


async def test_an_interrupted_receiver_closes_the_session_with_1002() -> None:
    session = new_session(echo)
    first = object()
    session.attach(first)
    assert await session.next_frame() == "o"
    session.detach(first, interrupted=True)
    assert session.closed
    await session.deliver(["lost"])  # a closed session takes nothing more
    session.attach(object())
    assert await session.next_frame() == 'c[1002,"Connection interrupted"]'
    await session.aclose()


async def test_a_session_without_receiver_times_out_then_is_forgotten() -> None:
    sessions = Sessions(Options(disconnect_delay_seconds=0.05))
    session = sessions.open("s-1", idle, None)
    assert sessions.get("s-1") is session and len(sessions) == 1
    receiver = object()
    session.attach(receiver)
    assert await session.next_frame() == "o"
    session.detach(receiver, interrupted=False)
    started = time.monotonic()
    await wait_for(lambda: session.closed)
    assert time.monotonic() - started >= 0.04
    assert sessions.get("s-1") is session  # the close frame is kept for one more delay
    await wait_for(lambda: sessions.get("s-1") is None)
    assert len(sessions) == 0


async def test_a_timed_out_session_tells_the_next_receiver_so() -> None:
    sessions = Sessions(Options(disconnect_delay_seconds=0.05))
    session = sessions.open("s-1", idle, None)
    receiver = object()
    session.attach(receiver)
    assert await session.next_frame() == "o"
    session.detach(receiver, interrupted=False)
    await wait_for(lambda: session.closed)
    session.attach(receiver)
    assert await session.next_frame() == 'c[1002,"Session timed out"]'
    await asyncio.sleep(0.1)
    assert sessions.get("s-1") is session  # held by its receiver: not forgotten
    session.detach(receiver, interrupted=False)
    await wait_for(lambda: sessions.get("s-1") is None)


async def test_an_attached_receiver_keeps_the_session_past_its_delay() -> None:
    sessions = Sessions(Options(disconnect_delay_seconds=0.05, heartbeat_seconds=0.03))
    session = sessions.open("s-1", idle, None)
    session.attach(object())
    assert await session.next_frame() == "o"
    for _ in range(5):
        assert await session.next_frame() == "h"
    assert not session.closed and sessions.get("s-1") is session
    await sessions.aclose()
    assert len(sessions) == 0


async def test_closing_the_session_cancels_the_application() -> None:
    entered, finished = asyncio.Event(), asyncio.Event()
    seen: list[str] = []

    async def application(carrier: Carrier) -> None:
        entered.set()
        try:
            await carrier.receive()
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise
        finally:
            finished.set()

    session = new_session(application)
    await entered.wait()
    session.close(1000)
    await asyncio.wait_for(finished.wait(), 2)
    assert seen == ["cancelled"]


async def test_the_application_finally_runs_when_closed_right_after_creation() -> None:
    entered, finished = asyncio.Event(), asyncio.Event()

    async def application(carrier: Carrier) -> None:
        entered.set()
        try:
            await asyncio.Event().wait()
        finally:
            finished.set()

    session = new_session(application)
    session.close(1001)  # before the application's task had a single turn
    await asyncio.wait_for(finished.wait(), 2)
    assert entered.is_set()


async def test_sessions_aclose_ends_every_application_and_forgets_them() -> None:
    ended: list[str] = []

    def application(name: str) -> Application:
        async def run(carrier: Carrier) -> None:
            try:
                await asyncio.Event().wait()
            finally:
                ended.append(name)

        return run

    sessions = Sessions(Options())
    for name in ("a", "b", "c"):
        sessions.open(name, application(name), None)
    await asyncio.sleep(0)
    await sessions.aclose()
    assert sorted(ended) == ["a", "b", "c"]
    assert len(sessions) == 0


async def test_a_session_closed_before_its_first_frame_still_opens_then_closes() -> None:
    session = new_session(idle)
    session.close(3000)
    session.attach(object())
    assert await session.next_frame() == "o"
    assert await session.next_frame() == 'c[3000,"Go away!"]'
    await session.aclose()


async def test_a_session_closed_by_aclose_says_going_away() -> None:
    session = new_session(idle)
    session.attach(object())
    assert await session.next_frame() == "o"
    await session.aclose()
    assert session.closed
    assert await session.next_frame() == 'c[1001,"Going away"]'


@pytest.mark.parametrize(
    ("credential", "presented", "admitted"),
    [
        (None, None, True),
        (None, "anything", True),
        ("token", "token", True),
        ("token", None, False),
        ("token", "", False),
        ("token", "Token", False),
        ("token", "token2", False),
    ],
)
async def test_a_session_admits_only_the_credential_that_opened_it(
    credential: str | None, presented: str | None, admitted: bool
) -> None:
    session = SockJSSession("s-1", idle, Options(), credential=credential)
    assert session.admits(presented) is admitted
    await session.aclose()
