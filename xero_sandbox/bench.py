"""``python -m xero_sandbox.bench``: how many simple API calls a second the sandbox answers.

Each call is a full ``GET /api.xro/2.0/Organisation``: bearer token and tenant checked, scopes,
rate limits counted, the request logged, JSON answered. Rate limits are lifted for the run through
``POST /_sandbox/settings`` (the calls are still counted). Clients use keep-alive connections
(http.client), one per thread.

By default the sandbox runs in this process, so clients and server share one interpreter and its
GIL: the figure includes the clients' own cost. ``--url`` measures a sandbox started elsewhere
(``python -m xero_sandbox``), with the clients in this process only. Figures, no assertions.
"""

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from urllib.parse import urlsplit

from .server import SandboxServer

LIFTED = {
    "minute_limit": 10**9,
    "day_limit": 10**9,
    "app_minute_limit": 10**9,
    "concurrent_limit": 10**6,
}


def _control(url, path, body):
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(
            "POST", "/_sandbox/" + path, json.dumps(body), {"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        answer = json.loads(response.read())
        if response.status != 200:
            raise RuntimeError(f"/_sandbox/{path}: {response.status} {answer}")
        return answer
    finally:
        connection.close()


def _worker(url, headers, count, latencies, failures):
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        for _ in range(count):
            started = time.perf_counter()
            connection.request("GET", "/api.xro/2.0/Organisation", headers=headers)
            response = connection.getresponse()
            response.read()
            latencies.append(time.perf_counter() - started)
            if response.status != 200:
                failures.append(response.status)
    finally:
        connection.close()


def run(url, requests_total, threads):
    _control(url, "settings", LIFTED)
    tokens = _control(url, "token", {})
    headers = {
        "Authorization": "Bearer " + tokens["access_token"],
        "xero-tenant-id": tokens["tenant_id"],
        "Accept": "application/json",
    }
    _worker(url, headers, 50, [], [])  # warm up
    latencies, failures = [], []
    share = requests_total // threads
    workers = [
        threading.Thread(target=_worker, args=(url, headers, share, latencies, failures))
        for _ in range(threads)
    ]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    _control(url, "reset", {})
    done = share * threads
    latencies.sort()
    return {
        "requests": done,
        "threads": threads,
        "seconds": round(elapsed, 3),
        "requests_per_second": round(done / elapsed, 1),
        "latency_ms_median": round(statistics.median(latencies) * 1000, 2),
        "latency_ms_p99": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "non_200": len(failures),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m xero_sandbox.bench", description=__doc__)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--url", help="a running sandbox (default: one started in-process)")
    args = parser.parse_args(argv)
    if args.url:
        figures = run(args.url.rstrip("/"), args.requests, args.threads)
        where = f"sandbox at {args.url}, clients in this process"
    else:
        with SandboxServer() as server:
            figures = run(server.url, args.requests, args.threads)
        where = "sandbox and clients in one process"
    sys.stdout.write(f"GET /api.xro/2.0/Organisation over keep-alive ({where})\n")
    for name, value in figures.items():
        sys.stdout.write(f"  {name}: {value}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
