import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest

from rnnlib import plot
from rnnlib.train import History


def make_history(n=20):
    h = History()
    for s in range(1, n + 1):
        h._add(h.train, s, {"loss": 1.0 / s, "grad_norm": 1.0})
        if s % 5 == 0:
            h._add(h.val, s, {"mse": 2.0 / s})
    return h


def test_smooth_is_a_trailing_moving_average():
    np.testing.assert_allclose(plot.smooth([1, 2, 3, 4], 2), [1, 1.5, 2.5, 3.5])
    np.testing.assert_allclose(plot.smooth([1, 2, 3], 1), [1, 2, 3])


def test_loss_curves_draws_training_and_validation_lines():
    ax = plot.loss_curves({"a": make_history(), "b": make_history()}, val_key="mse")
    assert len(ax.lines) == 4 and ax.get_yscale() == "log"
    assert ax.lines[1].get_xdata().tolist() == [5, 10, 15, 20]


def test_loss_curves_names_a_missing_metric():
    with pytest.raises(KeyError, match="accuracy"):
        plot.loss_curves(make_history(), val_key="accuracy")


def test_show_widget_replaces_the_widgets_repr_by_the_given_text(monkeypatch):
    import ipywidgets
    import IPython.display
    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append((obj, raw)))
    slider = ipywidgets.FloatSlider(value=1.1)
    plot.show_widget(ipywidgets.VBox([slider]), "[a slider: run the chapter to move it]")
    [(bundle, raw)] = shown
    assert raw and bundle["text/plain"] == "[a slider: run the chapter to move it]"
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"]
