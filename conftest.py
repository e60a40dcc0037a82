"""Test-session settings.

pytest runs two workers (-n 2) on what may be a 2-core machine, and each worker starts
notebook kernels; one math thread per process keeps them from oversubscribing the cores
(tiny RNN matmuls gain nothing from a second thread and lose a lot to contention). The
environment variable is inherited by the kernels nbval starts.
"""
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import torch  # noqa: E402

torch.set_num_threads(1)

# The README runs `.venv/bin/python -m pytest` without activating the environment, so its
# bin/ is not on PATH; tools that call other executables by name (nbgrader runs `alembic`)
# must still find this environment's copies.
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
