"""Plots with one consistent style: loss curves now; later chapters add gradient norms,
gate activations and attention heatmaps here."""
import matplotlib.pyplot as plt
import numpy as np

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"]

STYLE = {
    "figure.figsize": (7.0, 3.6),
    "figure.dpi": 90,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": plt.cycler(color=COLORS),
    "legend.frameon": False,
    "font.size": 10,
}


def use_style():
    """Apply the book's matplotlib style (small, gridded, no top/right spines)."""
    plt.rcParams.update(STYLE)


def smooth(values, window):
    """Moving average over `window` points (shorter at the start), for noisy loss curves."""
    values = np.asarray(values, dtype=float)
    if window <= 1 or values.size == 0:
        return values
    csum = np.cumsum(np.insert(values, 0, 0.0))
    out = np.empty_like(values)
    for i in range(values.size):
        lo = max(0, i + 1 - window)
        out[i] = (csum[i + 1] - csum[lo]) / (i + 1 - lo)
    return out


def loss_curves(histories, key="loss", val_key=None, ax=None, log=True, window=None, title=None):
    """Training loss (smoothed) and optionally a validation metric against step.

    histories: one `train.History` or a dict label -> History, to compare runs.
    key: the per-step training series to plot ("loss" by default).
    val_key: a metric from `evaluate` to overlay as dashed lines with markers.
    Returns the matplotlib Axes.
    """
    if not isinstance(histories, dict):
        histories = {"train": histories}
    if ax is None:
        use_style()
        _, ax = plt.subplots()
    for color, (label, h) in zip(COLORS * 10, histories.items()):
        if key not in h.train:
            raise KeyError(f"no training series {key!r}; have {sorted(h.train)}")
        y = h.train[key]
        w = window or max(1, len(y) // 50)
        ax.plot(h.train["step"], smooth(y, w), color=color, label=f"{label} ({key})")
        if val_key is not None:
            if val_key not in h.val:
                raise KeyError(f"no validation metric {val_key!r}; have {sorted(h.val)}")
            ax.plot(h.val["step"], h.val[val_key], "--o", ms=3, color=color, label=f"{label} (val {val_key})")
    ax.set_xlabel("step")
    ax.set_ylabel(key if val_key is None else f"{key} / {val_key}")
    if log:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.legend()
    return ax
