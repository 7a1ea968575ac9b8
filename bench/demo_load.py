"""The demo under load, through gradio_client, against `python demo/app.py` on 127.0.0.1.

    python -m bench.demo_load                       # app in the current interpreter
    python -m bench.demo_load --python .venv-demo/bin/python   # the Space's environment

Starts the app on a free loopback port, measures the cold start (launch to
first prediction), then 1 client and 16 concurrent clients, each bounded in
requests and in time. Prints requests/s, p50/p99 latency, errors and
queue-full rejections. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import math
import threading
import time

from bench import harness
from tests.support.app import app_process, sketch_of
from tests.support.paths import EXAMPLES_DIR

EXAMPLES = sorted(EXAMPLES_DIR.glob("*.png"))
TIME_LIMIT_S = 120  # per phase
CLIENTS = (1, 16)


def phase(url: str, clients: int, requests_each: int) -> dict:
    """`clients` threads, each with its own Client, each sending up to `requests_each`."""
    from gradio_client import Client

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + TIME_LIMIT_S

    def worker(index: int) -> None:
        client = Client(url, verbose=False)
        for i in range(requests_each):
            if time.monotonic() > deadline:
                return
            start = time.perf_counter()
            try:
                client.predict(
                    sketch_of(EXAMPLES[(index + i) % len(EXAMPLES)]), api_name="/predict"
                )
                with lock:
                    latencies.append(time.perf_counter() - start)
            except Exception as exc:  # counted, not raised: this is a load test
                with lock:
                    errors.append(str(exc))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    p50, p99 = harness.p50_p99_ms(latencies) if latencies else (math.nan, math.nan)
    queue_full = sum("queue" in e.lower() and "full" in e.lower() for e in errors)
    return {
        "clients": clients,
        "requests": len(latencies) + len(errors),
        "ok": len(latencies),
        "errors": len(errors) - queue_full,
        "queue_full": queue_full,
        "rps": len(latencies) / elapsed,
        "p50_ms": p50,
        "p99_ms": p99,
        "first_error": errors[0][:200] if errors else "",
    }


def load(python: str, requests: int) -> harness.Table:
    """The cold start, then a phase for each of CLIENTS concurrent clients."""
    from gradio_client import Client

    launched = time.monotonic()
    with app_process(python) as app:
        Client(app.url, verbose=False).predict(sketch_of(EXAMPLES[0]), api_name="/predict")
        cold = time.monotonic() - launched
        title = (
            f"app: {python} demo/app.py on {app.url}\n"
            f"cold start (launch to first prediction): {cold:.2f} s"
        )
        columns = ["clients", "requests", "ok", "errors", "queue full", "req/s", "p50 ms", "p99 ms"]
        table = harness.Table(title, columns)
        for clients in CLIENTS:
            r = phase(app.url, clients, max(1, requests // clients))
            table.add(
                r["clients"],
                r["requests"],
                r["ok"],
                r["errors"],
                r["queue_full"],
                f"{r['rps']:.1f}",
                f"{r['p50_ms']:.1f}",
                f"{r['p99_ms']:.1f}",
                *([f"first error: {r['first_error']}"] if r["first_error"] else []),
            )
    return table


def main() -> None:
    args = harness.parser(__doc__, "python", "requests").parse_args()
    harness.show(load(args.python, args.requests))


if __name__ == "__main__":
    main()
