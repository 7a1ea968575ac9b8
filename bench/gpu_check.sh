#!/usr/bin/env bash
# Issue 22's GPU checks in one run: training steps as CUDA graphs against eager steps.
#
#   mkdir -p data && cp -r ../shared/mnist data/mnist   # once: MNIST in the repo (data/ is ignored)
#   bash bench/gpu_check.sh                             # from the repository root, on the GPU machine
#
# At most about 6 minutes on one H200 with torch 2.11 (CUDA), onnx and onnxruntime: the
# steps share a budget of $BUDGET seconds (default 340), each is cut at its own limit or
# at what is left of the budget, and a step that no longer fits is skipped and named in
# the summary. It installs nothing and reads nothing outside the repository: MNIST from
# $MNIST_DIR (default data/mnist, the folder that holds MNIST/raw). Everything it writes
# (logs, run folders, models) goes to $OUT/gpu-check ($OUT: the folder the device machine
# sends back; a fresh temporary folder if unset).
#
# 0. Smoke (under a minute; the script stops here if it fails): the environment, MNIST,
#    train.py --dry-run with graphs and with --no-cuda-graph.
# 1. tests/test_graph_step.py's GPU tests (and its optimizer check, against this torch):
#    each replay draws new dropout masks, the replay loop never waits for the GPU (every
#    recipe, and best with drawn digits and digit fragments), graph and eager runs of the
#    fast recipe, a graph run interrupted and resumed (with graphs and eagerly).
# 2. python -m bench.time_to_99: the fast recipe's time to 99% for seeds 1-5, graph and eager.
# 3. The seed recipe, 10 epochs: graph, then eager.
# 4. The best recipe (seed 1, the shipped model's): graph, export.py's parity on its
#    checkpoint, python -m bench.scribbles on its model; then the same eagerly (last: the
#    longest step, and the shipped model's own figures are the eager ones to compare with).
# 5. A summary of every figure, from the runs' own files.

set -uo pipefail
cd "$(dirname "$0")/.."
# The first interpreter that has torch: $PYTHON if set, else python3, else python.
PY=${PYTHON:-}
if [ -z "$PY" ]; then
    for candidate in python3 python; do
        if "$candidate" -c "import torch" 2>/dev/null; then PY=$candidate; break; fi
    done
fi
PY=${PY:-python3}
DATA=$(realpath -m "${MNIST_DIR:-data/mnist}")
export MNIST_DIR=$DATA  # the tests' MNIST
OUT=${OUT:-$(mktemp -d)}
RUNS=$OUT/gpu-check
BUDGET=${BUDGET:-340}  # seconds for every step but the summary
mkdir -p "$RUNS"

step() { echo; echo "=== $* (at ${SECONDS} s)"; }
# run LIMIT NAME COMMAND...: the command, cut at LIMIT seconds or at the end of the
# budget; its output also kept in $RUNS/NAME.log.
run() {
    local limit=$1 name=$2
    shift 2
    local left=$((BUDGET - SECONDS))
    if [ "$left" -lt 20 ]; then
        echo "!!! $name skipped: ${SECONDS} s of the ${BUDGET} s budget spent" |
            tee "$RUNS/$name.log"
        return 1
    fi
    [ "$limit" -le "$left" ] || limit=$left
    timeout "$limit" "$@" 2>&1 | tee "$RUNS/$name.log"
    local status=${PIPESTATUS[0]}
    [ "$status" = 0 ] || echo "!!! $name exited with status $status (limit $limit s)"
    return "$status"
}

main() {
step "0. smoke: the environment"
"$PY" - <<'EOF' || exit 1
import sys

import onnx
import onnxruntime
import torch

print(f"python {sys.version.split()[0]}, torch {torch.__version__} (CUDA {torch.version.cuda}), "
      f"onnx {onnx.__version__}, onnxruntime {onnxruntime.__version__}")
if not torch.cuda.is_available():
    sys.exit("no CUDA GPU is visible to torch")
print(f"GPU: {torch.cuda.get_device_name()}, {torch.cuda.device_count()} visible")
EOF
if [ ! -f "$DATA/MNIST/raw/train-images-idx3-ubyte" ]; then
    echo "MNIST not found under $DATA/MNIST/raw: run mkdir -p data && cp -r ../shared/mnist data/mnist first"
    exit 1
fi

step "0. smoke: train.py --dry-run, graph and eager"
run 60 dry-graph "$PY" train.py --dry-run --no-download --data-dir "$DATA" \
    --out "$RUNS/dry-graph" || exit 1
run 60 dry-eager "$PY" train.py --dry-run --no-cuda-graph --no-download --data-dir "$DATA" \
    --out "$RUNS/dry-eager" || exit 1
echo "smoke run passed at ${SECONDS} s"

step "1. tests/test_graph_step.py: the GPU tests and the optimizer check"
run 120 pytest "$PY" -m pytest -q -rs -m "" -p no:cacheprovider tests/test_graph_step.py \
    -k "update or replay or graph_and_eager or resumes_on_cuda"

step "2. the fast recipe: time to 99%, graph and eager, seeds 1-5"
run 90 time-to-99 "$PY" -m bench.time_to_99 --data-dir "$DATA" --device cuda

step "3. the seed recipe, 10 epochs"
run 45 seed-graph "$PY" train.py --no-download --data-dir "$DATA" --out "$RUNS/seed-graph"
run 60 seed-eager "$PY" train.py --no-cuda-graph --no-download --data-dir "$DATA" \
    --out "$RUNS/seed-eager"

step "4. the best recipe, seed 1: graph (trained, exported with parity, scribbles), then eager"
for mode in graph eager; do
    flag=$([ "$mode" = eager ] && echo --no-cuda-graph)
    run 120 "best-$mode" "$PY" train.py --recipe best $flag --no-download --data-dir "$DATA" \
        --out "$RUNS/best-$mode" &&
        run 60 "export-$mode" "$PY" export.py --checkpoint "$RUNS/best-$mode" \
            --no-download --data-dir "$DATA" --out "$RUNS/best-$mode.onnx" &&
        run 45 "scribbles-$mode" "$PY" -m bench.scribbles --model "$RUNS/best-$mode.onnx"
done

step "5. summary"
"$PY" - "$RUNS" <<'EOF'
import json
import re
import sys
from pathlib import Path

import torch

runs = Path(sys.argv[1])
gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "none"
print(f"GPU: {gpu}; torch {torch.__version__}")


def log(name: str) -> str:
    path = runs / f"{name}.log"
    return path.read_text() if path.is_file() else ""


print(f"{'run':<12} {'test acc':>9} {'train s':>8} {'capture s':>10} "
      f"{'ECE':>6} {'T':>6}  scribbles confident (all)")
for recipe in ("seed", "best"):
    for mode in ("graph", "eager"):
        name = f"{recipe}-{mode}"
        metrics_path = runs / name / "metrics.json"
        if not metrics_path.is_file():
            why = "skipped" if "skipped" in log(name) else "failed or timed out"
            print(f"{name:<12} (no metrics.json: {why}; see {name}.log)")
            continue
        metrics = json.loads(metrics_path.read_text())
        calibration = metrics["calibration"]
        capture = re.search(r"the capture took ([\d.]+) s", log(name))
        scribbles = re.search(r"^all\s+([\d.]+)%", log(f"scribbles-{mode}"), re.M)
        print(
            f"{name:<12} {100 * metrics['test_accuracy']:8.2f}% "
            f"{metrics['train_seconds']:8.2f} {capture.group(1) if capture else '-':>10} "
            f"{100 * calibration['test_ece']:5.2f}% {calibration['temperature']:6.3f}  "
            f"{scribbles.group(1) + '%' if recipe == 'best' and scribbles else '-'}"
        )
for mode in ("graph", "eager"):
    model = runs / f"best-{mode}.onnx"  # written only when parity passed
    if model.is_file():
        import onnx

        props = {p.key: p.value for p in onnx.load(str(model)).metadata_props}
        parity = json.loads(props["parity"])
        print(
            f"export of best-{mode}: parity passed, max |logit diff| "
            f"{parity['max_logit_diff']:.2e}, agreement {100 * parity['min_agreement']:.2f}%"
        )
    else:
        print(f"export of best-{mode}: no model written (parity failed or not run; see log)")
summaries = [
    line for line in log("time-to-99").splitlines() if line.startswith(("graph:", "eager:"))
]
print("time to 99% (fast recipe):" + ("" if summaries else " no result (see time-to-99.log)"))
for line in summaries:
    print("  " + line)
tests = [line for line in log("pytest").splitlines() if re.search(r"\d+ (passed|failed)", line)]
print("GPU tests: " + (tests[-1] if tests else "no result line (see pytest.log)"))
EOF
echo "full log and run folders: $RUNS (${SECONDS} s in all)"
}

main 2>&1 | tee "$RUNS/gpu_check.log"
exit "${PIPESTATUS[0]}"
