"""``python -m xero_sandbox``: serve the sandbox in the foreground (Ctrl-C stops it)."""

import argparse
import contextlib
import os
import sys

from .server import SandboxServer

DEFAULT_PORT = 8091


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m xero_sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback)")
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("XERO_SANDBOX_PORT") or DEFAULT_PORT),
        help="port (default: $XERO_SANDBOX_PORT or 8091)",
    )
    args = parser.parse_args(argv)
    server = SandboxServer(host=args.host, port=args.port)

    def ready(url):
        sys.stdout.write(
            f"Xero sandbox at {url}\n"
            f"  sign-in: {url}/identity/connect/authorize   API: {url}/api.xro/2.0/\n"
            f"  control: {url}/_sandbox/   (Ctrl-C to stop)\n"
        )
        sys.stdout.flush()

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how the sandbox is stopped
        server.serve_forever(ready)
    return 0


if __name__ == "__main__":
    sys.exit(main())
