"""rnnlib.apps.forecast: loading the series, windows, splits in time, shapes, units, the baselines,
and bad input errors."""
import numpy as np
import pytest
import torch

from rnnlib.apps import forecast as fc
from rnnlib.layers import GRU


class Persistence(torch.nn.Module):
    """A 'model' whose forecast is the last value it read (normalised units): lets the
    tests know exactly what the helpers must return."""

    def __init__(self):
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return x + 0 * self.dummy


def series(n=60):
    t = np.arange(n)
    return 10 + 3 * np.sin(2 * np.pi * t / 12) + 0.1 * t


def test_standardizer_uses_training_values_and_inverts():
    y = series()
    scaler = fc.Standardizer(y[:40])
    assert scaler.mean == pytest.approx(y[:40].mean()) and scaler.std == pytest.approx(y[:40].std())
    assert np.allclose(scaler.inverse(scaler.transform(y)), y)
    assert abs(scaler.transform(y[:40]).mean()) < 1e-12
    with pytest.raises(ValueError, match="constant"):
        fc.Standardizer(np.ones(5))


def test_one_step_forecasts_are_in_original_units_and_use_the_true_past():
    y = series()
    scaler = fc.Standardizer(y[:40])
    pred = fc.one_step_forecasts(Persistence(), y, start=40, window=5, scaler=scaler)
    assert pred.shape == (20,) and np.allclose(pred, y[39:-1])  # persistence, in original units
    part = fc.one_step_forecasts(Persistence(), y, start=40, window=5, scaler=scaler, stop=50)
    assert part.shape == (10,) and np.allclose(part, pred[:10])
    naive = fc.naive_forecasts(y, start=40, season=12)
    assert np.allclose(naive["last value"], pred) and np.allclose(naive["seasonal naive"], y[28:-12])


def test_recursive_forecast_feeds_forecasts_back():
    y = series()
    scaler = fc.Standardizer(y[:40])
    out = fc.recursive_forecast(Persistence(), y[:40], steps=7, window=5, scaler=scaler)
    assert out.shape == (7,) and np.allclose(out, y[39])  # persistence repeats the last value


def test_forecaster_shapes_with_torch_and_rnnlib_layers():
    torch.manual_seed(0)
    for rnn in [torch.nn.LSTM(1, 8, num_layers=2), GRU(1, 8)]:
        model = fc.Forecaster(rnn)
        assert model(torch.zeros(11, 3)).shape == (11, 3)
        y = series()
        scaler = fc.Standardizer(y[:40])
        assert fc.one_step_forecasts(model, y, 40, 10, scaler).shape == (20,)
        assert fc.recursive_forecast(model, y[:40], 4, 10, scaler).shape == (4,)
    with pytest.raises(ValueError, match="bidirectional"):
        fc.Forecaster(torch.nn.GRU(1, 8, bidirectional=True))
    with pytest.raises(ValueError, match=r"x \(T, B\)"):
        fc.Forecaster(torch.nn.GRU(1, 8))(torch.zeros(5, 2, 1))


def test_window_batches_shift_by_one_step():
    z = np.arange(30, dtype=np.float64)
    batches = fc.window_batches(z, window=6, batch_size=4, n_batches=3, rng=np.random.default_rng(0))
    assert len(batches) == 3
    for x, y in batches:
        assert x.shape == y.shape == (6, 4) and x.dtype == torch.float32
        assert torch.equal(y[:-1], x[1:]) and torch.equal(y[-1], x[-1] + 1)


def test_naive_forecasts_match_chapter_0_airline_numbers():
    _, passengers = fc.load_series("airline-passengers")
    start = len(passengers) - 24
    naive = fc.naive_forecasts(passengers, start, season=12)
    truth = passengers[start:]
    assert fc.errors(naive["last value"], truth)["mae"] == pytest.approx(44.2, abs=0.05)
    assert fc.errors(naive["seasonal naive"], truth)["mae"] == pytest.approx(47.6, abs=0.05)


def test_errors_mae_and_rmse():
    e = fc.errors(np.array([1.0, 2.0, 3.0]), np.array([1.0, 4.0, 3.0]))
    assert e["mae"] == pytest.approx(2 / 3) and e["rmse"] == pytest.approx(np.sqrt(4 / 3))


def test_online_residuals_flag_a_spike_and_only_the_spike():
    y = series()
    y_anom = y.copy()
    y_anom[50] += 5.0
    scaler = fc.Standardizer(y[:40])
    residuals, flags = fc.online_residuals(Persistence(), y_anom, start=40, window=5, scaler=scaler, threshold=2.0)
    assert residuals.shape == flags.shape == (20,)
    # the spike is flagged; the next value is forecast from the cleaned past, so not flagged
    assert flags[10] and flags.sum() == 1
    assert residuals[10] == pytest.approx(y_anom[50] - y[49])


def test_bad_inputs_raise_value_error():
    y, scaler, model = series(), fc.Standardizer(series()[:40]), Persistence()
    with pytest.raises(ValueError, match="start"):
        fc.one_step_forecasts(model, y, start=3, window=5, scaler=scaler)
    with pytest.raises(ValueError, match="stop"):
        fc.one_step_forecasts(model, y, start=40, window=5, scaler=scaler, stop=70)
    with pytest.raises(ValueError, match=r"expected shape \(\?\)"):
        fc.one_step_forecasts(model, y[:, None], start=40, window=5, scaler=scaler)
    with pytest.raises(ValueError, match="NaN"):
        fc.one_step_forecasts(model, np.r_[y, np.nan], start=40, window=5, scaler=scaler)
    with pytest.raises(ValueError, match="at least 5"):
        fc.recursive_forecast(model, y[:3], steps=2, window=5, scaler=scaler)
    with pytest.raises(ValueError, match="steps"):
        fc.recursive_forecast(model, y, steps=0, window=5, scaler=scaler)
    with pytest.raises(ValueError, match="season"):
        fc.naive_forecasts(y, start=10, season=12)
    with pytest.raises(ValueError, match="shape"):
        fc.errors(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="at least 7"):
        fc.window_batches(np.zeros(5), window=6, batch_size=2, n_batches=1, rng=np.random.default_rng(0))


# ---------------------------------------------------------------- loading

@pytest.mark.parametrize("name, length, first_label", [
    ("monthly-sunspots", 2820, "1749-01"),
    ("daily-min-temperatures", 3650, "1981-01-01"),
    ("airline-passengers", 144, "1949-01"),
])
def test_load_series_gives_labels_and_float64_values(name, length, first_label):
    labels, values = fc.load_series(name)
    assert len(labels) == length and labels[0] == first_label
    assert values.dtype == np.float64 and values.shape == (length,)
    assert np.all(np.isfinite(values))


def test_load_series_accepts_the_file_name():
    labels, values = fc.load_series("airline-passengers.csv")
    assert values[:3].tolist() == [112.0, 118.0, 132.0] and labels[-1] == "1960-12"


def test_load_series_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="airline-passengers"):
        fc.load_series("stock-prices")


# ---------------------------------------------------------------- windows and splits in time

def test_make_windows_shapes_and_targets_follow_inputs():
    series = np.arange(10.0)
    X, Y = fc.make_windows(series, window=3, horizon=2)
    assert X.shape == (6, 3) and Y.shape == (6, 2)
    np.testing.assert_array_equal(X[0], [0, 1, 2])
    np.testing.assert_array_equal(Y[0], [3, 4])
    np.testing.assert_array_equal(Y[-1], [8, 9])
    assert np.all(Y[:, 0] == X[:, -1] + 1)


def test_make_windows_rejects_too_short_series_and_bad_sizes():
    with pytest.raises(ValueError, match="at least"):
        fc.make_windows(np.arange(4.0), window=4)
    with pytest.raises(ValueError, match="window"):
        fc.make_windows(np.arange(4.0), window=0)
    with pytest.raises(ValueError, match="expected shape"):
        fc.make_windows(np.zeros((5, 2)), window=2)


def test_split_by_time_counts_keep_order_without_overlap():
    series = np.arange(100)
    train, val, test = fc.split_by_time(series, val_size=10, test_size=20)
    assert (len(train), len(val), len(test)) == (70, 10, 20)
    np.testing.assert_array_equal(np.concatenate([train, val, test]), series)
    assert train[-1] < val[0] and val[-1] < test[0]
    assert test[-1] == 99


def test_split_by_time_accepts_fractions_and_lists():
    train, val, test = fc.split_by_time(list(range(50)), 0.1, 0.2)
    assert (len(train), len(val), len(test)) == (35, 5, 10)
    assert test == list(range(40, 50))


def test_split_by_time_rejects_splits_leaving_no_training_data():
    with pytest.raises(ValueError, match="val"):
        fc.split_by_time(np.arange(10), 5, 5)
    with pytest.raises(ValueError, match="fraction"):
        fc.split_by_time(np.arange(10), 1.5, 2)
    with pytest.raises(ValueError, match="test_size"):
        fc.split_by_time(np.arange(10), 2, -1)
