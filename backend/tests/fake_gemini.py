"""A local HTTP server that speaks the Gemini API's generateContent REST endpoint, so the
real google-genai client (its request building, response parsing and errors) is what the
tests exercise. Each test scripts the replies; the server records every request."""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int
    body: dict[str, Any] | str
    delay: float = 0.0  # seconds to wait before answering (timeouts)


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


def function_call(name: str, args: dict[str, Any], call_id: str | None = None) -> Reply:
    call: dict[str, Any] = {"name": name, "args": args}
    if call_id:
        call["id"] = call_id
    return model_parts([{"functionCall": call}])


def function_calls(*calls: tuple[str, dict[str, Any]]) -> Reply:
    return model_parts([{"functionCall": {"name": n, "args": a}} for n, a in calls])


def text_answer(text: str) -> Reply:
    return model_parts([{"text": text}])


def model_parts(parts: list[dict[str, Any]], finish: str = "STOP") -> Reply:
    return Reply(
        200,
        {
            "candidates": [
                {"content": {"role": "model", "parts": parts}, "finishReason": finish, "index": 0}
            ],
            "usageMetadata": {
                "promptTokenCount": 10,
                "candidatesTokenCount": 5,
                "totalTokenCount": 15,
            },
            "modelVersion": "gemini-test",
        },
    )


def malformed_function_call() -> Reply:
    # What the API sends when the model's call could not be parsed: no content at all.
    return Reply(200, {"candidates": [{"finishReason": "MALFORMED_FUNCTION_CALL", "index": 0}]})


def error(status: int, api_status: str, message: str) -> Reply:
    return Reply(status, {"error": {"code": status, "message": message, "status": api_status}})


@dataclass
class FakeGemini:
    server: ThreadingHTTPServer
    replies: queue.Queue[Reply] = field(default_factory=queue.Queue)
    requests: list[Recorded] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/"

    def script(self, *replies: Reply) -> None:
        for r in replies:
            self.replies.put(r)

    def unused_replies(self) -> int:
        return self.replies.qsize()


def start() -> FakeGemini:
    fake: FakeGemini

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length)
            fake.requests.append(
                Recorded(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(raw)
                )
            )
            try:
                reply = fake.replies.get_nowait()
            except queue.Empty:
                reply = error(500, "INTERNAL", "fake gemini: no reply scripted for this request")
            if reply.delay:
                time.sleep(reply.delay)
            data = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
            payload = data.encode()
            try:
                self.send_response(reply.status)
                self.send_header("content-type", "application/json; charset=UTF-8")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout tests)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake = FakeGemini(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake


class SilentServer:
    """A stand-in for a Gemini endpoint that never answers: it accepts connections, reads
    what is sent and replies nothing, like a hung upstream. Tests stop it with close()."""

    def __init__(self) -> None:
        import socket

        self.sock = socket.create_server(("127.0.0.1", 0))
        self.held: list[socket.socket] = []
        self.accepted = 0
        self._closed = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def base_url(self) -> str:
        host, port = self.sock.getsockname()[:2]
        return f"http://{host}:{port}/"

    def _serve(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self.held.append(conn)  # never read to the end, never answered

    def close(self) -> None:
        self._closed.set()
        self.sock.close()
        for conn in self.held:
            conn.close()
