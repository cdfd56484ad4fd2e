"""A loopback HTTP server for provider sandboxes: stdlib ``ThreadingHTTPServer`` on 127.0.0.1,
port 0 (the OS picks a free one), served from a daemon thread, used as a context manager.

Providers register routes (``/v1/videos/{route}/{id}``) with plain handler functions. Every
request is logged with its headers so tests can check what a client sent, e.g. that no
Authorization header reached a foreign host. Files published here are served from ``/files/...``
until their expiry, then answer 403 the way object stores answer an expired signed URL.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit


@dataclass
class SandboxRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names lower-cased
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)
    status: int = 0  # the answer's HTTP status (0: none was sent), for counting in tests
    chaos: str | None = None  # the Chaos fault this request got, if any

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class SandboxResponse:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, obj: Any, headers: dict[str, str] | None = None) -> SandboxResponse:
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        return cls(status, json.dumps(obj).encode(), hdrs)


Handler = Callable[[SandboxRequest], SandboxResponse]


@dataclass
class PublishedFile:
    path: Path
    expires_at: float | None
    content_type: str = "video/mp4"


def _compile(pattern: str) -> re.Pattern[str]:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
    return re.compile(f"^{regex}$")


class LoopbackServer:
    """Routes, a request log and a file shelf on a private loopback port."""

    METHODS: tuple[str, ...] = ("GET", "POST", "DELETE")  # the HTTP verbs it answers

    def __init__(self, name: str = "sandbox") -> None:
        self.name = name
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.log: list[SandboxRequest] = []
        self.files: dict[str, PublishedFile] = {}
        self.latency = 0.0  # seconds added to every answer
        self.lock = threading.RLock()
        self.faults: deque[Any] = deque()  # scripted faults, see inject()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.chaos: Chaos | None = None  # random wire faults at a rate, see Chaos
        self.add_route("GET", "/files/{name}", self._serve_file)

    # -- scripted faults -------------------------------------------------------------------------

    def inject(self, fault: Any) -> None:
        """Queue a fault; the first request of its ``kind`` ("any": every kind) takes it once."""
        with self.lock:
            self.faults.append(fault)

    def _take_fault(self, kind: str) -> Any | None:
        with self.lock:
            for fault in self.faults:
                if fault.kind in (kind, "any"):
                    self.faults.remove(fault)
                    return fault
        return None

    # -- routes and files ------------------------------------------------------------------------

    def add_route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method.upper(), _compile(pattern), handler))

    def publish(self, path: Path, *, ttl: float | None = None, name: str | None = None) -> str:
        """Serve ``path`` at a fresh URL until ``ttl`` seconds from now (None: forever)."""
        name = name or f"{uuid.uuid4().hex}{path.suffix}"
        expires = None if ttl is None else time.time() + ttl
        with self.lock:
            self.files[name] = PublishedFile(Path(path), expires)
        return f"{self.base_url}/files/{name}"

    def expire_files(self) -> None:
        """Make every published URL stale at once (tests of OutputExpired)."""
        with self.lock:
            for f in self.files.values():
                f.expires_at = 0.0

    def _serve_file(self, req: SandboxRequest) -> SandboxResponse:
        with self.lock:
            f = self.files.get(req.params["name"])
        if f is None:
            return SandboxResponse(404, b"NoSuchKey", {"Content-Type": "text/plain"})
        if f.expires_at is not None and time.time() >= f.expires_at:
            return SandboxResponse(403, b"AccessDenied: Request has expired", {})
        return SandboxResponse(200, f.path.read_bytes(), {"Content-Type": f.content_type})

    def accepted_submits(self) -> list[SandboxRequest]:
        """POSTs that created work: answered 2xx, or handled with the answer lost. (Cancels and
        Vertex's fetch are POSTs that create nothing.)"""
        with self.lock:
            return [
                r
                for r in self.log
                if r.method == "POST"
                and not r.path.endswith(("/cancel", ":fetchPredictOperation"))
                and ((200 <= r.status < 300 and r.chaos is None) or r.chaos == "lost_answer")
            ]

    def completed_downloads(self) -> list[str]:
        """File paths served in full (not truncated, not refused)."""
        with self.lock:
            return [
                r.path
                for r in self.log
                if r.method == "GET"
                and r.path.startswith("/files/")
                and r.status == 200
                and r.chaos is None
            ]

    def requests_to(self, prefix: str) -> list[SandboxRequest]:
        with self.lock:
            return [r for r in self.log if r.path.startswith(prefix)]

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError(f"{self.name} is not running; use it as a context manager")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        # A sandbox's task book shares the server's lock: with a lock each they deadlock (a
        # submit holds the server's while reading the book, a finishing task holds the book's
        # while publishing its clip on the server).
        book = getattr(self, "book", None)
        if book is not None and hasattr(book, "lock"):
            book.lock = self.lock
        httpd = _QuietServer(("127.0.0.1", 0), _make_handler(self))
        httpd.daemon_threads = True
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, args=(0.05,), name=self.name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- dispatch --------------------------------------------------------------------------------

    def dispatch(self, req: SandboxRequest) -> SandboxResponse:
        with self.lock:
            self.log.append(req)
        if self.latency:
            time.sleep(self.latency)
        allowed = False
        for method, regex, handler in self.routes:
            m = regex.match(req.path)
            if m is None:
                continue
            allowed = True
            if method == req.method:
                req.params = m.groupdict()
                return handler(req)
        status = 405 if allowed else 404
        return SandboxResponse.json(status, {"code": 1202, "message": "no such route"})


# Shared by every sandbox, so a short run over many providers still meets every kind.
_CHAOS_SEEN = {"api": 0, "file": 0}
_CHAOS_TURNS = {"api": 0, "file": 0}
_CHAOS_LOCK = threading.Lock()


@dataclass
class Chaos:
    """Faults on a share of requests, the same for every provider's sandbox: API calls get 429
    (Retry-After 1), 503, a body that is not JSON, or a lost answer (handled, then the
    connection drops: the ambiguous submit); file downloads get a truncated body or an expired
    URL. One request in every ``1/rate`` of each family (API, file), counted across all the
    sandboxes, fails — which one in each window is drawn from ``seed`` — and the kinds come in
    turn: exactly the rate, and even a short run meets every kind."""

    rate: float = 0.2
    seed: int = 0
    api_kinds: tuple[str, ...] = ("rate_limit", "server_error", "garbage", "lost_answer")
    file_kinds: tuple[str, ...] = ("truncate", "expire")
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._window = max(1, round(1 / self.rate)) if self.rate > 0 else 0

    def pick(self, path: str) -> str | None:
        kinds = self.file_kinds if path.startswith("/files/") else self.api_kinds
        family = "file" if kinds is self.file_kinds else "api"
        if not kinds or not self._window:
            return None
        with _CHAOS_LOCK:
            seen = _CHAOS_SEEN[family]
            _CHAOS_SEEN[family] += 1
            slot = _CHAOS_SLOTS.setdefault((family, seen // self._window),
                                           self._rng.randrange(self._window))  # fmt: skip
            if seen % self._window != slot:
                return None
            kind = kinds[_CHAOS_TURNS[family] % len(kinds)]
            _CHAOS_TURNS[family] += 1
            self.counts[kind] = self.counts.get(kind, 0) + 1
        return kind


_CHAOS_SLOTS: dict[tuple[str, int], int] = {}  # (family, window) → the request that fails


def _chaos_answer(kind: str, req: SandboxRequest, server: LoopbackServer) -> SandboxResponse | None:
    if kind == "rate_limit":
        body = {"error": {"code": 429, "message": "chaos: too many requests"}}
        return SandboxResponse.json(429, body, {"Retry-After": "1"})
    if kind == "server_error":
        return SandboxResponse.json(503, {"error": {"code": 503, "message": "chaos: unavailable"}})
    if kind == "garbage":
        return SandboxResponse(
            200, b"<html>chaos: a proxy page</html>", {"Content-Type": "text/html"}
        )
    if kind == "expire":
        return SandboxResponse(403, b"AccessDenied: Request has expired", {})
    resp = server.dispatch(req)
    if kind == "truncate" and resp.status == 200:
        return SandboxResponse(resp.status, resp.body[: len(resp.body) // 2], resp.headers)
    return None if kind == "lost_answer" else resp


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the default backlog of 5 resets bursts of connections

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a client that went away (killed mid-request) is not a sandbox error
        super().handle_error(request, client_address)


def _make_handler(server: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes: without TCP_NODELAY the body waits for
        # the client's delayed ACK (~40 ms on Linux) on every answer of a kept-alive connection.
        disable_nagle_algorithm = True

        def _handle(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            req = SandboxRequest(
                method=self.command,
                path=url.path,
                query=dict(parse_qsl(url.query)),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            if len(req.body) < length:  # the client died mid-request: a server drops it
                self.close_connection = True
                return
            kind = server.chaos.pick(req.path) if server.chaos is not None else None
            req.chaos = kind
            try:
                if kind is None:
                    resp: SandboxResponse | None = server.dispatch(req)
                else:
                    if kind not in ("lost_answer", "truncate"):  # those reach dispatch (logged)
                        with server.lock:
                            server.log.append(req)
                    resp = _chaos_answer(kind, req, server)
            except Exception as exc:  # a sandbox bug should look like a provider 500, not hang
                resp = SandboxResponse.json(500, {"code": 5000, "message": f"sandbox: {exc!r}"})
            if resp is None:  # the lost answer: the work is done, the reply never arrives
                self.close_connection = True
                return
            req.status = resp.status
            try:
                self.send_response(resp.status)
                for k, v in resp.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(resp.body)))
                self.end_headers()
                self.wfile.write(resp.body)
            except (BrokenPipeError, ConnectionResetError):  # the client went away (kill -9)
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

    for method in server.METHODS:
        setattr(_Handler, f"do_{method}", _Handler._handle)
    return _Handler
