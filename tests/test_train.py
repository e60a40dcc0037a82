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
