"""Training speed: the seed's DataLoader pipeline against train.py's path, side by side.

    python -m bench.train_speed --data-dir ../shared/mnist            # 10 epochs each
    python -m bench.train_speed --data-dir ../shared/mnist --epochs 2  # a quick look

Both train the same LeNet-5 with the same hyperparameters (the seed recipe:
batch 64, SGD lr 0.01, momentum 0.5) from the same initial weights. Epochs
alternate (seed epoch 1, ours epoch 1, seed epoch 2, ...), so drifts in the
machine's load hit both alike. Prints seconds per epoch, their ratio and the
test accuracy of each after every epoch.

- seed: `DataLoader(datasets.MNIST(transform=ToTensor() + Normalize))`,
  per-sample PIL decoding and transforms, num_workers=0 (the seed's CPU setting).
- ours: `lenet.training.train_epoch`: the dataset decoded once into a tensor on
  the device, one gather per epoch, batches are slices; the model and optimizer as
  train.py makes them (channels-last on the CPU, the fused SGD step).
"""

from __future__ import annotations

import copy
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from bench import harness
from lenet.contract import MNIST_MEAN, MNIST_STD
from lenet.data import load_mnist
from lenet.model import LeNet5
from lenet.recipes import RECIPES
from lenet.training import evaluate, make_optimizer, place_model, select_device, train_epoch


class SeedLeNet5(LeNet5):
    """The same layers, fed the seed pipeline's already-normalized tensors.

    Undoing the pipeline's Normalize (one multiply-add) lets LeNet5.forward
    apply its own: the model and its arithmetic stay those of train.py's path.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x * MNIST_STD + MNIST_MEAN)


def seed_epoch(model, optimizer, loader, device) -> None:
    """The seed's loop: batches from the DataLoader, moved to the device one by one."""
    model.train()
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(images), labels).backward()
        optimizer.step()


def train_speed(data_dir: Path, epochs: int, device: torch.device) -> harness.Table:
    """Seconds per epoch of both pipelines, epochs alternating, and their test accuracy."""
    from torchvision import datasets, transforms

    config = RECIPES["seed"]
    torch.manual_seed(config.seed)
    seed_model = SeedLeNet5().to(device)
    our_model = place_model(LeNet5(), device)
    our_model.load_state_dict(copy.deepcopy(seed_model.state_dict()))  # same start

    pipeline = transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))]
    )
    dataset = datasets.MNIST(str(data_dir), train=True, download=False, transform=pipeline)
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=config.batch_size, shuffle=True, num_workers=0
    )
    train, test = load_mnist(data_dir, device, download=False)
    generator = torch.Generator().manual_seed(config.seed)
    steps = len(loader)
    seed_opt = torch.optim.SGD(seed_model.parameters(), lr=config.lr, momentum=config.momentum)
    our_opt, our_sched = make_optimizer(our_model, config, steps)
    seed_test = copy.copy(test)  # the seed model sees normalized test images
    seed_test.images = (test.images - MNIST_MEAN) / MNIST_STD

    title = (
        f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"batch {config.batch_size}, SGD lr {config.lr} momentum {config.momentum}"
    )
    table = harness.Table(title, ["epoch", "seed s", "ours s", "speed-up", "seed acc", "ours acc"])
    seed_times, our_times = [], []
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        seed_epoch(seed_model, seed_opt, loader, device)
        if device.type == "cuda":
            torch.cuda.synchronize()
        seed_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        train_epoch(our_model, our_opt, our_sched, train, config, generator)
        our_times.append(time.perf_counter() - start)
        seed_acc = evaluate(seed_model, seed_test)["accuracy"]
        our_acc = evaluate(our_model, test)["accuracy"]
        table.add(
            epoch,
            f"{seed_times[-1]:.2f}",
            f"{our_times[-1]:.2f}",
            f"{seed_times[-1] / our_times[-1]:.2f}x",
            f"{100 * seed_acc:.2f}%",
            f"{100 * our_acc:.2f}%",
        )
    seed_median, our_median = statistics.median(seed_times), statistics.median(our_times)
    table.notes.append(
        f"median seconds per epoch: seed {seed_median:.2f}, ours {our_median:.2f}; "
        f"speed-up {seed_median / our_median:.2f}x (per-epoch range "
        f"{min(s / o for s, o in zip(seed_times, our_times, strict=True)):.2f}x-"
        f"{max(s / o for s, o in zip(seed_times, our_times, strict=True)):.2f}x); "
        f"final accuracy seed {100 * seed_acc:.2f}%, ours {100 * our_acc:.2f}% "
        f"(difference {100 * (our_acc - seed_acc):+.2f} points)"
    )
    return table


def main() -> None:
    args = harness.parser(__doc__, "data_dir", "device", "epochs").parse_args()
    harness.show(train_speed(args.data_dir, args.epochs, select_device(args.device)))


if __name__ == "__main__":
    main()
