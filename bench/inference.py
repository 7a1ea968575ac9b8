"""Inference speed: torch eager against onnxruntime (fp32 and int8), and int8 against fp32.

    python -m bench.inference --data-dir ../shared/mnist
    python -m bench.inference --data-dir ../shared/mnist --checkpoint runs/best-seed1

The torch model is exported to ONNX and quantized to int8 as export.py does it, in the
same run, so all three engines hold the same weights. With --checkpoint (the model
export.py writes: calibrated), it first prints int8's accuracy and agreement against
fp32 on the 10,000 test images. Then each ONNX model's batch-1 latency alone, on one
thread; then the engines side by side: calls alternate between them (torch, ort fp32,
ort int8, torch, ...) so the machine's drifts hit them alike, with p50/p99 latency,
images/s and the speed-up over torch at batch sizes 1, 64 and 10,000, at 1 thread and
at all cores, the same for both runtimes.
"""

from __future__ import annotations

import time

import numpy as np
import onnxruntime as ort
import torch

from bench import harness
from demo.reading import ort_session
from lenet import onnx_export as ox
from lenet.checkpoint import load_checkpoint
from lenet.contract import INPUT_NAME
from lenet.data import load_split
from lenet.model import build_model

ROUNDS = {1: 2000, 64: 400, 10000: 15}
ALONE_WARMUP, ALONE_RUNS = 100, 2000  # batch-1 calls of one model by itself
EVAL_BATCH = 1000


def main() -> None:
    parser = harness.parser(__doc__, "data_dir", "checkpoint")
    parser.add_argument(
        "--threads",
        type=int,
        nargs="+",
        default=[1, torch.get_num_threads()],
        help="thread counts to compare, the same for both runtimes",
    )
    args = parser.parse_args()

    if args.checkpoint:
        model = load_checkpoint(args.checkpoint).network()
    else:
        torch.manual_seed(0)
        model = build_model().eval()
    fp32 = ox.serialize(ox.export_onnx(model))
    train = load_split(args.data_dir, train=True, download=False)
    test = load_split(args.data_dir, train=False, download=False)
    images = test.images.numpy()
    int8 = ox.quantize_int8(fp32, train.images[: ox.INT8_CALIBRATION_IMAGES].numpy())
    print(f"torch {torch.__version__}, onnxruntime {ort.__version__}, CPU, real MNIST test images")
    if args.checkpoint:
        print(int8_against_fp32(fp32, int8, images, test.labels.numpy()))
    print(batch_one_alone(fp32, int8, images[0]))
    harness.show(side_by_side(model, fp32, int8, images, args.threads))


def side_by_side(
    model: torch.nn.Module, fp32: bytes, int8: bytes, images: np.ndarray, threads: list[int]
) -> harness.Table:
    """torch and onnxruntime fp32 and int8, calls alternating, at each thread count and batch."""
    columns = ["threads", "batch", "engine", "p50 ms", "p99 ms", "images/s", "vs torch"]
    table = harness.Table("", columns)
    for count in threads:
        torch.set_num_threads(count)
        sessions = {"ort fp32": ort_session(fp32, count), "ort int8": ort_session(int8, count)}
        engines = {"torch eager": lambda batch: torch_run(model, batch)}
        for name, sess in sessions.items():
            engines[name] = lambda batch, sess=sess: sess.run(None, {INPUT_NAME: batch})
        for batch_size, rounds in ROUNDS.items():
            for row in compare(engines, images, batch_size, rounds):
                table.add(count, *row)
    return table


def batch_one_alone(fp32: bytes, int8: bytes, image: np.ndarray) -> str:
    """Each ONNX model's batch-1 latency by itself, on one thread."""
    (fp32_p50, fp32_p99), (int8_p50, int8_p99) = (alone_ms(m, image) for m in (fp32, int8))
    return (
        f"batch-1 latency, 1 thread: int8 p50 {int8_p50:.3f} ms / p99 {int8_p99:.3f} ms, fp32 "
        f"p50 {fp32_p50:.3f} ms / p99 {fp32_p99:.3f} ms (int8 is {int8_p50 / fp32_p50:.2f}x "
        "the fp32 time)"
    )


def int8_against_fp32(fp32: bytes, int8: bytes, images: np.ndarray, labels: np.ndarray) -> str:
    """int8's accuracy and its agreement with fp32 on `images`."""
    fp32_top = ox.run_batched(ox.session(fp32), images, EVAL_BATCH).argmax(1)
    int8_top = ox.run_batched(ox.session(int8), images, EVAL_BATCH).argmax(1)
    return (
        f"int8 accuracy {100 * (int8_top == labels).mean():.2f}% vs fp32 "
        f"{100 * (fp32_top == labels).mean():.2f}%; agreement with fp32 "
        f"{100 * (int8_top == fp32_top).mean():.2f}%"
    )


def alone_ms(model: bytes, image: np.ndarray) -> tuple[float, float]:
    """Median and 99th percentile of batch-1 latency in milliseconds, one model by itself."""
    sess = ort_session(model, threads=1)
    feed = {INPUT_NAME: image[None]}
    for _ in range(ALONE_WARMUP):
        sess.run(None, feed)
    times = []
    for _ in range(ALONE_RUNS):
        start = time.perf_counter()
        sess.run(None, feed)
        times.append(time.perf_counter() - start)
    return harness.p50_p99_ms(times)


def torch_run(model: torch.nn.Module, batch: np.ndarray) -> None:
    with torch.inference_mode():
        model(torch.from_numpy(batch))


def compare(engines: dict, images: np.ndarray, batch_size: int, rounds: int) -> list[list]:
    """Alternate calls between engines; each one's batch, p50/p99, images/s, ratio to torch."""
    batches = [images[(i * batch_size) % len(images) :][:batch_size] for i in range(rounds)]
    times: dict[str, list[float]] = {name: [] for name in engines}
    for batch in batches[: max(5, rounds // 20)]:  # warm-up
        for run in engines.values():
            run(batch)
    for batch in batches:
        for name, run in engines.items():
            start = time.perf_counter()
            run(batch)
            times[name].append(time.perf_counter() - start)
    torch_p50, _ = harness.p50_p99_ms(times["torch eager"])
    rows = []
    for name, samples in times.items():
        p50, p99 = harness.p50_p99_ms(samples)
        rate = 1e3 * batch_size / p50
        rows.append(
            [
                batch_size,
                name,
                f"{p50:.3f}",
                f"{p99:.3f}",
                f"{rate:,.0f}",
                f"{torch_p50 / p50:.2f}x",
            ]
        )
    return rows


if __name__ == "__main__":
    main()
