"""Fast tests of the shared adding-problem experiment (rnnlib.experiments).

The full seed study (tanh RNN against LSTM and GRU with the whole budget) is
benchmarks/adding_seeds.py; here only shapes, a few training steps, determinism and
input checks.
"""
import numpy as np
import pytest
import torch
from torch import nn

from rnnlib.diagnostics import spectral_radius
from rnnlib.experiments import (ADDING, ADDING_BASELINE_MSE, EXPLODING, SequenceRegressor,
                                adding_test_set, init_recurrent_, make_adding_model,
                                set_forget_bias_, spike_summary, train_adding, train_exploding)
from rnnlib.layers import RNN

FAST = dict(steps=4, progress=False, test_size=16)


@pytest.mark.parametrize("make_rnn", [
    lambda: nn.RNN(2, 8), lambda: nn.LSTM(2, 8), lambda: nn.GRU(2, 8), lambda: RNN(2, 8)],
    ids=["nn.RNN", "nn.LSTM", "nn.GRU", "rnnlib.RNN"])
def test_sequence_regressor_gives_one_number_per_sequence(make_rnn):
    model = SequenceRegressor(make_rnn(), 8)
    assert model(torch.randn(5, 3, 2)).shape == (3,)


def test_sequence_regressor_reads_only_the_last_output():
    torch.manual_seed(0)
    model = SequenceRegressor(nn.RNN(2, 8), 8)
    x = torch.randn(6, 4, 2)
    output, _ = model.rnn(x)
    assert torch.allclose(model(x), model.head(output[-1]).squeeze(-1))


def test_sequence_regressor_rejects_bad_inputs():
    with pytest.raises(ValueError, match="hidden_size 8"):
        SequenceRegressor(nn.RNN(2, 8), 16)
    with pytest.raises(ValueError, match="time-first"):
        SequenceRegressor(nn.RNN(2, 8, batch_first=True), 8)
    with pytest.raises(ValueError, match=r"\(T, B, D\)"):
        SequenceRegressor(nn.RNN(2, 8), 8)(torch.randn(4, 2))


def test_config_is_the_one_chapters_03_and_04_share():
    assert (ADDING["T"], ADDING["hidden"], ADDING["batch"]) == (50, 64, 64)
    assert ADDING["lr"] == 1e-2 and ADDING["clip_norm"] == 1.0
    assert ADDING_BASELINE_MSE == pytest.approx(1 / 6)


def test_test_set_is_fixed_and_has_the_baseline_variance():
    x1, y1 = adding_test_set()
    x2, y2 = adding_test_set()
    assert x1.shape == (ADDING["T"], ADDING["test_size"], 2) and y1.shape == (ADDING["test_size"],)
    assert torch.equal(x1, x2) and torch.equal(y1, y2)
    assert x1.dtype == torch.float32
    # predicting the constant 1 scores about 1/6
    assert float(((y1 - 1) ** 2).mean()) == pytest.approx(ADDING_BASELINE_MSE, abs=0.03)


def test_make_adding_model_depends_only_on_the_seed():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a = make_adding_model("rnn", seed=3)
    assert torch.equal(torch.get_rng_state(), before), "the global torch generator was used"
    torch.rand(10)  # moving the global generator must not change the model
    b = make_adding_model("rnn", seed=3)
    c = make_adding_model("rnn", seed=4)
    for (name, p), q, r in zip(a.named_parameters(), b.parameters(), c.parameters()):
        assert torch.equal(p, q), name
    assert not torch.equal(a.rnn.weight_hh_l0, c.rnn.weight_hh_l0)


def test_rnnlib_rnn_and_torch_rnn_models_are_equal_for_one_seed():
    x = torch.randn(7, 3, 2)
    torch_model, our_model = make_adding_model("rnn", seed=1), make_adding_model("rnnlib", seed=1)
    assert isinstance(our_model.rnn, RNN)
    torch.testing.assert_close(torch_model(x), our_model(x))


@pytest.mark.parametrize("cell, module", [("lstm", nn.LSTM), ("gru", nn.GRU), ("rnn", nn.RNN)])
def test_make_adding_model_builds_each_cell(cell, module):
    model = make_adding_model(cell, seed=0, hidden=8)
    assert isinstance(model.rnn, module) and model.rnn.hidden_size == 8
    assert model(torch.randn(5, 2, 2)).shape == (2,)


def test_lstm_forget_gate_bias_totals_one():
    lstm = set_forget_bias_(nn.LSTM(2, 4))
    total = lstm.bias_ih_l0 + lstm.bias_hh_l0
    assert torch.allclose(total[4:8], torch.ones(4))
    assert make_adding_model("lstm", seed=0).rnn.bias_ih_l0[64:128].eq(1).all()


def test_recurrent_initialisations():
    torch.manual_seed(0)
    rnn = init_recurrent_(nn.RNN(2, 32, nonlinearity="relu"), "identity")
    assert torch.equal(rnn.weight_hh_l0, torch.eye(32)) and rnn.bias_ih_l0.abs().sum() == 0
    W = init_recurrent_(nn.RNN(2, 32), "orthogonal", gain=0.5).weight_hh_l0.detach()
    torch.testing.assert_close(W @ W.T, 0.25 * torch.eye(32), atol=1e-5, rtol=0)
    W = init_recurrent_(nn.RNN(2, 400), "gaussian").weight_hh_l0.detach()
    assert abs(float(W.std()) * 20 - 1) < 0.02  # std 1/sqrt(H) = 1/20
    with pytest.raises(ValueError, match="scheme"):
        init_recurrent_(nn.RNN(2, 4), "xavier")


def test_make_adding_model_rescales_to_a_spectral_radius():
    model = make_adding_model("rnnlib", seed=0, radius=1.7, hidden=16)
    assert spectral_radius(model.rnn.weight_hh_l0) == pytest.approx(1.7, rel=1e-5)
    relu = make_adding_model("rnn", seed=0, nonlinearity="relu", init="identity", hidden=8)
    assert relu.rnn.nonlinearity == "relu" and torch.equal(relu.rnn.weight_hh_l0, torch.eye(8))


def test_make_adding_model_rejects_bad_settings():
    with pytest.raises(ValueError, match="cell"):
        make_adding_model("transformer")
    with pytest.raises(ValueError, match="plain RNNs"):
        make_adding_model("lstm", radius=1.0)


def test_train_adding_runs_a_few_steps_and_reports_the_test_mse():
    model = make_adding_model("rnn", seed=0, hidden=8)
    history, test_mse = train_adding(model, seed=0, **FAST)
    assert len(history.train["loss"]) == 4 and history.stop_reason == "steps"
    assert history.val["step"][-1] == 4 and history.val["mse"][-1] == test_mse
    assert np.isfinite(test_mse) and 0 < test_mse < 10


def test_train_adding_is_deterministic_for_a_seed():
    runs = [train_adding(make_adding_model("gru", seed=2, hidden=8), seed=5, **FAST) for _ in range(2)]
    assert runs[0][0].train["loss"] == runs[1][0].train["loss"]
    assert runs[0][1] == runs[1][1]
    other = train_adding(make_adding_model("gru", seed=2, hidden=8), seed=6, **FAST)
    assert other[0].train["loss"] != runs[0][0].train["loss"], "the seed should change the batches"


def test_train_adding_accepts_overrides_and_an_optimizer():
    model = make_adding_model("rnn", seed=0, hidden=8)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    before = [p.detach().clone() for p in model.parameters()]
    history, _ = train_adding(model, seed=0, optimizer=optimizer, T=7, batch=3, clip_norm=None, **FAST)
    assert all(torch.equal(p, q) for p, q in zip(before, model.parameters())), "lr 0 moved the weights"
    assert len(history.train["grad_norm"]) == 4


def test_train_adding_rejects_unknown_settings():
    model = make_adding_model("rnn", seed=0, hidden=8)
    with pytest.raises(ValueError, match="unknown settings"):
        train_adding(model, seed=0, learning_rate=0.1, **FAST)
    with pytest.raises(ValueError, match="hidden belongs to the model"):
        train_adding(model, seed=0, hidden=32, **FAST)


def test_train_exploding_uses_sgd_at_the_given_radius(monkeypatch):
    import rnnlib.experiments as experiments
    monkeypatch.setitem(experiments.EXPLODING, "steps", 3)
    history, test_mse = train_exploding(seed=0, radius=0.5, clip_norm=1.0)
    assert len(history.train["loss"]) == 3 and np.isfinite(test_mse)
    assert EXPLODING["radius"] > 1


def test_spike_summary_reports_divergence_and_the_worst_loss():
    from rnnlib.train import History
    calm = History()
    calm.train.update(loss=[5.0] * 10 + [0.2, 0.3, 0.25], grad_norm=[1.0, 2.0, 3.0] + [0.5] * 10)
    calm.stop_reason = "steps"
    s = spike_summary(calm, warmup=10)
    assert s == {"diverged": False, "max_loss": 0.3, "max_grad_norm": 3.0, "final_loss": pytest.approx((50 + 0.75) / 13)}
    wild = History()
    wild.train.update(loss=[1.0] * 12, grad_norm=[1.0, float("inf")] + [1.0] * 10)
    wild.stop_reason = "non-finite loss"
    s = spike_summary(wild)
    assert s["diverged"] and s["max_loss"] == float("inf") and s["max_grad_norm"] == float("inf")


def test_make_adding_model_sets_the_lstm_forget_bias():
    from rnnlib.experiments import make_adding_model
    H = 8
    for bias in (0.0, 1.0):
        lstm = make_adding_model("lstm", seed=0, hidden=H, forget_bias=bias).rnn
        total = (lstm.bias_ih_l0 + lstm.bias_hh_l0)[H:2 * H]
        assert torch.allclose(total, torch.full((H,), bias))
    with pytest.raises(ValueError, match="LSTM only"):
        make_adding_model("gru", forget_bias=0.0)
