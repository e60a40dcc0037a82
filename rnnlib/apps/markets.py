"""Stock-market prediction done honestly (chapter 13): data, protocol and scores.

The S&P 500 index (`load_sp500`), its log returns, the rolling-origin (walk-forward)
protocol that refits every model on the past only (`rolling_origin`), and the measures a
forecaster would accept: MASE against the naive forecast, direction accuracy, the
Diebold-Mariano test of equal accuracy, and the QLIKE loss for variance forecasts. The
models themselves (autoregression, GARCH(1,1), the recurrent networks) are in
`markets_models.py`.
"""
import csv
import math

import numpy as np
from scipy import stats

from ..data import data_path
from ..utils import check_int, check_shape

SP500_FILE = "sp500-2000.csv"


def _vector(name, x, min_length=1):
    x = np.asarray(x, dtype=np.float64)
    check_shape(name, x, (None,))
    if len(x) < min_length:
        raise ValueError(f"{name}: expected at least {min_length} values, got {len(x)}")
    return x


def load_sp500():
    """The S&P 500 index, daily, 2000-01-03 to 2020-04-17: (dates, close).

    dates: list of 5,105 str ("2000-01-03"); close: float64 array (5105,), the closing level.
    """
    with data_path(SP500_FILE).open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["date"] for r in rows], np.array([float(r["close"]) for r in rows])


def log_returns(prices):
    """r_t = log(p_t / p_{t-1}) for t = 1..T-1: (T-1,) from positive prices (T,)."""
    prices = _vector("log_returns prices", prices, min_length=2)
    if np.any(prices <= 0):
        raise ValueError("log_returns: prices must be positive")
    return np.diff(np.log(prices))


def autocorrelation(x, max_lag):
    """Sample autocorrelations of x (T,) at lags 1..max_lag, as the textbooks define them
    (the mean and variance of the whole sample, the sum divided by T): (max_lag,)."""
    x = _vector("autocorrelation x", x, min_length=3)
    max_lag = check_int("max_lag", max_lag)
    if max_lag >= len(x):
        raise ValueError(f"autocorrelation: max_lag must be below len(x) = {len(x)}, got {max_lag}")
    d = x - x.mean()
    return np.array([d[k:] @ d[:-k] for k in range(1, max_lag + 1)]) / (d @ d)


def cross_correlation_lag(forecast, truth, max_lag=5):
    """Which lag k makes corr(forecast_t, truth_{t-k}) largest, k in -max_lag..max_lag.

    Both (T,) and aligned (forecast[t] is the forecast of truth[t]). Use it on changes, not
    levels: a forecast that copies yesterday's value peaks at k = 1.
    Returns (best_k, correlations dict {k: corr}).
    """
    forecast, truth = _vector("forecast", forecast, 2 * max_lag + 3), _vector("truth", truth)
    if forecast.shape != truth.shape:
        raise ValueError(f"cross_correlation_lag: forecast shape {forecast.shape} != truth shape {truth.shape}")
    n, corr = len(truth), {}
    for k in range(-max_lag, max_lag + 1):
        f = forecast[max(k, 0): n + min(k, 0)]
        y = truth[max(-k, 0): n - max(k, 0)]
        corr[k] = float(np.corrcoef(f, y)[0, 1])
    return max(corr, key=corr.get), corr


def rolling_origin(series, start, refit_every, fit, predict):
    """Walk-forward one-step forecasts of series[start:], each from the past only.

    The first origin is `start`; every `refit_every` steps a new origin o is set and
    model = fit(series[:o], previous model or None) is refit on everything before it (the
    scaling statistics too, inside `fit`). Then predict(model, past, targets) forecasts the
    targets o..o+refit_every-1 (a range); `past` is series up to the last target, exclusive,
    and the forecast of target t may read past[:t] only.
    Returns forecasts (len(series) - start,) and the origins (list of int).
    """
    series = np.asarray(series)
    start, refit_every = check_int("start", start), check_int("refit_every", refit_every)
    if not 1 <= start < len(series):
        raise ValueError(f"rolling_origin: expected 1 <= start < {len(series)}, got {start}")
    out, origins, model = [], [], None
    for o in range(start, len(series), refit_every):
        stop = min(o + refit_every, len(series))
        model = fit(series[:o], model)
        pred = np.asarray(predict(model, series[:stop - 1], range(o, stop)), dtype=np.float64)
        if pred.shape != (stop - o,):
            raise ValueError(f"rolling_origin: predict returned shape {pred.shape}, expected ({stop - o},)")
        out.append(pred)
        origins.append(o)
    return np.concatenate(out), origins


def mase(forecast, truth, train):
    """Mean absolute scaled error (Hyndman and Koehler 2006): the forecast's mean absolute
    error divided by the in-sample mean absolute error of the naive forecast y_{t-1} on
    `train`. Below 1: better than the naive method was in sample."""
    forecast, truth = _vector("forecast", forecast), _vector("truth", truth)
    if forecast.shape != truth.shape:
        raise ValueError(f"mase: forecast shape {forecast.shape} != truth shape {truth.shape}")
    scale = np.mean(np.abs(np.diff(_vector("train", train, min_length=2))))
    if scale == 0:
        raise ValueError("mase: the training series is constant (its naive error is 0)")
    return float(np.mean(np.abs(forecast - truth)) / scale)


def direction_accuracy(forecast, truth):
    """Share of steps where sign(forecast) == sign(truth); (T,) each. A forecast of exactly 0
    calls no direction and counts as a miss (unless the truth is 0 too)."""
    forecast, truth = _vector("forecast", forecast), _vector("truth", truth)
    if forecast.shape != truth.shape:
        raise ValueError(f"direction_accuracy: forecast shape {forecast.shape} != truth shape {truth.shape}")
    return float(np.mean(np.sign(forecast) == np.sign(truth)))


def proportion_interval(p, n, z=1.96):
    """Wilson's 95% interval for a proportion p observed over n trials: (low, high)."""
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def diebold_mariano(loss_a, loss_b, h=1):
    """Diebold-Mariano test that forecasts a and b are equally accurate.

    loss_a, loss_b: each forecast's loss on the same targets (T,), e.g. squared errors or
    `qlike_terms`. d_t = loss_a - loss_b; its long-run variance uses the autocovariances up
    to lag h - 1 (for one-step forecasts, h = 1, just the variance), and the statistic gets
    Harvey, Leybourne and Newbold's (1997) small-sample correction, compared with Student's
    t with T - 1 degrees of freedom. Negative: a is more accurate.
    Returns (statistic, two-sided p-value, mean loss difference).
    """
    a, b = _vector("loss_a", loss_a, min_length=3), _vector("loss_b", loss_b)
    if a.shape != b.shape:
        raise ValueError(f"diebold_mariano: loss_a shape {a.shape} != loss_b shape {b.shape}")
    h = check_int("h", h)
    d = a - b
    n, dc = len(d), d - d.mean()
    gamma = [dc @ dc / n] + [dc[k:] @ dc[:-k] / n for k in range(1, h)]
    variance = (gamma[0] + 2 * sum(gamma[1:])) / n
    if variance <= 0:
        raise ValueError("diebold_mariano: the loss differences have no variance")
    correction = math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    statistic = correction * d.mean() / math.sqrt(variance)
    return float(statistic), float(2 * stats.t.sf(abs(statistic), df=n - 1)), float(d.mean())


def qlike_terms(variance, squared_returns):
    """The QLIKE loss of each variance forecast (Patton 2011): r^2 / h - log(r^2 / h) - 1,
    0 for a perfect forecast. On a day with r = 0 the terms that do not depend on the
    forecast are dropped (log h + r^2 / h - log r^2 - 1 becomes log h). (T,) -> (T,)."""
    h, r2 = _vector("variance", variance), _vector("squared_returns", squared_returns)
    if h.shape != r2.shape:
        raise ValueError(f"qlike: variance shape {h.shape} != squared_returns shape {r2.shape}")
    if np.any(h <= 0) or not np.all(np.isfinite(h)):
        raise ValueError("qlike: variance forecasts must be positive and finite")
    const = np.where(r2 > 0, np.log(np.where(r2 > 0, r2, 1.0)) + 1, 0.0)
    return np.log(h) + r2 / h - const


def qlike(variance, squared_returns):
    """Mean QLIKE loss over days (see `qlike_terms`); lower is better. It is the Gaussian
    negative log-likelihood up to constants, and ranks forecasts correctly even though r^2
    is a noisy measure of the day's variance."""
    return float(np.mean(qlike_terms(variance, squared_returns)))
