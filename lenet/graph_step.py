"""Training steps with static shapes, captured once as a CUDA graph and replayed.

LeNet-5's training step is about a hundred tiny kernels; launched one by one from Python,
the launches cost more than the arithmetic (issue 22: 2.2 ms a step on an H200, 0.41 ms
as a graph). `StaticStep` captures a whole step once (the batch's gather, augmentation,
forward, loss, backward, the optimizer's update and the loss sum) and replays it for
every full batch of every epoch. What makes that possible:

- Batches. Each epoch's shuffled order is copied into a static (batches, batch size)
  index buffer; the step reads its row through a counter on the device, so a replay
  takes nothing from the host. The last, partial batch of an epoch runs eagerly through
  the same code, so every image is trained on and an epoch has as many optimizer and
  schedule steps as in the eager loop (lenet.training.train_epoch).
- The learning rate and beta1 (AdamW) or momentum (SGD), which OneCycleLR changes every
  step, are device scalars. Before each step the host writes them from the optimizer's
  param_groups, where torch's scheduler keeps stepping them as in the eager loop; `fill_`
  launches a kernel and does not wait for the GPU.
- The optimizer's update (`CapturableUpdate`) is torch's AdamW or SGD update written with
  foreach ops that take those scalars as tensors. Torch's own capturable and fused
  optimizers (2.11-2.14) take beta1 and momentum as Python numbers, which a capture
  freezes: OneCycleLR's momentum cycle would silently stop. The update works on the torch
  optimizer's own state tensors, so checkpoints, resume and the eager loop are unchanged;
  tests/test_graph_step.py checks it against torch's optimizers.
- Random numbers (dropout, augmentation, outliers, drawn digits and digit fragments)
  are drawn on the device. Torch registers the CUDA generator with the graph, and each
  replay draws new numbers. The step's loss is lenet.training.step_loss, the eager loop's.
- The loss is summed on the device and read once per epoch.
- Warm-up: the first WARMUP_STEPS steps run eagerly on a side stream (they are real
  training steps, and set up cuDNN, cuBLAS and the allocator), then the step is captured.
  `capture_seconds` is what the warm-up and the capture took; it is part of the epoch's
  training time. It includes making the banks that step_loss draws from on first use
  (the glyphs of outlier exposure, about a second; the drawn digits' skeletons, a few
  seconds with numpy), which the eager loop pays in its first step too.

With capture=False the same step runs eagerly; on the CPU, tests use that to check that
it trains as the eager loop does.

Depends on torch internals, written against torch 2.11-2.14: the state keys of AdamW
("step", "exp_avg", "exp_avg_sq") and SGD ("momentum_buffer"), and the optimizer
attribute `_opt_called` that LRScheduler reads to tell whether the optimizer has stepped.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch
from tqdm import tqdm

from lenet.data import Split
from lenet.recipes import TrainConfig

# Eager steps before the capture, as in torch's CUDA graph examples. They set up cuDNN's
# and cuBLAS's handles and workspaces, the cached banks and matrices step_loss draws from
# (lenet/outliers.py's glyphs, lenet/drawn.py's skeletons, lenet/augment.py's resampling
# matrices) and the optimizer's state, none of which may be created while capturing.
WARMUP_STEPS = 3

StepLoss = Callable[[torch.nn.Module, torch.Tensor, torch.Tensor, TrainConfig], torch.Tensor]


class CapturableUpdate:
    """torch's AdamW or SGD update (as lenet.training.make_optimizer builds them) in ops
    that a CUDA graph can capture: no host syncs, and the scheduled hyperparameters read
    from device tensors.

    `load_hyperparameters()` copies the learning rate and beta1 or momentum from the
    optimizer's param_group to those tensors; call it before each step. Calling the object
    with the parameters' gradients applies one step to the parameters and to the torch
    optimizer's own state, as `optimizer.step()` would, up to float rounding.
    """

    def __init__(self, optimizer: torch.optim.Optimizer) -> None:
        if len(optimizer.param_groups) != 1:
            raise ValueError("the update takes an optimizer with one parameter group")
        group = optimizer.param_groups[0]
        self.group, self.params = group, list(group["params"])
        self.adamw = isinstance(optimizer, torch.optim.AdamW)
        if self.adamw:
            unsupported = group["amsgrad"] or group["maximize"]
        elif isinstance(optimizer, torch.optim.SGD):
            unsupported = group["nesterov"] or group["dampening"] or group["maximize"]
        else:
            raise ValueError(f"no capturable update for {type(optimizer).__name__}")
        if unsupported:
            raise ValueError("amsgrad, nesterov, dampening and maximize are not supported")
        device, dtype = self.params[0].device, self.params[0].dtype
        self.lr = torch.zeros((), device=device, dtype=dtype)
        self.momentum = torch.zeros((), device=device, dtype=dtype)  # AdamW's beta1, SGD's
        self._loaded: tuple[float, float] | None = None
        state = optimizer.state
        self.buffers: list[torch.Tensor] | None = None  # SGD's momentum buffers
        if self.adamw:
            for p in self.params:
                if not state[p]:  # as torch's AdamW creates it for fused or capturable steps
                    state[p]["step"] = torch.zeros((), dtype=torch.float32, device=device)
                    state[p]["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state[p]["exp_avg_sq"] = torch.zeros_like(
                        p, memory_format=torch.preserve_format
                    )
            self.steps = [state[p]["step"] for p in self.params]
            self.exp_avgs = [state[p]["exp_avg"] for p in self.params]
            self.exp_avg_sqs = [state[p]["exp_avg_sq"] for p in self.params]
        elif group["momentum"] != 0:  # OneCycleLR makes it nonzero when it cycles it
            for p in self.params:
                if state[p].get("momentum_buffer") is None:
                    # torch starts the buffer as a copy of the first gradient; a zero
                    # buffer gives exactly that: 0 * momentum + gradient.
                    state[p]["momentum_buffer"] = torch.zeros_like(
                        p, memory_format=torch.preserve_format
                    )
            self.buffers = [state[p]["momentum_buffer"] for p in self.params]
        # The updates run outside optimizer.step(); without this the scheduler would warn
        # that it stepped before the optimizer did.
        optimizer._opt_called = True  # type: ignore[attr-defined]

    def load_hyperparameters(self) -> None:
        """Copy the group's learning rate and beta1/momentum to the device (when changed)."""
        momentum = self.group["betas"][0] if self.adamw else self.group["momentum"]
        values = (float(self.group["lr"]), float(momentum))
        if values != self._loaded:
            self.lr.fill_(values[0])
            self.momentum.fill_(values[1])
            self._loaded = values

    @torch.no_grad()
    def __call__(self, grads: list[torch.Tensor]) -> None:
        """One step with `grads` (one per parameter, in the group's order)."""
        if self.adamw:
            self._adamw(grads)
        else:
            self._sgd(grads)

    def _adamw(self, grads: list[torch.Tensor]) -> None:
        """torch's AdamW: decoupled weight decay, then Adam with bias correction."""
        _, beta2 = self.group["betas"]  # constant: OneCycleLR cycles beta1 only
        decay, eps = self.group["weight_decay"], self.group["eps"]
        torch._foreach_add_(self.steps, 1)
        # Every parameter has taken the same number of steps. torch keeps them in float32;
        # the bias corrections are computed in the parameters' dtype.
        step = self.steps[0].to(self.lr.dtype)
        if decay != 0:
            torch._foreach_mul_(self.params, 1 - self.lr * decay)
        # exp_avg = beta1 * exp_avg + (1 - beta1) * grad, with beta1 a device tensor
        torch._foreach_mul_(self.exp_avgs, self.momentum)
        torch._foreach_add_(self.exp_avgs, torch._foreach_mul(grads, 1 - self.momentum))
        torch._foreach_mul_(self.exp_avg_sqs, beta2)
        torch._foreach_addcmul_(self.exp_avg_sqs, grads, grads, value=1 - beta2)
        step_size = self.lr / (1 - self.momentum**step)
        bias_correction2_sqrt = (1 - beta2**step).sqrt()
        denominators = torch._foreach_sqrt(self.exp_avg_sqs)
        torch._foreach_div_(denominators, bias_correction2_sqrt)
        torch._foreach_add_(denominators, eps)
        # param -= step_size * exp_avg / denominator, as param += exp_avg / (denominator /
        # -step_size): addcdiv's own factor would have to be a Python number.
        torch._foreach_div_(denominators, -step_size)
        torch._foreach_addcdiv_(self.params, self.exp_avgs, denominators)

    def _sgd(self, grads: list[torch.Tensor]) -> None:
        """torch's SGD: coupled weight decay, then momentum (no dampening, not Nesterov)."""
        decay = self.group["weight_decay"]
        if decay != 0:
            grads = torch._foreach_add(grads, self.params, alpha=decay)
        if self.buffers is not None:
            torch._foreach_mul_(self.buffers, self.momentum)
            torch._foreach_add_(self.buffers, grads)
            grads = self.buffers
        torch._foreach_sub_(self.params, torch._foreach_mul(grads, self.lr))


class StaticStep:
    """A run's training step with static shapes: replayed as a CUDA graph (capture=True,
    data on CUDA), or run eagerly (capture=False, any device).

    `split` stays where it is for the whole run: the graph reads its images by address.
    `optimizer` is the run's, as make_optimizer built it (and a checkpoint loaded it).
    `step_loss(model, x, y, config)` is the loss of one batch, as the eager loop's.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        optimizer: torch.optim.Optimizer,
        split: Split,
        config: TrainConfig,
        step_loss: StepLoss,
        capture: bool,
    ) -> None:
        device = split.images.device
        if capture and device.type != "cuda":
            raise ValueError(f"a CUDA graph needs the data on a CUDA device, not {device.type}")
        self.model, self.optimizer, self.config = model, optimizer, config
        self.images, self.labels, self.step_loss = split.images, split.labels, step_loss
        self.capture = capture
        self.update = CapturableUpdate(optimizer)
        self.full_batches = len(split) // config.batch_size
        self.order = torch.zeros(
            self.full_batches, config.batch_size, dtype=torch.long, device=device
        )
        self.position = torch.zeros(1, dtype=torch.long, device=device)  # the order's row
        self.loss_sum = torch.zeros((), device=device)  # of the full batches' mean losses
        self.graph: torch.cuda.CUDAGraph | None = None
        self.capture_seconds: float | None = None  # warm-up and capture, once captured
        self._warmed_up = 0
        self._warmup_seconds = 0.0
        self._stream: torch.cuda.Stream | None = None
        self._graph_grads: list[torch.Tensor] = []  # the gradients the graph writes

    def train_epoch(
        self,
        scheduler: torch.optim.lr_scheduler.LRScheduler | None,
        generator: torch.Generator,
        max_batches: int | None = None,
        progress: str | None = None,
    ) -> float:
        """One pass in a shuffled order, drawn as lenet.training.train_epoch draws it;
        returns the mean training loss (read from the device once, at the end)."""
        self.model.train()
        n, size = len(self.labels), self.config.batch_size
        order = torch.randperm(n, generator=generator)
        batches = range(0, n, size)
        if max_batches is not None:
            batches = batches[:max_batches]
        full = min(len(batches), self.full_batches)
        tail = order[full * size : full * size + size] if len(batches) > full else order[:0]
        self.order[:full].copy_(order[: full * size].view(full, size))
        self.position.zero_()
        self.loss_sum.zero_()
        for _ in tqdm(
            range(full), desc=progress, leave=False, disable=progress is None, unit="batch"
        ):
            self.update.load_hyperparameters()
            self._full_batch()
            if scheduler is not None:
                scheduler.step()
        total = self.loss_sum * size
        if len(tail):
            self.update.load_hyperparameters()
            self.optimizer.zero_grad(set_to_none=True)
            loss, _ = self._train_on(tail.to(self.images.device))
            total = total + loss * len(tail)
            if scheduler is not None:
                scheduler.step()
        return total.item() / (full * size + len(tail))

    def _full_batch(self) -> None:
        """The next full batch: replayed, run eagerly, warmed up, or captured and replayed."""
        if self.graph is not None:
            self.graph.replay()
        elif not self.capture:
            self.optimizer.zero_grad(set_to_none=True)
            self._static_step()
        elif self._warmed_up < WARMUP_STEPS:
            self._warm_up()
        else:
            self._capture()
            self.graph.replay()

    def _static_step(self) -> list[torch.Tensor]:
        """What the graph holds: the batch at `position`, trained on; returns the gradients."""
        index = self.order.index_select(0, self.position).view(-1)
        self.position.add_(1)
        loss, grads = self._train_on(index)
        self.loss_sum.add_(loss)
        return grads

    def _train_on(self, index: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Forward, backward and update on the images at `index`; (the batch's mean loss,
        the gradients). The gradients must be None before: backward creates them."""
        x, y = self.images.index_select(0, index), self.labels.index_select(0, index)
        loss = self.step_loss(self.model, x, y, self.config)
        loss.backward()
        grads = [p.grad for p in self.update.params]
        self.update(grads)
        return loss.detach(), grads

    def _warm_up(self) -> None:
        """One eager step on the side stream the capture will use, as torch's docs do."""
        if self._stream is None:
            self._stream = torch.cuda.Stream()
        torch.cuda.synchronize()
        started = time.perf_counter()
        self._stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(self._stream):
            self.optimizer.zero_grad(set_to_none=True)
            self._static_step()
        torch.cuda.current_stream().wait_stream(self._stream)
        torch.cuda.synchronize()
        self._warmup_seconds += time.perf_counter() - started
        self._warmed_up += 1

    def _capture(self) -> None:
        """Record one step into `self.graph` (nothing runs until it is replayed)."""
        started = time.perf_counter()
        # Gradients set to None, so that backward creates them in the graph's memory pool
        # and every replay writes them there.
        self.optimizer.zero_grad(set_to_none=True)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, stream=self._stream):
            self._graph_grads = self._static_step()
        torch.cuda.synchronize()
        self.capture_seconds = self._warmup_seconds + time.perf_counter() - started
        self.graph = graph
