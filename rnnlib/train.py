"""The one training loop every chapter uses: `fit`.

A chapter supplies the model, a loss function and a source of batches; `fit` does the
rest: optimiser steps, optional gradient clipping by norm, a progress bar, a
history of losses and metrics, periodic evaluation on a validation set, early stopping,
and a safety limit in seconds. Training is budgeted in steps, so results do not depend
on how busy the machine is; the seconds limit only guards against a runaway run, and
hitting it is reported, never silent.
"""
import copy
import itertools
import math
import time
import warnings

import torch
from tqdm.std import tqdm

from .utils import in_jupyter


class History:
    """What happened during `fit`.

    train: dict of lists, one entry per step: "step", "loss", "grad_norm" (before
        clipping) and any metric the loss function returned.
    val: dict of lists, one entry per evaluation: "step" and each metric `evaluate` returned.
    stop_reason: "steps", "early stop", "data exhausted", "time limit" or "non-finite loss".
    seconds: wall time of the whole run (for information only; never assert on it).
    """

    def __init__(self):
        self.train = {"step": [], "loss": [], "grad_norm": []}
        self.val = {"step": []}
        self.stop_reason = None
        self.seconds = 0.0

    def _add(self, table, step, values):
        table["step"].append(step)
        for key, value in values.items():
            table.setdefault(key, []).append(float(value))

    def last(self, key, split="val"):
        """The latest value of a metric, e.g. history.last("mse")."""
        table = self.val if split == "val" else self.train
        if not table.get(key):
            raise KeyError(f"no {split} metric {key!r}; have {sorted(k for k in table if k != 'step')}")
        return table[key][-1]

    def __repr__(self):
        parts = [f"{len(self.train['step'])} steps", f"stop: {self.stop_reason}"]
        if self.train["loss"]:
            parts.append(f"last loss {self.train['loss'][-1]:.4g}")
        parts += [f"val {k} {v[-1]:.4g}" for k, v in self.val.items() if k != "step" and v]
        return "History(" + ", ".join(parts) + ")"


class DisplayLine:
    """A file for tqdm that shows its bar as one line of plain text, updated in place.

    tqdm redraws a bar by writing "\\r" and the new line. In a Jupyter kernel this object
    turns each redraw into an update of one display output (an IPython display handle), so
    a reader running the notebook watches the bar move, and the saved notebook keeps just
    the last line ("100%|##########| 1200/1200 [...]"): text that reads the same whether
    the notebook is trusted or not, where tqdm's widget bar leaves its first "0%" frozen in
    an untrusted notebook and a stream leaves every redraw in the file. The output is made
    at the first redraw, so a disabled bar leaves nothing.
    """

    encoding = "utf-8"  # tqdm draws a Unicode bar when the file's encoding allows it

    def __init__(self, display=None):
        self._display = display  # for tests: display(text) -> a handle with update(text)
        self._handle = None

    def write(self, text):
        line = text.rsplit("\r", 1)[-1].rstrip()
        if not line:
            return
        if self._handle is None:
            self._handle = self._show(line)
        else:
            self._handle.update({"text/plain": line}, raw=True)

    def _show(self, line):
        if self._display is not None:
            return self._display(line)
        from IPython.display import display
        return display({"text/plain": line}, raw=True, display_id=True)

    def flush(self):
        pass


def progress_bar(iterable, desc=None, disable=False):
    """A tqdm bar over `iterable`: on stderr in a terminal, a `DisplayLine` in Jupyter."""
    file = DisplayLine() if in_jupyter() else None
    return tqdm(iterable, desc=desc, disable=disable, mininterval=0.5, file=file)


def _batch_source(batches):
    """Turn `batches` into a function returning the next batch, or None when exhausted.

    A callable is called once per step (a synthetic task drawing fresh samples); a
    re-iterable (list, DataLoader) is cycled epoch after epoch; a one-shot iterator
    runs until it is exhausted.
    """
    if callable(batches):
        return batches
    if iter(batches) is batches:  # a generator or iterator: cannot be restarted
        return lambda: next(batches, None)
    cycle = itertools.chain.from_iterable(itertools.repeat(batches))
    return lambda: next(cycle, None)


def _split_loss(out):
    if isinstance(out, tuple):
        if len(out) != 2 or not isinstance(out[1], dict):
            raise ValueError("loss_fn must return a scalar loss or (loss, dict of metrics)")
        return out
    return out, {}


def fit(model, loss_fn, batches, *, steps, lr=1e-3, optimizer=None, clip_norm=None,
        evaluate=None, eval_every=None, patience=None, monitor=None, max_seconds=None,
        progress=True, desc=None):
    """Train `model` for `steps` optimiser steps and return a `History`.

    model: a torch.nn.Module.
    loss_fn(model, batch) -> loss, or (loss, {"metric": value, ...}); loss a scalar tensor.
    batches: a callable returning a batch (called every step), a list or DataLoader
        (cycled), or an iterator (training stops when it runs out).
    steps: number of optimiser steps, the budget.
    lr / optimizer: Adam with learning rate `lr`, unless an optimizer is given.
    clip_norm: if set, rescale the gradient so its global norm is at most this
        (torch.nn.utils.clip_grad_norm_); the norm before clipping is recorded.
    evaluate(model) -> {"metric": value, ...}: run under torch.no_grad() in eval mode
        every `eval_every` steps (default: 10 times per run) and after the last step.
    patience, monitor: stop when the evaluated metric `monitor` (default: the first one
        `evaluate` returns; lower is better) has not improved for `patience`
        evaluations, and restore the weights of the best evaluation.
    max_seconds: a safety limit; reaching it stops training with a warning.
    progress: show a tqdm progress bar: on stderr in a terminal; in Jupyter, one line of
        text redrawn in place (see `progress_bar`).
    """
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    if patience is not None and evaluate is None:
        raise ValueError("patience needs an evaluate function to monitor")
    if clip_norm is not None and clip_norm <= 0:
        raise ValueError(f"clip_norm must be positive, got {clip_norm}")
    params = [p for p in model.parameters() if p.requires_grad]
    if optimizer is None:
        optimizer = torch.optim.Adam(params, lr=lr)
    next_batch = _batch_source(batches)
    eval_every = eval_every or max(1, steps // 10)
    history = History()
    best_value, best_state, bad_evals = math.inf, None, 0
    start = time.perf_counter()

    def run_evaluation(step):
        nonlocal best_value, best_state, bad_evals, monitor
        was_training = model.training
        model.eval()
        with torch.no_grad():
            metrics = evaluate(model)
        model.train(was_training)
        history._add(history.val, step, metrics)
        if patience is None:
            return False
        monitor = monitor or next(iter(metrics))
        if monitor not in metrics:
            raise KeyError(f"monitor {monitor!r} is not among the evaluated metrics {sorted(metrics)}")
        if metrics[monitor] < best_value:
            best_value, best_state, bad_evals = metrics[monitor], copy.deepcopy(model.state_dict()), 0
        else:
            bad_evals += 1
        return bad_evals >= patience

    model.train()
    bar = progress_bar(range(1, steps + 1), desc=desc, disable=not progress)
    history.stop_reason = "steps"
    for step in bar:
        batch = next_batch()
        if batch is None:
            history.stop_reason = "data exhausted"
            break
        loss, metrics = _split_loss(loss_fn(model, batch))
        if not torch.isfinite(loss.detach()):
            history.stop_reason = "non-finite loss"
            warnings.warn(f"fit: loss became {loss.item()} at step {step}; stopping "
                          "(try a smaller learning rate or clip_norm)")
            break
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if clip_norm is not None:
            grad_norm = torch.nn.utils.clip_grad_norm_(params, clip_norm)
        else:
            grads = [p.grad.detach().flatten() for p in params if p.grad is not None]
            grad_norm = torch.linalg.vector_norm(torch.cat(grads)) if grads else torch.tensor(0.0)
        optimizer.step()
        history._add(history.train, step, {"loss": loss.detach(), "grad_norm": grad_norm, **metrics})
        if step % max(1, steps // 100) == 0:
            bar.set_postfix(loss=f"{history.train['loss'][-1]:.4g}", refresh=False)
        stop = False
        if evaluate is not None and (step % eval_every == 0 or step == steps):
            stop = run_evaluation(step)
        if stop:
            history.stop_reason = "early stop"
            break
        if max_seconds is not None and time.perf_counter() - start > max_seconds:
            history.stop_reason = "time limit"
            warnings.warn(f"fit: stopped at step {step} of {steps}: the {max_seconds} s safety "
                          "limit was reached, so results are not those of the full budget")
            break
    bar.close()
    if evaluate is not None and history.train["step"] and (
            not history.val["step"] or history.val["step"][-1] != history.train["step"][-1]):
        run_evaluation(history.train["step"][-1])
    if patience is not None and best_state is not None:
        model.load_state_dict(best_state)
    history.seconds = time.perf_counter() - start
    return history
