"""Forecasting a univariate time series with a recurrent network (chapter 06).

The normalisation is documented here once: a model sees z = (y - mean) / std, with the
mean and standard deviation of the *training* stretch only (`Standardizer`), and every
forecast is mapped back with y = z * std + mean, so that errors are in the series'
own units (sunspots, degrees C, thousands of passengers).

A `Forecaster` reads a window of values and, at every step t, predicts the value at
t + 1. `one_step_forecasts` uses it on the true recent past; `recursive_forecast` feeds
its own forecasts back to look several steps ahead; `naive_forecasts` gives chapter 0's
baselines for the same targets; `online_residuals` flags values that the model did not
expect (anomalies), replacing each flagged value by its forecast before going on.
"""
import csv

import numpy as np
import torch
from torch import nn

from ..data import data_path
from ..utils import check_int, check_shape

SERIES = {
    "monthly-sunspots": "monthly-sunspots.csv",
    "daily-min-temperatures": "daily-min-temperatures.csv",
    "airline-passengers": "airline-passengers.csv",
}


# ---------------------------------------------------------------- data

def load_series(name):
    """A univariate time series from data/: (labels, values).

    name: "monthly-sunspots", "daily-min-temperatures" or "airline-passengers" (the
        file name with ".csv" also works).
    labels: list of T str, the date of each observation ("1949-01", "1981-01-01").
    values: float64 array (T,).
    """
    key = name[:-4] if isinstance(name, str) and name.endswith(".csv") else name
    if not isinstance(key, str) or key not in SERIES:
        raise ValueError(f"unknown series {name!r}; expected one of {sorted(SERIES)}")
    with data_path(SERIES[key]).open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))[1:]  # skip the header row
    labels = [row[0] for row in rows]
    values = np.array([float(row[1]) for row in rows], dtype=np.float64)
    return labels, values


def make_windows(series, window, horizon=1):
    """Sliding windows for forecasting: inputs X (N, window), targets Y (N, horizon).

    series: 1-D array (T,). Row i: X[i] = series[i : i+window] and
    Y[i] = series[i+window : i+window+horizon], so N = T - window - horizon + 1. Each
    target comes strictly after its inputs; rows are in time order.
    """
    series = np.asarray(series)
    check_shape("make_windows series", series, (None,))
    window, horizon = check_int("window", window), check_int("horizon", horizon)
    n = len(series) - window - horizon + 1
    if n < 1:
        raise ValueError(f"make_windows: expected a series of at least window + horizon = "
                         f"{window + horizon} steps, got {len(series)}")
    views = np.lib.stride_tricks.sliding_window_view(series, window + horizon)
    return views[:, :window].copy(), views[:, window:].copy()


def _split_size(name, size, total):
    # A float in [0, 1) is a fraction of the series; an int is a count of steps.
    if isinstance(size, (float, np.floating)):
        if not 0 <= size < 1:
            raise ValueError(f"{name}: expected a fraction in [0, 1) or a count, got {size}")
        return int(round(size * total))
    return check_int(name, size, minimum=0)


def split_by_time(series, val_size, test_size):
    """Split along time into (train, val, test), never shuffling.

    series: an array (T, ...) or a list. val_size, test_size: counts of steps (int) or
    fractions of T (float). The test part is the final stretch, validation the stretch
    before it, train everything earlier: a model is always judged on a future it has
    not seen.
    """
    total = len(series)
    n_val, n_test = _split_size("val_size", val_size, total), _split_size("test_size", test_size, total)
    n_train = total - n_val - n_test
    if n_train < 1:
        raise ValueError(f"split_by_time: expected val + test < {total} steps, "
                         f"got val {n_val} + test {n_test}")
    return series[:n_train], series[n_train: n_train + n_val], series[n_train + n_val:]


# ---------------------------------------------------------------- models


def _series(name, series, min_length=1):
    series = np.asarray(series, dtype=np.float64)
    check_shape(name, series, (None,))
    if len(series) < min_length:
        raise ValueError(f"{name}: expected at least {min_length} values, got {len(series)}")
    if not np.all(np.isfinite(series)):
        raise ValueError(f"{name}: contains NaN or infinite values")
    return series


class Standardizer:
    """z = (y - mean) / std, with mean and std measured on the training values only.

    scaler = Standardizer(train); scaler.transform(y) -> z; scaler.inverse(z) -> y.
    """

    def __init__(self, train):
        train = _series("Standardizer train", train, min_length=2)
        self.mean, self.std = float(train.mean()), float(train.std())
        if self.std == 0:
            raise ValueError("Standardizer: the training values are constant (std 0)")

    def transform(self, y):
        return (np.asarray(y, dtype=np.float64) - self.mean) / self.std

    def inverse(self, z):
        return np.asarray(z, dtype=np.float64) * self.std + self.mean

    def __repr__(self):
        return f"Standardizer(mean={self.mean:.4g}, std={self.std:.4g})"


class Forecaster(nn.Module):
    """A recurrent network and a linear read-out: at each step, the next value.

    rnn: any module with torch.nn.RNN's interface and input_size 1 (nn.GRU(1, H),
        nn.LSTM(1, H, num_layers=2), rnnlib.GRU, ...), time first.
    forward(x (T, B) normalised values) -> (T, B): output t forecasts x at t + 1.
    """

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn
        out_size = rnn.hidden_size * (2 if getattr(rnn, "bidirectional", False) else 1)
        if out_size != rnn.hidden_size:
            raise ValueError("Forecaster: a bidirectional rnn would read the future it must forecast")
        self.head = nn.Linear(out_size, 1)

    def forward(self, x):
        check_shape("x (T, B)", x, (None, None))
        out, _ = self.rnn(x.unsqueeze(-1))
        return self.head(out).squeeze(-1)


def window_batches(z, window, batch_size, n_batches, rng):
    """Random training windows cut from a normalised series z (N,): a list of n_batches
    (x, y) pairs of float32 tensors (window, batch_size), y = x one step later."""
    z = _series("window_batches z", z, min_length=window + 1)
    X, Y = make_windows(z, window)
    rows = np.concatenate([X, Y], axis=1)  # (N, window + 1) consecutive values
    batches = []
    for picks in rng.integers(0, len(rows), size=(n_batches, batch_size)):
        w = torch.tensor(rows[picks].T, dtype=torch.float32)  # (window + 1, B)
        batches.append((w[:-1], w[1:]))
    return batches


def _predict_last(model, windows):
    """The model's forecast after reading each row of windows (N, window), normalised."""
    p = next(model.parameters())
    x = torch.as_tensor(np.ascontiguousarray(windows.T), dtype=p.dtype, device=p.device)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        pred = model(x)[-1]
    model.train(was_training)
    return pred.double().cpu().numpy()


def one_step_forecasts(model, series, start, window, scaler, stop=None):
    """Forecasts of series[start:stop], each from the `window` true values before it.

    series: (N,) in original units; window <= start < stop <= N (stop None: N).
    Returns (stop - start,) in original units.
    """
    series = _series("one_step_forecasts series", series)
    stop = len(series) if stop is None else stop
    if not window <= start < stop <= len(series):
        raise ValueError(f"one_step_forecasts: expected window ({window}) <= start ({start}) < stop ({stop}) "
                         f"<= {len(series)}")
    X, _ = make_windows(series[start - window:stop], window)  # row i predicts series[start + i]
    return scaler.inverse(_predict_last(model, scaler.transform(X)))


def recursive_forecast(model, history, steps, window, scaler):
    """Forecast `steps` values after `history` (original units), feeding each forecast
    back in as if it were observed. Returns (steps,) in original units."""
    history = _series("recursive_forecast history", history, min_length=window)
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"recursive_forecast: steps must be a positive int, got {steps!r}")
    z = list(scaler.transform(history[-window:]))
    for _ in range(steps):
        z.append(float(_predict_last(model, np.array([z[-window:]]))[0]))
    return scaler.inverse(np.array(z[window:]))


def naive_forecasts(series, start, season):
    """Chapter 0's baselines for the targets series[start:], from windows of season + 1:
    "last value" y_{t-1} and "seasonal naive" y_{t-season}. Returns a dict of arrays."""
    series = _series("naive_forecasts series", series)
    if not season < start < len(series):
        raise ValueError(f"naive_forecasts: expected season ({season}) < start < {len(series)}, got {start}")
    X, _ = make_windows(series[start - season - 1:], season + 1)
    return {"last value": X[:, -1], "seasonal naive": X[:, 1]}


def errors(forecast, truth):
    """Mean absolute and root-mean-square error, in the units of the series."""
    forecast, truth = np.asarray(forecast, dtype=np.float64), np.asarray(truth, dtype=np.float64)
    if forecast.shape != truth.shape:
        raise ValueError(f"errors: forecast shape {forecast.shape} != truth shape {truth.shape}")
    diff = forecast - truth
    return {"mae": float(np.mean(np.abs(diff))), "rmse": float(np.sqrt(np.mean(diff ** 2)))}


def online_residuals(model, series, start, window, scaler, threshold):
    """Walk through series[start:] one step at a time, as a monitor would: forecast each
    value from the recent past, and flag it when |value - forecast| > threshold
    (original units). A flagged value is replaced by its forecast in the past that later
    forecasts read, so one anomaly does not throw the next forecasts off.

    Returns (residuals (N - start,), flags bool (N - start,)).
    """
    series = _series("online_residuals series", series)
    if not window <= start < len(series):
        raise ValueError(f"online_residuals: expected window ({window}) <= start < {len(series)}, got {start}")
    clean = scaler.transform(series).copy()
    residuals, flags = [], []
    for t in range(start, len(series)):
        forecast = float(scaler.inverse(_predict_last(model, clean[None, t - window:t])[0]))
        residuals.append(series[t] - forecast)
        flags.append(abs(residuals[-1]) > threshold)
        if flags[-1]:
            clean[t] = scaler.transform(forecast)
    return np.array(residuals), np.array(flags)
