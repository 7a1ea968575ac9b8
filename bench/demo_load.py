"""The demo under load, through gradio_client, against `python demo/app.py` on 127.0.0.1.

    python bench/demo_load.py                       # app in the current interpreter
    python bench/demo_load.py --python .venv-demo/bin/python   # the Space's environment

Starts the app on a free loopback port, measures the cold start (launch to
first prediction), then 1 client and 16 concurrent clients, each bounded in
requests and in time. Prints requests/s, p50/p99 latency, errors and
queue-full rejections. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import statistics
import threading
import time

import numpy as np
from demo_server import DEMO_DIR, app_parser, app_process, sketch_of

EXAMPLES = sorted((DEMO_DIR / "examples").glob("*.png"))
TIME_LIMIT_S = 120  # per phase


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
    queue_full = sum("queue" in e.lower() and "full" in e.lower() for e in errors)
    return {
        "clients": clients,
        "requests": len(latencies) + len(errors),
        "ok": len(latencies),
        "errors": len(errors) - queue_full,
        "queue_full": queue_full,
        "rps": len(latencies) / elapsed,
        "p50_ms": 1e3 * statistics.median(latencies) if latencies else float("nan"),
        "p99_ms": 1e3 * float(np.percentile(latencies, 99)) if latencies else float("nan"),
        "first_error": errors[0][:200] if errors else "",
    }


def main() -> None:
    parser = app_parser(__doc__.split("\n\n")[0])
    parser.add_argument(
        "--requests",
        type=int,
        default=200,
        help="requests per phase, split among its clients (default: 200)",
    )
    args = parser.parse_args()

    from gradio_client import Client

    launched = time.monotonic()
    with app_process(args.python) as app:
        client = Client(app.url, verbose=False)
        client.predict(sketch_of(EXAMPLES[0]), api_name="/predict")
        cold = time.monotonic() - launched
        print(f"app: {args.python} demo/app.py on {app.url}")
        print(f"cold start (launch to first prediction): {cold:.2f} s")
        print(
            f"{'clients':>7} {'requests':>8} {'ok':>5} {'errors':>6} {'queue full':>10} "
            f"{'req/s':>7} {'p50 ms':>8} {'p99 ms':>8}"
        )
        for clients in (1, 16):
            r = phase(app.url, clients, max(1, args.requests // clients))
            print(
                f"{r['clients']:>7} {r['requests']:>8} {r['ok']:>5} {r['errors']:>6} "
                f"{r['queue_full']:>10} {r['rps']:>7.1f} {r['p50_ms']:>8.1f} "
                f"{r['p99_ms']:>8.1f}"
            )
            if r["first_error"]:
                print(f"        first error: {r['first_error']}")


if __name__ == "__main__":
    main()
