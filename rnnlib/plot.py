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


def _axes(ax):
    """The Axes to draw on: the one given, or a new figure's in the book's style."""
    if ax is None:
        use_style()
        _, ax = plt.subplots()
    return ax


def _finish(ax, log, title):
    if log:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.legend()
    return ax


def loss_curves(histories, key="loss", val_key=None, ax=None, log=True, window=None, title=None):
    """Training loss (smoothed) and optionally a validation metric against step.

    histories: one `train.History` or a dict label -> History, to compare runs.
    key: the per-step training series to plot ("loss" by default).
    val_key: a metric from `evaluate` to overlay as dashed lines with markers.
    Returns the matplotlib Axes.
    """
    if not isinstance(histories, dict):
        histories = {"train": histories}
    ax = _axes(ax)
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
    return _finish(ax, log, title)


def grad_norm_by_lag(norms, ax=None, log=True, mark_lag=None, title=None):
    """Gradient norm against lag k = T - t: how much of the error signal reaches k steps back.

    norms: a (T + 1,) array indexed by lag, as rnnlib.diagnostics returns it
        (`grad_norm_by_lag`, `numpy_grad_norm_by_lag`), or a dict label -> such array
        to compare models (lengths may differ).
    log: logarithmic y axis, on which exponential decay is a straight line.
    mark_lag: draw a dotted vertical line at this lag (the one a claim reads off).
    Returns the matplotlib Axes.
    """
    if not isinstance(norms, dict):
        norms = {"gradient": norms}
    ax = _axes(ax)
    for color, (label, values) in zip(COLORS * 10, norms.items()):
        values = np.asarray(values, dtype=float)
        if values.ndim != 1:
            raise ValueError(f"{label}: expected norms of shape (T + 1,), got {values.shape}")
        ax.plot(np.arange(values.size), values, color=color, label=label)
    if mark_lag is not None:
        ax.axvline(mark_lag, color="0.4", ls=":", lw=1)
    ax.set_xlabel("lag k = T - t (steps back from the loss)")
    ax.set_ylabel(r"$\|\partial L / \partial h_{T-k}\|$")
    return _finish(ax, log, title)


def gate_activations(gates, markers=None, axes=None, title=None, unit_labels=None):
    """Heatmaps of an LSTM's gates and cell state over one sequence: time across, units down.

    gates: dict name -> (T, H) array for one sequence, e.g. {"input gate i": i,
        "forget gate f": f, "output gate o": o, "cell state c": c}. A panel whose values
        all lie in [0, 1] (a gate) is coloured on the fixed scale 0..1; any other (the
        cell state) on a diverging scale symmetric about 0.
    markers: optional (T,) bool array; the marked steps (e.g. the adding problem's two
        markers) are drawn as white dashed vertical lines on every panel.
    axes: one Axes per panel, or None for a new figure with the panels stacked.
    unit_labels: optional H labels for the rows (e.g. the units' indices), top to bottom.
    Returns the list of Axes.
    """
    arrays = {name: np.asarray(a, dtype=float) for name, a in gates.items()}
    shapes = {a.shape for a in arrays.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise ValueError(f"gates: expected arrays of one shape (T, H), got "
                         f"{ {name: a.shape for name, a in arrays.items()} }")
    T, H = next(iter(shapes))
    if unit_labels is not None and len(unit_labels) != H:
        raise ValueError(f"unit_labels: expected {H} labels, one per row, got {len(unit_labels)}")
    if markers is not None:
        markers = np.asarray(markers, dtype=bool)
        if markers.shape != (T,):
            raise ValueError(f"markers: expected shape (T,) = ({T},), got {markers.shape}")
    if axes is None:
        use_style()
        _, axes = plt.subplots(len(arrays), 1, sharex=True,
                               figsize=(7.0, 1.0 + 0.25 * min(H, 8) * len(arrays)), squeeze=False)
        axes = axes[:, 0]
    if len(axes) != len(arrays):
        raise ValueError(f"axes: expected {len(arrays)} Axes, one per panel, got {len(axes)}")
    for ax, (name, a) in zip(axes, arrays.items()):
        if a.min() >= 0 and a.max() <= 1:
            style = dict(cmap="viridis", vmin=0.0, vmax=1.0)
        else:
            limit = max(float(np.abs(a).max()), 1e-12)
            style = dict(cmap="RdBu_r", vmin=-limit, vmax=limit)
        # row j is unit j, from the top; column t - 1 is time step t
        image = ax.imshow(a.T, aspect="auto", interpolation="nearest", origin="upper",
                          extent=(0.5, T + 0.5, H - 0.5, -0.5), **style)
        ax.figure.colorbar(image, ax=ax, pad=0.01, fraction=0.03)
        if markers is not None:
            for t in np.flatnonzero(markers):
                ax.axvline(t + 1, color="white", ls="--", lw=1)
        ax.set_ylabel(name)
        if unit_labels is None:
            ax.set_yticks([])
        else:
            ax.set_yticks(np.arange(H), [str(label) for label in unit_labels], fontsize=7)
        ax.grid(False)
    axes[-1].set_xlabel("time step t")
    if title:
        axes[0].set_title(title)
    return list(axes)


def attention_heatmap(weights, source_tokens, target_tokens, ax=None, title=None):
    """Attention weights as a heatmap: output steps down, source positions across.

    weights: (T, S) array, row t the attention distribution the decoder used when it
        emitted target token t (rows sum to 1; padded source positions already removed).
    source_tokens: S labels for the columns (the input characters or words).
    target_tokens: T labels for the rows (the emitted characters or words).
    Colours run on the fixed scale 0..1, so heatmaps of different models compare directly.
    Returns the matplotlib Axes.
    """
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 2:
        raise ValueError(f"weights: expected shape (T, S), got {weights.shape}")
    T, S = weights.shape
    if len(source_tokens) != S or len(target_tokens) != T:
        raise ValueError(f"weights: expected shape (T, S) = ({len(target_tokens)}, {len(source_tokens)}) "
                         f"to match the tokens, got {weights.shape}")
    if ax is None:
        use_style()
        _, ax = plt.subplots(figsize=(min(9.0, 1.5 + 0.3 * S), min(7.0, 1.0 + 0.3 * T)))
    image = ax.imshow(weights, aspect="auto", interpolation="nearest", cmap="viridis",
                      vmin=0.0, vmax=1.0)
    ax.figure.colorbar(image, ax=ax, pad=0.01, fraction=0.04)
    # a space would be an invisible tick label; show it as an open-box symbol
    ax.set_xticks(np.arange(S), [str(s) if str(s) != " " else "\u2423" for s in source_tokens],
                  rotation=90 if any(len(str(s)) > 1 for s in source_tokens) else 0)
    ax.set_yticks(np.arange(T), [str(t) if str(t) != " " else "\u2423" for t in target_tokens])
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    ax.grid(False)
    if title:
        ax.set_title(title)
    return ax


def show_widget(widget, text):
    """Display an ipywidget with `text` as its plain-text form.

    A notebook opened without a running kernel (untrusted in JupyterLab, a static page, a
    repository viewer) shows an output's text/plain instead of the widget; by default that
    is the widget's repr, "VBox(children=(FloatSlider(value=1.1, ...". `text` says instead
    what stands there and where its static twin is, e.g. "[a slider for rho: run the
    chapter to move it; figure 2 shows the same point]".
    """
    from IPython.display import display
    bundle = dict(widget._repr_mimebundle_())
    bundle["text/plain"] = text
    display(bundle, raw=True)
