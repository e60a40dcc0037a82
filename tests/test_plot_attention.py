import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rnnlib import plot  # noqa: E402


def test_attention_heatmap_draws_outputs_down_and_sources_across_on_a_fixed_scale():
    weights = np.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5]])
    ax = plot.attention_heatmap(weights, ["a", " ", "c"], ["x", "y"], title="demo")
    image = ax.images[0]
    np.testing.assert_array_equal(image.get_array(), weights)  # row t = output step t
    assert image.get_clim() == (0.0, 1.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "\u2423", "c"]  # a visible space
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x", "y"]
    assert ax.get_title() == "demo"
    plt.close("all")


def test_attention_heatmap_draws_on_a_given_axes():
    _, ax = plt.subplots()
    assert plot.attention_heatmap(np.full((1, 2), 0.5), ["le", "chat"], ["the"], ax=ax) is ax
    plt.close("all")


def test_attention_heatmap_checks_shapes_against_tokens():
    with pytest.raises(ValueError, match=r"\(T, S\) = \(2, 3\)"):
        plot.attention_heatmap(np.zeros((3, 2)), ["a", "b", "c"], ["x", "y"])
    with pytest.raises(ValueError, match=r"\(T, S\)"):
        plot.attention_heatmap(np.zeros(3), ["a", "b", "c"], ["x"])
    plt.close("all")
