import numpy as np
import pytest
import torch

import rnnlib
from rnnlib.utils import check_dtype, check_shape


def test_seed_everything_repeats_numpy_torch_and_generator():
    g1 = rnnlib.seed_everything(3)
    a = (np.random.rand(3), torch.rand(3), g1.random(3))
    g2 = rnnlib.seed_everything(3)
    b = (np.random.rand(3), torch.rand(3), g2.random(3))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    rnnlib.seed_everything(4)
    assert not np.array_equal(np.random.rand(3), a[0])


@pytest.mark.parametrize("bad", [-1, 1.5, "0", None, True])
def test_seed_everything_rejects_non_integer_seeds(bad):
    with pytest.raises(ValueError, match="seed"):
        rnnlib.seed_everything(bad)


def test_default_device_is_cpu_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert rnnlib.default_device() == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert rnnlib.default_device() == torch.device("cuda")


def test_show_prints_plain_source_outside_jupyter(capsys):
    src = rnnlib.show(rnnlib.utils.default_device)
    assert src.startswith("def default_device")
    assert "def default_device" in capsys.readouterr().out


def test_show_rejects_objects_without_source():
    with pytest.raises(TypeError, match="function, class or module"):
        rnnlib.show(3)


def test_check_shape_names_expected_and_received():
    check_shape("x", np.zeros((5, 2)), (None, 2))
    with pytest.raises(ValueError, match=r"x: expected shape \(\?, 2\), got \(5, 3\)"):
        check_shape("x", np.zeros((5, 3)), (None, 2))
    with pytest.raises(ValueError, match="expected shape"):
        check_shape("x", np.zeros(5), (None, 2))


def test_check_dtype_names_the_received_dtype():
    check_dtype("x", np.zeros(2), "f")
    with pytest.raises(ValueError, match="int64"):
        check_dtype("x", np.zeros(2, dtype=np.int64), "f")


def test_seed_everything_fixes_the_thread_count():
    before = torch.get_num_threads()
    try:
        rnnlib.seed_everything(0, threads=2)
        assert torch.get_num_threads() == 2
        rnnlib.seed_everything(0)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
