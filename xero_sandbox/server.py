"""The sandbox over HTTP: a threading server, in the foreground or in a background thread."""

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .app import Sandbox
from .clock import Clock, parse_instant
from .wire import Request

# Bodies past this are refused before they are read: far above Xero's 3.5 MB, which the app checks.
MAX_READ = 64 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Xero's clients use it
    server_version = "XeroSandbox"
    sys_version = ""
    disable_nagle_algorithm = True  # headers and body go out in two writes

    def _serve(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self._read_chunked()
        else:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_READ:
                self.close_connection = True
                self.send_error(413)
                return
            body = self.rfile.read(length) if length else b""
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        request = Request.build(self.command, self.path, self.headers, body, f"http://{host}")
        response = self.server.sandbox.handle(request)
        if response.drop:
            self.close_connection = True  # the work is done; the answer is lost on the way
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def _read_chunked(self):
        chunks, total = [], 0
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailer fields, unused
                return b"".join(chunks)
            total += size
            if total > MAX_READ:
                raise ValueError("chunked body too large")
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def log_message(self, format, *args):
        """Silent: the sandbox keeps its own log, GET /_sandbox/requests."""


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # A client that gave up (its timeout, a dropped connection) is routine here, not an error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class SandboxServer:
    """A Xero sandbox on ``host``:``port`` (0: any free port); ``now`` freezes its clock there."""

    def __init__(self, host="127.0.0.1", port=0, *, now=None):
        if isinstance(now, str):
            now = parse_instant(now)
        self.host = host
        self.port = port
        self.sandbox = Sandbox(Clock(frozen_at=now))
        self._httpd = None
        self._thread = None

    @property
    def url(self):
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def clock(self):
        return self.sandbox.clock

    def _bind(self):
        self._httpd = _HTTPServer((self.host, self.port), _Handler)
        self._httpd.sandbox = self.sandbox
        self.port = self._httpd.server_address[1]

    def start(self):
        """Serve from a background thread; returns self once the port is bound."""
        if self._httpd is None:
            self._bind()
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.2},
                name=f"xero-sandbox-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self, ready=None):
        """Serve in the calling thread until interrupted; ``ready(url)`` is called once bound."""
        self._bind()
        if ready:
            ready(self.url)
        try:
            self._httpd.serve_forever(poll_interval=0.5)
        finally:
            self._httpd.server_close()
            self._httpd = None

    def stop(self):
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join()
            self._httpd = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def reset(self):
        """Back to the seeded data; the clock is left as it is."""
        self.sandbox.reset()

    def token(self, **options):
        """Tokens without the browser: the same as POST /_sandbox/token with ``options``."""
        return self.sandbox.control.mint_token(options)
