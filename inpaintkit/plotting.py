"""Figures for the notebooks: one place for the plot style and the image panels."""
from __future__ import annotations

import numpy as np


def use_style() -> None:
    """The kit's plot style: small, clean panels without ticks on images."""
    import matplotlib as mpl

    mpl.rcParams.update({"figure.dpi": 100, "axes.titlesize": 9, "axes.labelsize": 9,
                         "xtick.labelsize": 8, "ytick.labelsize": 8, "legend.fontsize": 8,
                         "image.interpolation": "nearest", "figure.max_open_warning": 0})


def to_display(image) -> np.ndarray:
    """[−1, 1] float → [0, 1] float for imshow."""
    return np.clip((np.asarray(image, dtype=np.float32) + 1.0) / 2.0, 0.0, 1.0)


def show_grid(images, titles=None, ncols: int = 8, size: float = 1.2, row_titles=None, suptitle=None):
    """A grid of [−1, 1] images (N, 64, 64, 3) or 2-D arrays; returns the figure."""
    import matplotlib.pyplot as plt

    images = list(images)
    nrows = int(np.ceil(len(images) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * 1.1), squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if index >= len(images):
            continue
        image = np.asarray(images[index])
        if image.ndim == 2:
            ax.imshow(image, cmap="gray")
        else:
            ax.imshow(to_display(image))
        if titles is not None and index < len(titles):
            ax.set_title(titles[index])
    if row_titles:
        for row, text in enumerate(row_titles):
            axes[row, 0].text(-0.1, 0.5, text, transform=axes[row, 0].transAxes, ha="right",
                              va="center", fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig
