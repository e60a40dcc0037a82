"""Shared experiments: the long-lag adding problem that chapter 03 (vanilla RNN) and
chapter 04 (LSTM) run with the same task, size and budget.

The configuration lives in one place, `ADDING`. A model is any recurrent module with
torch.nn.RNN's interface wrapped in `SequenceRegressor`; `train_adding` trains it with
`rnnlib.fit` on fresh batches of `rnnlib.data.adding_problem` and reports the MSE on a
fixed test set. Predicting the constant 1 scores MSE = 1/6 (`ADDING_BASELINE_MSE`), the
bar a network that remembers nothing sits at. benchmarks/adding_seeds.py repeats the
experiment over seeds for the tanh RNN, the LSTM and the GRU.
"""
import numpy as np
import torch
from torch import nn

from .data import adding_problem
from .diagnostics import scale_to_spectral_radius
from .layers import RNN
from .train import fit

# T: sequence length; hidden: state size; batch: sequences per step (drawn fresh every
# step); lr, clip_norm: Adam and clipping by global norm; steps: the training budget;
# test_size, test_seed: the fixed test set every model is scored on.
ADDING = dict(T=50, hidden=64, batch=64, lr=1e-2, clip_norm=1.0, steps=1200,
              test_size=1000, test_seed=1234)

ADDING_BASELINE_MSE = 1 / 6  # Var(u1 + u2) for u1, u2 ~ U(0, 1): always answering 1

CELLS = ("rnn", "lstm", "gru", "rnnlib")


class SequenceRegressor(nn.Module):
    """A recurrent module read out at the last step by a linear layer: one number per sequence.

        y = w . h_T + b,    h_T = the module's output at the last step

    rnn: a module with torch.nn.RNN's interface, rnn(x) -> (output, state), output
        (T, B, hidden) (time first): nn.RNN, nn.LSTM, nn.GRU or rnnlib.layers.RNN.
    hidden: the size of rnn's output.
    forward(x (T, B, D)) -> y (B,).
    """

    def __init__(self, rnn, hidden):
        super().__init__()
        size = getattr(rnn, "hidden_size", hidden)
        if size != hidden:
            raise ValueError(f"hidden: expected the module's hidden_size {size}, got {hidden}")
        if getattr(rnn, "batch_first", False):
            raise ValueError("SequenceRegressor expects a time-first module (batch_first=False)")
        self.rnn = rnn
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        if x.dim() != 3:
            raise ValueError(f"x: expected shape (T, B, D), got {tuple(x.shape)}")
        output, _ = self.rnn(x)
        return self.head(output[-1]).squeeze(-1)


def set_forget_bias_(lstm, value=1.0):
    """Set the forget-gate bias of every layer of a torch.nn.LSTM-style module to `value`.

    Gate order i, f, g, o (torch.nn): the forget gate is the second quarter of the bias.
    The total bias is b_ih + b_hh, so b_ih's quarter gets `value` and b_hh's gets 0.
    Starting near f = sigmoid(1) = 0.73 lets the cell state carry information across many
    steps from the first update (Gers, Schmidhuber & Cummins 2000; Jozefowicz et al. 2015).
    """
    H = lstm.hidden_size
    with torch.no_grad():
        for name, p in lstm.named_parameters():
            if name.startswith("bias_ih"):
                p[H:2 * H] = value
            elif name.startswith("bias_hh"):
                p[H:2 * H] = 0.0
    return lstm


def init_recurrent_(rnn, scheme, gain=1.0):
    """Re-initialise the recurrent matrix W_hh of a single-layer RNN module in place.

    rnn: torch.nn.RNN or rnnlib.layers.RNN (parameter weight_hh_l0, (H, H)).
    scheme: "gaussian": W_hh ~ N(0, gain^2 / H), spectral radius about `gain`;
            "orthogonal": W_hh = gain * Q, Q a random orthogonal matrix (every singular
                value equals gain; Saxe, McClelland & Ganguli 2014);
            "identity": W_hh = gain * I and zero biases (with ReLU: the IRNN of
                Le, Jaitly & Hinton 2015).
    The draws come from torch's global generator. Returns rnn.
    """
    W = rnn.weight_hh_l0
    H = W.shape[0]
    with torch.no_grad():
        if scheme == "gaussian":
            nn.init.normal_(W, 0.0, gain / H ** 0.5)
        elif scheme == "orthogonal":
            nn.init.orthogonal_(W, gain=gain)
        elif scheme == "identity":
            W.copy_(gain * torch.eye(H))
            for b in (rnn.bias_ih_l0, rnn.bias_hh_l0):
                if b is not None:
                    b.zero_()
        else:
            raise ValueError(f"scheme must be 'gaussian', 'orthogonal' or 'identity', got {scheme!r}")
    return rnn


def make_adding_model(cell="rnn", seed=0, hidden=None, nonlinearity="tanh", init=None, radius=None,
                      forget_bias=1.0):
    """A SequenceRegressor for the adding problem (input size 2), initialised from `seed`.

    cell: "rnn" (torch.nn.RNN), "rnnlib" (rnnlib.layers.RNN, the same model written
        from the equations, slower), "lstm" (torch.nn.LSTM, forget-gate bias 1) or "gru"
        (torch.nn.GRU). hidden defaults to ADDING["hidden"].
    forget_bias: for the LSTM only, the initial forget-gate bias (see `set_forget_bias_`).
    For the two RNNs only: nonlinearity "tanh" or "relu"; init, a scheme of
        `init_recurrent_` (None keeps torch.nn's uniform initialisation); radius, if
        set, rescales W_hh to that spectral radius.
    The weights depend only on `seed`: the global torch random state is left untouched.
    The model is on the CPU; move it with .to(device).
    """
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {CELLS}, got {cell!r}")
    if cell in ("lstm", "gru") and (init is not None or radius is not None or nonlinearity != "tanh"):
        raise ValueError("nonlinearity, init and radius apply to the plain RNNs ('rnn', 'rnnlib') only")
    if cell != "lstm" and forget_bias != 1.0:
        raise ValueError(f"forget_bias applies to the LSTM only, not to {cell!r}")
    hidden = ADDING["hidden"] if hidden is None else hidden
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if cell == "lstm":
            rnn = set_forget_bias_(nn.LSTM(2, hidden), forget_bias)
        elif cell == "gru":
            rnn = nn.GRU(2, hidden)
        else:
            rnn = (nn.RNN if cell == "rnn" else RNN)(2, hidden, nonlinearity=nonlinearity)
            if init is not None:
                init_recurrent_(rnn, init)
            if radius is not None:
                with torch.no_grad():
                    rnn.weight_hh_l0.copy_(scale_to_spectral_radius(rnn.weight_hh_l0, radius))
        return SequenceRegressor(rnn, hidden)


def adding_test_set(T=None, test_size=None, test_seed=None, device="cpu"):
    """The fixed test set: (x (T, test_size, 2), y (test_size,)) float32 tensors on `device`."""
    T = ADDING["T"] if T is None else T
    test_size = ADDING["test_size"] if test_size is None else test_size
    test_seed = ADDING["test_seed"] if test_seed is None else test_seed
    x, y = adding_problem(test_size, T, np.random.default_rng(test_seed))
    return torch.as_tensor(x, device=device), torch.as_tensor(y, device=device)


def mse_loss(model, batch):
    """Mean squared error of the model's prediction, the adding problem's loss."""
    x, y = batch
    return ((model(x) - y) ** 2).mean()


def train_adding(model, seed, steps=None, progress=True, optimizer=None, **overrides):
    """Train `model` on the adding problem with the `ADDING` configuration.

    model: maps x (T, B, 2) to y (B,), e.g. `make_adding_model(...)`; it is trained on
        the device its parameters are on.
    seed: seeds the stream of training batches (fresh batches every step, drawn from
        np.random.default_rng(seed)); the model's weights are whatever it came with.
    steps: the budget, ADDING["steps"] by default.
    optimizer: a torch optimizer over model's parameters (then `lr` is unused); Adam
        with ADDING["lr"] by default.
    overrides: other ADDING entries (T, batch, lr, clip_norm, test_size, test_seed);
        clip_norm=None trains without clipping. `hidden` belongs to the model.
    Returns (history, test_mse): the `fit` History, whose val["mse"] holds the test MSE
    at 10 points of the run, and the test MSE after the last step.
    """
    unknown = set(overrides) - (set(ADDING) - {"hidden", "steps"})
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; choose from "
                         f"{sorted(set(ADDING) - {'hidden', 'steps'})} (hidden belongs to the model)")
    cfg = {**ADDING, **overrides}
    steps = cfg["steps"] if steps is None else steps
    device = next(model.parameters()).device
    rng = np.random.default_rng(seed)
    x_test, y_test = adding_test_set(cfg["T"], cfg["test_size"], cfg["test_seed"], device)

    def next_batch():
        x, y = adding_problem(cfg["batch"], cfg["T"], rng)
        return torch.as_tensor(x, device=device), torch.as_tensor(y, device=device)

    def evaluate(model):
        return {"mse": mse_loss(model, (x_test, y_test)).item()}

    history = fit(model, mse_loss, next_batch, steps=steps, lr=cfg["lr"], optimizer=optimizer,
                  clip_norm=cfg["clip_norm"],
                  evaluate=evaluate, progress=progress, desc="adding problem")
    return history, history.last("mse")


# Chapter 03's exploding-gradient experiment: plain SGD (whose step grows with the
# gradient, unlike Adam's) on the adding problem, from a tanh RNN whose W_hh is rescaled
# to a spectral radius of 2, where the network is chaotic and gradients explode.
EXPLODING = dict(radius=2.0, lr=0.03, steps=300)


def train_exploding(seed, radius=None, clip_norm=None, device="cpu", progress=False):
    """Train a tanh RNN (W_hh at spectral radius `radius`, EXPLODING["radius"] by default)
    on the adding problem with SGD at EXPLODING["lr"] for EXPLODING["steps"] steps,
    clipping the gradient norm to `clip_norm` (None: no clipping).

    Returns (history, test_mse) as `train_adding`; history.train["grad_norm"] is the norm
    before clipping. A run whose loss overflows stops early (history.stop_reason
    "non-finite loss", with a warning from `fit`).
    """
    radius = EXPLODING["radius"] if radius is None else radius
    model = make_adding_model("rnn", seed=seed, radius=radius).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=EXPLODING["lr"])
    return train_adding(model, seed, steps=EXPLODING["steps"], progress=progress,
                        optimizer=optimizer, clip_norm=clip_norm)


def spike_summary(history, warmup=10):
    """How a run went, for spotting exploding gradients: a dict with
    diverged: the loss overflowed (fit stopped with "non-finite loss");
    max_loss: the largest training loss after the first `warmup` steps (inf if diverged);
    max_grad_norm: the largest gradient norm before clipping (inf if it overflowed);
    final_loss: the mean training loss over the last 50 steps recorded.
    """
    loss = np.asarray(history.train["loss"], dtype=float)
    grad = np.asarray(history.train["grad_norm"], dtype=float)
    diverged = history.stop_reason == "non-finite loss"
    after = loss[warmup:]
    max_loss = np.inf if diverged or not np.all(np.isfinite(after)) else float(np.max(after, initial=0.0))
    return {"diverged": diverged, "max_loss": max_loss,
            "max_grad_norm": float(np.nan_to_num(grad, nan=np.inf, posinf=np.inf).max(initial=0.0)),
            "final_loss": float(loss[-50:].mean()) if loss.size else float("nan")}
