"""Chapter 13's library: the S&P 500 data, the walk-forward protocol without look-ahead, and
the scores (MASE, direction accuracy, Diebold-Mariano, QLIKE) against hand computations."""
import math

import numpy as np
import pytest
from scipy import stats

from rnnlib.apps import markets as mk
from rnnlib.apps import markets_models as mm


def test_sp500_loads_with_its_dates_and_levels():
    dates, close = mk.load_sp500()
    assert len(dates) == len(close) == 5105
    assert dates[0] == "2000-01-03" and dates[-1] == "2020-04-17"
    assert close[0] == pytest.approx(1455.219971) and close[-1] == pytest.approx(2874.560059)
    assert dates == sorted(dates) and np.all(close > 0)


def test_log_returns_and_autocorrelation_by_hand():
    r = mk.log_returns([100.0, 110.0, 99.0, 99.0])
    assert np.allclose(r, [math.log(1.1), math.log(0.9), 0.0])
    x = np.array([1.0, -1.0, 2.0, 0.0, 3.0])
    d = x - x.mean()
    assert mk.autocorrelation(x, 2) == pytest.approx([d[1:] @ d[:-1] / (d @ d), d[2:] @ d[:-2] / (d @ d)])
    with pytest.raises(ValueError, match="positive"):
        mk.log_returns([1.0, -2.0])
    with pytest.raises(ValueError, match="max_lag"):
        mk.autocorrelation(x, 5)


def test_cross_correlation_finds_a_copy_of_yesterday():
    y = np.random.default_rng(0).standard_normal(300)
    copy = np.r_[0.0, y[:-1]]  # forecast of y[t] is y[t-1]
    k, corr = mk.cross_correlation_lag(copy, y)
    assert k == 1 and corr[1] == pytest.approx(1.0)


def _perturbed_after(series, t0, seed=1):
    out = series.copy()
    out[t0:] += np.random.default_rng(seed).standard_normal(len(series) - t0) * series.std() * 5
    return out


FORECASTERS = {
    "mean": (lambda past, m: past.mean(), lambda m, past, tg: np.full(len(tg), m)),
    "AR(3)": (lambda past, m: mm.ar_fit(past, 3), mm.ar_predict),
    "GARCH(1,1)": (lambda past, m: mm.garch_fit(past), mm.garch_predict),
    "returns GRU": (lambda past, m: mm.return_rnn_fit(past, m, hidden=4, window=10, steps=3,
                                                      rng=np.random.default_rng(0), batch_size=4),
                    lambda m, past, tg: mm.return_rnn_predict(m, past, tg, window=10)),
    "volatility GRU": (lambda past, m: mm.volatility_rnn_fit(past, m, hidden=4, window=10, steps=3,
                                                             rng=np.random.default_rng(0), batch_size=4),
                       lambda m, past, tg: mm.volatility_rnn_predict(m, past, tg, window=10)),
}


@pytest.mark.parametrize("name", sorted(FORECASTERS))
def test_changing_the_future_leaves_past_forecasts_unchanged(name):
    """No look-ahead: perturb every value from t0 on (inside a refit block and across a
    refit); forecasts of targets up to t0 (which read values before t0 only) do not move."""
    import torch
    fit, predict = FORECASTERS[name]
    r = np.random.default_rng(5).standard_normal(400) * 0.01
    start, every = 300, 40
    for t0 in (310, 345, 380):  # inside the first block, just after a refit, in the last one
        torch.manual_seed(0)
        base, origins = mk.rolling_origin(r, start, every, fit, predict)
        torch.manual_seed(0)
        moved, _ = mk.rolling_origin(_perturbed_after(r, t0), start, every, fit, predict)
        k = t0 - start + 1  # forecasts of targets start..t0
        assert np.array_equal(base[:k], moved[:k]), f"{name}: a forecast before {t0} read the future"
        if t0 < 380:  # a later refit reads the changed values (the mean only changes at refits)
            assert not np.allclose(base[k:], moved[k:]), f"{name}: forecasts after {t0} ignore the data"
    assert origins == [300, 340, 380]


def test_rolling_origin_hands_fit_only_the_past():
    seen = []
    series = np.arange(20.0)
    mk.rolling_origin(series, 10, 4, lambda past, m: seen.append(len(past)) or len(past),
                      lambda m, past, tg: [past[t - 1] for t in tg])
    assert seen == [10, 14, 18]
    with pytest.raises(ValueError, match="start"):
        mk.rolling_origin(series, 0, 4, None, None)


def test_mase_and_direction_by_hand():
    train = np.array([1.0, 2.0, 4.0, 3.0])  # naive in-sample MAE (1 + 2 + 1) / 3 = 4/3
    assert mk.mase([5.0, 5.0], [4.0, 7.0], train) == pytest.approx(1.5 / (4 / 3))
    assert mk.direction_accuracy([0.1, -0.2, 0.0, 0.3], [0.5, 0.1, 0.2, 0.4]) == 0.5
    lo, hi = mk.proportion_interval(0.5, 100)
    assert lo == pytest.approx(0.4038, abs=1e-4) and hi == pytest.approx(0.5962, abs=1e-4)
    with pytest.raises(ValueError, match="shape"):
        mk.mase([1.0], [1.0, 2.0], train)


def test_diebold_mariano_matches_a_hand_computation():
    r = np.random.default_rng(3)
    a, b = r.standard_normal(50), 1.2 * r.standard_normal(50)
    d = a ** 2 - b ** 2
    n = len(d)
    dm = d.mean() / math.sqrt(d.var() / n)  # h = 1: variance of d over n
    hln = dm * math.sqrt((n + 1 - 2 + 0) / n)
    stat, p, mean = mk.diebold_mariano(a ** 2, b ** 2)
    assert stat == pytest.approx(hln) and mean == pytest.approx(d.mean())
    assert p == pytest.approx(2 * stats.t.sf(abs(hln), n - 1))
    # h = 2 adds twice the lag-1 autocovariance
    dc = d - d.mean()
    var2 = (dc @ dc / n + 2 * dc[1:] @ dc[:-1] / n) / n
    stat2, _, _ = mk.diebold_mariano(a ** 2, b ** 2, h=2)
    assert stat2 == pytest.approx(math.sqrt((n + 1 - 4 + 2 / n) / n) * d.mean() / math.sqrt(var2))
    assert mk.diebold_mariano(a ** 2, (3 * b) ** 2)[0] < -2  # a far better forecast: strongly negative


def test_qlike_is_smallest_at_the_true_variance():
    r2 = np.array([0.5, 2.0, 0.0])
    h = np.array([1.0, 1.0, 1.0])
    manual = np.mean([0.5 - math.log(0.5) - 1, 2.0 - math.log(2.0) - 1, 0.0])
    assert mk.qlike(h, r2) == pytest.approx(manual)
    x = np.random.default_rng(0).standard_normal(20000) ** 2 * 3.0
    losses = {s: mk.qlike(np.full_like(x, s), x) for s in (1.0, 2.0, 3.0, 4.5)}
    assert min(losses, key=losses.get) == 3.0
    with pytest.raises(ValueError, match="positive"):
        mk.qlike([0.0], [1.0])


def test_ar_fit_matches_statsmodels_and_recovers_its_coefficient():
    from statsmodels.tsa.ar_model import AutoReg
    r = np.random.default_rng(2)
    x = np.zeros(3000)
    for t in range(1, 3000):
        x[t] = 0.1 - 0.4 * x[t - 1] + r.standard_normal()
    coef = mm.ar_fit(x, 2)
    assert np.allclose(coef, AutoReg(x, lags=2).fit().params, atol=1e-10)
    assert coef[1] == pytest.approx(-0.4, abs=0.05)
    assert mm.ar_predict(coef, x, range(10, 12)) == pytest.approx(
        [coef[0] + coef[1] * x[9] + coef[2] * x[8], coef[0] + coef[1] * x[10] + coef[2] * x[9]])


def test_garch_recursion_matches_arch_and_rolling_variance_by_hand():
    from arch import arch_model
    r = np.random.default_rng(4).standard_normal(800) * 0.01
    p = mm.garch_fit(r)
    assert 0 <= p["alpha"] and 0 <= p["beta"] and p["alpha"] + p["beta"] < 1
    res = arch_model(100 * r, mean="Constant", vol="GARCH", p=1, q=1).fit(disp="off")
    h = mm.garch_variance(r, **p)
    # after the start-up the recursion forgets h0 and equals arch's conditional variance
    assert np.allclose(h[200:-1], (res.conditional_volatility[200:] / 100) ** 2, rtol=1e-6)
    assert np.allclose(mm.rolling_variance(np.arange(6.0), 2), [np.nan, np.nan, 0.5, 1.5, 2.5, 3.5],
                       equal_nan=True)


def test_price_windows_are_relative_to_the_last_input_price():
    x, y, last = mm.price_windows(np.array([100.0, 110.0, 121.0, 133.1]), 2)
    assert x.shape == y.shape == (2, 2) and np.allclose(last, [110.0, 121.0])
    assert np.allclose(x[:, 0], [100 * math.log(100 / 110), 0.0])
    assert np.allclose(y[:, 0], [0.0, 100 * math.log(1.1)])
