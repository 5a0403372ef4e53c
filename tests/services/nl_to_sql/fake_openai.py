"""A small OpenAI-compatible server for the tests: real HTTP, real streamed chat-completion chunks.

It stands in for the paid API only. What it answers depends on the request:
a question containing ``[bad-first]`` first gets SQL the database rejects (and
good SQL once the request carries PostgreSQL's complaint), ``[hang]`` never
answers, ``[prose]`` gets unfenced SQL after a sentence; the API key ``wrong``
gets 401 and the model ``limited`` gets 429. Requests are recorded.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

GOOD_SQL = "SELECT count(*) AS customers FROM customers"
BAD_SQL = "SELECT count(*) FROM customer_list"


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.server.block_on_close = False  # a "[hang]" handler must not hold up the teardown
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                headers = {name.lower(): value for name, value in self.headers.items()}
                fake.requests.append({"path": self.path, "headers": headers, "body": body})
                if self.path != "/v1/chat/completions":
                    return self._error(404, "not found")
                if self.headers.get("Authorization") == "Bearer wrong":
                    return self._error(401, "Incorrect API key provided")
                if body.get("model") == "limited":
                    return self._error(429, "Rate limit reached")
                messages = body["messages"]
                question = next(m["content"] for m in messages if m["role"] == "user")
                corrected = any("PostgreSQL rejected" in m["content"] for m in messages)
                if "[hang]" in question:
                    time.sleep(30)
                    return None
                if "[bad-first]" in question and not corrected:
                    reply = f"```sql\n{BAD_SQL}\n```"
                elif "[prose]" in question:
                    reply = f"Sure. {GOOD_SQL}; this counts the customers."
                else:
                    reply = f"Here is the query:\n```sql\n{GOOD_SQL}\n```"
                return self._stream(body["model"], reply)

            def _error(self, status: int, message: str) -> None:
                data = json.dumps(
                    {"error": {"message": message, "type": "test", "code": None}}
                ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, model: str, reply: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                pieces = [reply[index : index + 8] for index in range(0, len(reply), 8)]
                for number, piece in enumerate([*pieces, None]):
                    chunk = {
                        "id": "chatcmpl-test",
                        "object": "chat.completion.chunk",
                        "created": int(time.time()),
                        "model": model,
                        "choices": [
                            {
                                "index": 0,
                                "delta": ({"role": "assistant"} if number == 0 else {})
                                | ({"content": piece} if piece is not None else {}),
                                "finish_reason": None if piece is not None else "stop",
                            }
                        ],
                    }
                    self._chunk(f"data: {json.dumps(chunk)}\n\n".encode())
                    time.sleep(0.005)
                self._chunk(b"data: [DONE]\n\n")
                self._chunk(b"")

            def _chunk(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

        return Handler
