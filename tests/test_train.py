import warnings

import numpy as np
import pytest
import torch

import rnnlib
from rnnlib.train import History, fit


def regression_problem(seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(256, 3, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    return x, y


def mse_loss(model, batch):
    x, y = batch
    return ((model(x) - y) ** 2).mean()


def test_fit_reduces_the_loss_on_a_linear_regression():
    rnnlib.seed_everything(0)
    x, y = regression_problem()
    model = torch.nn.Linear(3, 1)
    before = mse_loss(model, (x, y)).item()
    h = fit(model, mse_loss, [(x, y)], steps=200, lr=0.05, progress=False)
    assert h.stop_reason == "steps" and len(h.train["loss"]) == 200
    assert mse_loss(model, (x, y)).item() < 1e-3 * before


def test_fit_is_deterministic_after_seeding():
    results = []
    for _ in range(2):
        rnnlib.seed_everything(1)
        x, y = regression_problem()
        model = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
        h = fit(model, mse_loss, [(x, y)], steps=30, progress=False)
        results.append(h.train["loss"])
    assert results[0] == results[1]


def test_fit_records_metrics_and_evaluates_on_validation_data():
    x, y = regression_problem()
    model = torch.nn.Linear(3, 1)
    evaluated_in_eval_mode = []

    def evaluate(m):
        evaluated_in_eval_mode.append(not m.training and not torch.is_grad_enabled())
        return {"mse": float(mse_loss(m, (x, y)))}

    loss_fn = lambda m, b: (mse_loss(m, b), {"double": 2 * mse_loss(m, b).item()})
    h = fit(model, loss_fn, [(x, y)], steps=50, evaluate=evaluate, eval_every=10, progress=False)
    assert h.val["step"] == [10, 20, 30, 40, 50]
    assert all(evaluated_in_eval_mode) and model.training
    np.testing.assert_allclose(h.train["double"], 2 * np.array(h.train["loss"]), rtol=1e-5)
    assert h.last("mse") == h.val["mse"][-1]
    with pytest.raises(KeyError, match="no val metric"):
        h.last("accuracy")


def test_fit_clips_the_gradient_norm_and_records_it_before_clipping():
    x, y = regression_problem()
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)  # lr 0: look at the gradient only
    def loss_fn(m, b):
        return 100 * mse_loss(m, b)

    h = fit(model, loss_fn, [(x, y)], steps=3, optimizer=opt, clip_norm=0.5, progress=False)
    total = torch.linalg.vector_norm(torch.cat([p.grad.flatten() for p in model.parameters()]))
    assert float(total) == pytest.approx(0.5, rel=1e-5)  # gradient left clipped
    assert h.train["grad_norm"][-1] > 0.5  # recorded before clipping


def test_fit_stops_early_and_restores_the_best_weights():
    x, y = regression_problem()
    model = torch.nn.Linear(3, 1)
    scores = iter([3.0, 1.0, 2.0, 2.5, 2.7, 9.0, 9.0])
    states = []

    def evaluate(m):
        states.append({k: v.clone() for k, v in m.state_dict().items()})
        return {"score": next(scores)}

    h = fit(model, mse_loss, [(x, y)], steps=100, lr=0.01, evaluate=evaluate, eval_every=1,
            patience=3, progress=False)
    assert h.stop_reason == "early stop" and h.val["step"] == [1, 2, 3, 4, 5]
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, states[1][k])


def test_fit_stops_when_an_iterator_runs_out():
    x, y = regression_problem()
    h = fit(torch.nn.Linear(3, 1), mse_loss, iter([(x, y)] * 4), steps=10, progress=False)
    assert h.stop_reason == "data exhausted" and len(h.train["loss"]) == 4


def test_fit_calls_a_callable_batch_source_every_step():
    x, y = regression_problem()
    calls = []
    h = fit(torch.nn.Linear(3, 1), mse_loss, lambda: calls.append(1) or (x, y), steps=7, progress=False)
    assert len(calls) == 7 and h.stop_reason == "steps"


def test_fit_warns_and_stops_on_a_non_finite_loss():
    x, y = regression_problem()
    with pytest.warns(UserWarning, match="stopping"):
        h = fit(torch.nn.Linear(3, 1), lambda m, b: mse_loss(m, b) * float("nan"), [(x, y)], steps=5, progress=False)
    assert h.stop_reason == "non-finite loss"


def test_fit_time_limit_is_a_reported_safety_guard():
    x, y = regression_problem()
    with pytest.warns(UserWarning, match="safety"):
        h = fit(torch.nn.Linear(3, 1), mse_loss, [(x, y)], steps=1000, max_seconds=0.0, progress=False)
    assert h.stop_reason == "time limit" and len(h.train["loss"]) == 1


@pytest.mark.parametrize("kwargs, match", [
    ({"steps": 0}, "steps"),
    ({"steps": 5, "patience": 2}, "evaluate"),
    ({"steps": 5, "clip_norm": -1.0}, "clip_norm"),
])
def test_fit_rejects_bad_arguments(kwargs, match):
    x, y = regression_problem()
    with pytest.raises(ValueError, match=match):
        fit(torch.nn.Linear(3, 1), mse_loss, [(x, y)], progress=False, **kwargs)


def test_history_repr_summarises_the_run():
    h = History()
    h._add(h.train, 1, {"loss": 0.5, "grad_norm": 1.0})
    h.stop_reason = "steps"
    assert "1 steps" in repr(h) and "0.5" in repr(h)


class FakeHandle:
    """Records what a display handle would show: the first line, then each update."""

    def __init__(self, shown):
        self.shown = shown

    def update(self, data, raw):
        assert raw and list(data) == ["text/plain"]
        self.shown.append(data["text/plain"])


def test_display_line_keeps_only_the_last_redraw_of_a_tqdm_bar():
    from rnnlib.train import DisplayLine
    from tqdm.std import tqdm
    shown = []
    line = DisplayLine(display=lambda text: shown.append(text) or FakeHandle(shown))
    for _ in tqdm(range(50), desc="demo", file=line, mininterval=0):
        pass
    assert shown, "the bar was never drawn"
    assert "\r" not in "".join(shown) and all(s.strip() for s in shown)
    assert shown[0].startswith("demo:   0%")
    assert shown[-1].startswith("demo: 100%") and "50/50" in shown[-1], shown[-1]


def test_a_disabled_bar_shows_nothing():
    from rnnlib.train import DisplayLine
    from tqdm.std import tqdm
    shown = []
    line = DisplayLine(display=lambda text: shown.append(text) or FakeHandle(shown))
    for _ in tqdm(range(5), file=line, disable=True):
        pass
    assert shown == []


def test_fit_in_a_jupyter_kernel_saves_one_plain_text_bar_and_no_widget(tmp_path):
    """What a committed chapter keeps of a training run's bar, executed as nbconvert does."""
    import nbformat
    from nbclient import NotebookClient
    code = ("import torch\nfrom rnnlib.train import fit\n"
            "model = torch.nn.Linear(2, 1)\nx = torch.ones(4, 2)\n"
            "h = fit(model, lambda m, b: (m(b) ** 2).mean(), [x], steps=300, desc='demo')")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[0].outputs
    assert [o.output_type for o in outputs] == ["display_data"], outputs
    assert list(outputs[0].data) == ["text/plain"], "a widget or HTML form of the bar was saved"
    text = outputs[0].data["text/plain"]
    assert text.startswith("demo: 100%") and "300/300" in text and "\r" not in text, text
