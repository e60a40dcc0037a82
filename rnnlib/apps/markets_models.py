"""The forecasters of chapter 13, each a (fit, predict) pair for `markets.rolling_origin`.

Returns: the historical mean, a linear autoregression AR(p) by least squares, and a GRU
that reads a window of standardised past returns (chapter 06's `forecast.Forecaster`).
Variance of the next return: the rolling-window mean of squared returns, GARCH(1,1)
(Bollerslev 1986; parameters fitted by the `arch` package, variance recursion here), and
a GRU trained by the Gaussian likelihood (QLIKE). Prices: an LSTM on windows of price levels,
the tutorials' model. Every fit sees only the past it is given, its scaling included.
"""
import numpy as np
import torch
from torch import nn

from ..train import fit as train_fit
from . import forecast
from .markets import _vector


# ---------------------------------------------------------------- linear baselines

def ar_fit(returns, p):
    """Least-squares AR(p) with intercept: r_t = c + sum_k phi_k r_{t-k} + e_t.
    Returns the coefficients (p + 1,): [c, phi_1, ..., phi_p]."""
    r = _vector("ar_fit returns", returns, min_length=p + 2)
    X, y = forecast.make_windows(r, p)
    X = np.column_stack([np.ones(len(X)), X[:, ::-1]])  # column k is lag k
    return np.linalg.lstsq(X, y[:, 0], rcond=None)[0]


def ar_predict(coef, past, targets):
    """AR one-step forecasts of the targets (a range of indices), each from past[:t]."""
    p = len(coef) - 1
    return np.array([coef[0] + coef[1:] @ past[t - p:t][::-1] for t in targets])


def rolling_variance(returns_squared, window):
    """Forecast of each day's variance: the mean of the `window` squared returns before it.
    returns_squared (T,) -> (T,), NaN for the first `window` days."""
    r2 = _vector("rolling_variance returns_squared", returns_squared)
    c = np.concatenate([[0.0], np.cumsum(r2)])
    out = np.full(len(r2), np.nan)
    out[window:] = (c[window:-1] - c[:-window - 1]) / window
    return out


# ---------------------------------------------------------------- GARCH(1,1)

def garch_variance(returns, mu, omega, alpha, beta, h0):
    """GARCH(1,1) conditional variances: h_t = omega + alpha (r_{t-1} - mu)^2 + beta h_{t-1},
    h_0 = h0. returns (T,) -> (T + 1,): h[t] is the variance of returns[t] given the returns
    before it; the last entry forecasts the day after the series ends."""
    r = _vector("garch_variance returns", returns)
    h = np.empty(len(r) + 1)
    h[0] = h0
    for t in range(len(r)):
        h[t + 1] = omega + alpha * (r[t] - mu) ** 2 + beta * h[t]
    return h


def garch_fit(returns):
    """Maximum-likelihood GARCH(1,1) with a constant mean (the `arch` package, normal errors).
    returns: daily log returns (T,). Returns a dict mu, omega, alpha, beta, h0 in the units of
    `returns` (arch is fitted on percent returns, which it prefers, and scaled back)."""
    from arch import arch_model  # noqa: PLC0415  (a heavy import, only for the chapter that needs it)
    r = _vector("garch_fit returns", returns, min_length=50)
    res = arch_model(100 * r, mean="Constant", vol="GARCH", p=1, q=1, dist="normal").fit(disp="off")
    mu, omega, alpha, beta = (float(res.params[k]) for k in ("mu", "omega", "alpha[1]", "beta[1]"))
    # arch starts its recursion from the sample variance of the residuals ("backcast" aside).
    return {"mu": mu / 100, "omega": omega / 1e4, "alpha": alpha, "beta": beta,
            "h0": float(np.var(r - mu / 100))}


def garch_predict(params, past, targets):
    """Variance forecasts for the targets, filtering past[:t] with fixed parameters."""
    h = garch_variance(past, **params)
    return np.array([h[t] for t in targets])


# ---------------------------------------------------------------- recurrent networks

def _train(model, batches, loss_fn, steps, lr, desc):
    train_fit(model, loss_fn, batches, steps=steps, lr=lr, clip_norm=1.0, desc=desc)
    return model


def return_rnn_fit(past, model, *, hidden, window, steps, rng, batch_size=64, lr=3e-3):
    """Train (or, given `model`, go on training) a GRU forecaster of standardised returns.
    The Standardizer is measured on `past` only. Returns (model, scaler)."""
    scaler = forecast.Standardizer(past)
    if model is None:
        model = forecast.Forecaster(nn.GRU(1, hidden))
    else:
        model = model[0]
    batches = forecast.window_batches(scaler.transform(past), window, batch_size, steps, rng)
    mse = lambda m, b: nn.functional.mse_loss(m(b[0]), b[1])  # noqa: E731
    return _train(model, batches, mse, steps, lr, "returns GRU"), scaler


def return_rnn_predict(model_scaler, past, targets, *, window):
    model, scaler = model_scaler
    # one_step_forecasts wants the last target in the series; a placeholder stands for it (unread).
    return forecast.one_step_forecasts(model, np.append(past, 0.0), targets.start, window, scaler,
                                       stop=targets.stop)


class _LogVariance:
    """A scaler for forecast.one_step_forecasts whose inverse leaves the output alone."""

    def __init__(self, scaler):
        self.transform, self.inverse = scaler.transform, lambda z: np.asarray(z, dtype=np.float64)


def gaussian_nll(model, batch):
    """The QLIKE / Gaussian loss of a variance forecaster: its output at t is log h of x_{t+1}."""
    x, y = batch
    log_h = model(x)
    return (log_h + y ** 2 * torch.exp(-log_h)).mean()


def volatility_rnn_fit(past, model, *, hidden, window, steps, rng, batch_size=64, lr=3e-3):
    """Train (or go on training) a GRU whose output is the log variance of the next return,
    read from standardised past returns (mean and std of `past` only). Returns (model, scaler)."""
    scaler = forecast.Standardizer(past)
    model = forecast.Forecaster(nn.GRU(1, hidden)) if model is None else model[0]
    batches = forecast.window_batches(scaler.transform(past), window, batch_size, steps, rng)
    return _train(model, batches, gaussian_nll, steps, lr, "volatility GRU"), scaler


def volatility_rnn_predict(model_scaler, past, targets, *, window):
    """Variance forecasts in the units of the returns: exp(log h) * std^2."""
    model, scaler = model_scaler
    log_h = forecast.one_step_forecasts(model, np.append(past, 0.0), targets.start, window,
                                        _LogVariance(scaler), stop=targets.stop)
    return np.exp(log_h) * scaler.std ** 2


# ---------------------------------------------------------------- the tutorials' price model

def price_windows(prices, window):
    """Windows of window + 1 prices, each as 100 * log(p / p_last), p_last the window's last
    input price: x (window, N) reads the past, y (window, N) is x one day later; p_last (N,)."""
    prices = _vector("price_windows prices", prices, min_length=window + 1)
    X, Y = forecast.make_windows(prices, window)
    rows = np.concatenate([X, Y], axis=1)
    z = 100 * np.log(rows / X[:, -1:])
    return z[:, :-1].T, z[:, 1:].T, X[:, -1]


def price_lstm_fit(prices, *, hidden, window, steps, rng, batch_size=64, lr=3e-3):
    """An LSTM trained on windows of price levels (scaled within each window, so nothing
    outside the past is used) to predict each next price."""
    x, y, _ = price_windows(prices, window)
    x, y = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    batches = [(x[:, i], y[:, i]) for i in rng.integers(0, x.shape[1], size=(steps, batch_size))]
    model = forecast.Forecaster(nn.LSTM(1, hidden))
    mse = lambda m, b: nn.functional.mse_loss(m(b[0]), b[1])  # noqa: E731
    return _train(model, batches, mse, steps, lr, "price LSTM")


def price_lstm_predict(model, prices, start, window):
    """Forecasts of prices[start:], each from the `window` prices before it: (N - start,)."""
    x, _, last = price_windows(prices[start - window:], window)
    p = next(model.parameters())
    model.eval()
    with torch.no_grad():
        z = model(torch.as_tensor(x, dtype=p.dtype, device=p.device))[-1].double().cpu().numpy()
    return last * np.exp(z / 100)
