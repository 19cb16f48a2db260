"""Shared fixtures: the CelebA folder (INPAINTKIT_DATA, else ../shared/data/celeba) and a private cache."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

DEFAULT_DATA = Path(__file__).parents[1] / ".." / "shared" / "data" / "celeba"


@pytest.fixture(scope="session")
def celeba_root() -> Path:
    """The CelebA folder: ``INPAINTKIT_DATA`` (CI sets it), else ``../shared/data/celeba``.

    Skips only when the variable is unset and the default folder is absent; a variable that
    names a folder without ``img_align_celeba/`` fails, so a misconfigured CI cannot skip quietly.
    """
    value = os.environ.get("INPAINTKIT_DATA", "").strip()
    if value:
        root = Path(value).expanduser()
        if not (root / "img_align_celeba").is_dir():
            pytest.fail(f"INPAINTKIT_DATA={value} has no img_align_celeba/ folder")
        return root
    if not (DEFAULT_DATA / "img_align_celeba").is_dir():
        pytest.skip("no CelebA folder: set INPAINTKIT_DATA (CI does)")
    return DEFAULT_DATA.resolve()


@pytest.fixture(scope="session")
def _session_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("inpaintkit-cache")


@pytest.fixture(autouse=True)
def private_cache(_session_cache, monkeypatch) -> Path:
    """Tests never read or write the user's cache: ``INPAINTKIT_CACHE`` is one tmp folder per session."""
    monkeypatch.setenv("INPAINTKIT_CACHE", str(_session_cache))
    return _session_cache


@pytest.fixture(scope="session")
def small_models():
    """A small untrained (G, D), width 16: fast, and enough to test the optimisers."""
    from inpaintkit import config, dcgan

    config.seed_everything(0)
    return dcgan.build_generator(16), dcgan.build_discriminator(16)


@pytest.fixture(scope="session")
def reachable_faces(small_models):
    """Three images the small generator can draw exactly, so every loss has somewhere to go."""
    from inpaintkit import dcgan

    return small_models[0](dcgan.sample_z(3, seed=42), training=False).numpy()


@pytest.fixture(scope="module")
def models():
    """A tiny untrained (G, D), width 8, built from seed 0: for tests of running and reporting."""
    from inpaintkit import config, dcgan

    config.seed_everything(0)
    return dcgan.build_generator(8), dcgan.build_discriminator(8)


@pytest.fixture(scope="module")
def faces():
    """Four noise images in [−1, 1]; a module that needs other faces defines its own ``faces``."""
    import numpy as np

    return np.random.default_rng(0).uniform(-1, 1, (4, 64, 64, 3)).astype(np.float32)


@pytest.fixture
def small_celeba(tmp_path) -> Path:
    """A CelebA-like folder without CelebA: four PNGs with validation ids and four with test ids
    (178×218, random pixels, no partition file), so the tests that need a data folder run anywhere."""
    import numpy as np
    from skimage import io

    from inpaintkit import data

    folder = tmp_path / "celeba" / data.IMAGE_FOLDER
    folder.mkdir(parents=True)
    rng = np.random.default_rng(5)
    for first in (162771, 182638):  # CelebA's first validation id, then its first test id
        for number in range(first, first + 4):
            io.imsave(folder / f"{number:06d}.png", rng.integers(0, 256, (218, 178, 3), dtype=np.uint8),
                      check_contrast=False)
    return tmp_path / "celeba"

