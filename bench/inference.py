"""Inference speed: torch eager against onnxruntime (fp32 and int8), side by side.

    python bench/inference.py --data-dir ../shared/mnist

The torch model is exported to ONNX (and quantized to int8) in the same run,
so all three engines hold the same weights. Calls alternate between engines
(torch, ort fp32, ort int8, torch, ...) so the machine's drifts hit them
alike. Prints p50/p99 latency, images/s and the speed-up over torch at batch
sizes 1, 64 and 10,000, at 1 thread and at all cores, the same for both runtimes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lenet import onnx_export as ox  # noqa: E402
from lenet.checkpoint import load_checkpoint  # noqa: E402
from lenet.contract import INPUT_NAME  # noqa: E402
from lenet.data import load_split  # noqa: E402
from lenet.model import build_model  # noqa: E402

ROUNDS = {1: 2000, 64: 400, 10000: 15}


def ort_session(model: bytes, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument(
        "--checkpoint",
        type=Path,
        default=None,
        help="weights to use (default: freshly initialized; speed is the same)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        nargs="+",
        default=[1, torch.get_num_threads()],
        help="thread counts to compare, the same for both runtimes",
    )
    args = parser.parse_args()

    if args.checkpoint:
        checkpoint = load_checkpoint(args.checkpoint)
        model = build_model(checkpoint["model_config"])
        model.load_state_dict(checkpoint["model"])
    else:
        torch.manual_seed(0)
        model = build_model()
    model.eval()
    fp32 = ox.serialize(ox.export_onnx(model))
    train = load_split(args.data_dir, train=True, download=False)
    images = load_split(args.data_dir, train=False, download=False).images.numpy()
    int8 = ox.quantize_int8(fp32, train.images[:1000].numpy())

    import onnxruntime as ort

    print(f"torch {torch.__version__}, onnxruntime {ort.__version__}, CPU, real MNIST test images")
    print(
        f"{'threads':>7} {'batch':>6}  {'engine':<12} {'p50 ms':>9} {'p99 ms':>9} "
        f"{'images/s':>11} {'vs torch':>9}"
    )
    for threads in args.threads:
        torch.set_num_threads(threads)
        sessions = {"ort fp32": ort_session(fp32, threads), "ort int8": ort_session(int8, threads)}
        engines = {"torch eager": lambda batch: torch_run(model, batch)}
        for name, sess in sessions.items():
            engines[name] = lambda batch, sess=sess: sess.run(None, {INPUT_NAME: batch})
        for batch_size, rounds in ROUNDS.items():
            compare(engines, images, batch_size, rounds, threads)


def torch_run(model: torch.nn.Module, batch: np.ndarray) -> None:
    with torch.inference_mode():
        model(torch.from_numpy(batch))


def compare(engines: dict, images: np.ndarray, batch_size: int, rounds: int, threads: int) -> None:
    """Alternate calls between engines; print p50/p99, images/s and the ratio to torch."""
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
    torch_p50 = float(np.median(times["torch eager"]))
    for name, samples in times.items():
        p50, p99 = float(np.median(samples)), float(np.percentile(samples, 99))
        print(
            f"{threads:>7} {batch_size:>6}  {name:<12} {1e3 * p50:>9.3f} {1e3 * p99:>9.3f} "
            f"{batch_size / p50:>11,.0f} {torch_p50 / p50:>8.2f}x"
        )


if __name__ == "__main__":
    main()
