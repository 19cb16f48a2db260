"""Shared fixtures: the CelebA folder (INPAINTKIT_DATA, else ../shared/data/celeba) and a private cache."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def celeba_root() -> Path:
    value = os.environ.get("INPAINTKIT_DATA")
    root = Path(value) if value else ROOT.parent / "shared" / "data" / "celeba"
    if not (root / "img_align_celeba").is_dir():
        pytest.skip("no CelebA folder: set INPAINTKIT_DATA (CI does)")
    return root


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Tests never read or write the user's cache."""
    monkeypatch.setenv("INPAINTKIT_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


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
