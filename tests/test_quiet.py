"""TensorFlow's C++ start-up logs (CUDA probing, oneDNN, CPU features) never reach a notebook:
the package imports TensorFlow with them silenced (issue 13: red stderr boxes in every notebook)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TF_LOG = re.compile(r"^[IWEF]\d{4} |absl::InitializeLog|cuInit|oneDNN|cuda", re.MULTILINE)


def test_setup_and_a_first_model_write_nothing_to_stderr():
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    code = ("import inpaintkit as ik; ik.setup(quiet=True); import numpy as np; from inpaintkit import dcgan;"
            "G = dcgan.build_generator(8); G(dcgan.sample_z(2, seed=0), training=False)")
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert not TF_LOG.search(run.stderr), f"TensorFlow logged to stderr:\n{run.stderr[:2000]}"


def test_without_the_package_tensorflow_does_log_here():
    """The check above could fail: on this kind of machine a bare import does write these logs."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    run = subprocess.run([sys.executable, "-c", "import tensorflow as tf; tf.config.list_physical_devices()"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0
    if not TF_LOG.search(run.stderr):
        import pytest

        pytest.skip("this TensorFlow build logs nothing at start-up, so there is nothing to silence")
