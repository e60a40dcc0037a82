import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rnnlib import plot  # noqa: E402


def test_grad_norm_by_lag_draws_one_line_per_model_against_lag():
    norms = {"rnn": 0.5 ** np.arange(11), "lstm": 0.9 ** np.arange(6)}
    ax = plot.grad_norm_by_lag(norms, mark_lag=4)
    lines = [line for line in ax.lines if line.get_label() in norms]
    assert [line.get_label() for line in lines] == ["rnn", "lstm"]
    assert lines[0].get_xdata().tolist() == list(range(11))
    np.testing.assert_allclose(lines[1].get_ydata(), 0.9 ** np.arange(6))
    assert ax.get_yscale() == "log"
    assert any(line.get_xdata()[0] == 4 for line in ax.lines[2:])  # the marked lag
    plt.close("all")


def test_grad_norm_by_lag_takes_one_array_and_rejects_a_matrix():
    ax = plot.grad_norm_by_lag(np.ones(5), log=False)
    assert len(ax.lines) == 1 and ax.get_yscale() == "linear"
    with pytest.raises(ValueError, match=r"\(T \+ 1,\)"):
        plot.grad_norm_by_lag({"bad": np.ones((3, 2))})
    plt.close("all")


def test_gate_activations_draws_one_heatmap_per_gate_with_time_across():
    T, H = 7, 3
    rng = np.random.default_rng(0)
    gates = {"i": rng.random((T, H)), "c": rng.normal(size=(T, H))}
    markers = np.zeros(T, dtype=bool)
    markers[[1, 5]] = True
    axes = plot.gate_activations(gates, markers=markers, unit_labels=[7, 3, 5])
    assert len(axes) == 2
    assert [tick.get_text() for tick in axes[0].get_yticklabels()] == ["7", "3", "5"]
    image_i, image_c = axes[0].images[0], axes[1].images[0]
    np.testing.assert_array_equal(image_i.get_array(), gates["i"].T)  # units down, time across
    assert image_i.get_clim() == (0.0, 1.0)                            # a gate: fixed scale
    low, high = image_c.get_clim()
    assert low == -high == -np.abs(gates["c"]).max()                   # the cell: symmetric
    marker_x = sorted(line.get_xdata()[0] for line in axes[0].lines)
    assert marker_x == [2, 6]                                          # steps t = 2 and 6
    plt.close("all")


def test_gate_activations_checks_shapes():
    with pytest.raises(ValueError, match="one shape"):
        plot.gate_activations({"i": np.zeros((4, 2)), "f": np.zeros((5, 2))})
    with pytest.raises(ValueError, match="unit_labels"):
        plot.gate_activations({"i": np.zeros((4, 2))}, unit_labels=[1, 2, 3])
    with pytest.raises(ValueError, match="markers"):
        plot.gate_activations({"i": np.zeros((4, 2))}, markers=np.zeros(3, dtype=bool))
    plt.close("all")
