"""The one call every notebook opens with (``inpaintkit.setup()``): seeds, plot style, data
location and budget, read from :mod:`inpaintkit.config`.

Kept apart from :mod:`inpaintkit.config`, which every module reads, so that config imports
nothing of the package (``setup`` needs data and plotting, which need config).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import plotting
from .config import Budget, budget, fast_mode, seed_everything
from .data import celeba_root

__all__ = ["Setup", "setup"]


@dataclass(frozen=True)
class Setup:
    seed: int
    fast: bool
    data: Path | None
    budget: Budget

    def __str__(self) -> str:
        where = str(self.data) if self.data else "built-in sample faces (set INPAINTKIT_DATA for CelebA)"
        b = self.budget
        mode = {"fast": "FAST (for CI)", "lab": "lab (for a class)", "paper": "paper (§3.2/§3.3)"}[b.name]
        return (f"inpaintkit: seed {self.seed} · budget {mode}: {b.inpaint_steps} + {b.refine_steps} steps "
                f"at Adam step {b.learning_rate:g} (set INPAINTKIT_BUDGET=fast|lab|paper) · data {where}")


def setup(seed: int = 0, *, quiet: bool = False) -> Setup:
    """The one call every notebook opens with: seeds, plot style, data location, budget."""
    seed_everything(seed)
    plotting.use_style()
    result = Setup(seed=seed, fast=fast_mode(), data=celeba_root(), budget=budget())
    if not quiet:
        print(result)
    return result
