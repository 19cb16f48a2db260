"""Figures for the notebooks: one place for the plot style and the image panels."""
from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from .blending import poisson_operator
from . import budget_curve
from .data import FACE_BOX, ORIGINAL_SIZE
from .errors import InputError
from .dcgan import layer_shapes
from .losses import content_weights, near_hole_set  # noqa: F401  (near_hole_set: notebook 00 calls plotting.near_hole_set)
from .masks import pattern

__all__ = ["PIPELINE_STAGES", "loss_pixel_sets", "plot_differences", "plot_effect_sizes",
           "plot_gan_history", "plot_paired", "plot_steps_curve", "plot_traces", "show_architecture", "show_framing",
           "show_grid", "show_heatmaps", "show_loss_pixel_sets", "show_masks", "show_normal_equations",
           "show_pipeline", "show_sets", "to_display", "use_style"]


def use_style() -> None:
    """The kit's plot style: small, clean panels without ticks on images."""
    mpl.rcParams.update({"figure.dpi": 100, "axes.titlesize": 9, "axes.labelsize": 9,
                         "xtick.labelsize": 8, "ytick.labelsize": 8, "legend.fontsize": 8,
                         "image.interpolation": "nearest", "figure.max_open_warning": 0})


def to_display(image) -> np.ndarray:
    """[−1, 1] float → [0, 1] float for imshow."""
    return np.clip((np.asarray(image, dtype=np.float32) + 1.0) / 2.0, 0.0, 1.0)


def show_grid(images, titles=None, ncols: int = 8, size: float = 1.2, row_titles=None, suptitle=None):
    """A grid of [−1, 1] images (N, 64, 64, 3) or 2-D arrays; returns the figure."""
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


def show_architecture(G, D, size: float = 1.0):
    """A drawing of the two networks' shapes (notebook 01): one box per layer that changes shape."""
    fig, axes = plt.subplots(2, 1, figsize=(10 * size, 3.2 * size))
    for ax, model, title in ((axes[0], G, "generator G"), (axes[1], D, "discriminator D")):
        shapes = [("input", tuple(model.input_shape[1:]))] + [
            (name, shape) for name, shape in layer_shapes(model)
            if not name.startswith(("batch_normalization", "re_lu", "leaky_re_lu"))]
        ax.set_xlim(0, len(shapes))
        ax.set_ylim(0, 1)
        ax.set_axis_off()
        ax.set_title(title, loc="left")
        for i, (name, shape) in enumerate(shapes):
            side = shape[0] if len(shape) == 3 else 1
            height = 0.25 + 0.6 * (side / 64) ** 0.5 if len(shape) == 3 else 0.2
            ax.add_patch(plt.Rectangle((i + 0.1, 0.5 - height / 2), 0.8, height, color="#9ecae1", ec="k"))
            ax.text(i + 0.5, 0.5, "×".join(str(s) for s in shape), ha="center", va="center", fontsize=7)
            ax.text(i + 0.5, 0.02, name.split("_")[0], ha="center", va="bottom", fontsize=6, color="0.3")
            if i:
                ax.annotate("", (i + 0.1, 0.5), (i - 0.1, 0.5), arrowprops=dict(arrowstyle="->"))
    fig.tight_layout()
    return fig


def plot_gan_history(history: dict, smooth: int = 5):
    """D's and G's losses and D's mean probabilities per training step (Eq. 1)."""
    def smoothed(values):
        values = np.asarray(values, dtype=float)
        if len(values) < smooth:
            return values
        return np.convolve(values, np.ones(smooth) / smooth, mode="valid")

    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3))
    for key, label in (("d_loss", "D loss"), ("g_loss", "G loss")):
        left.plot(smoothed(history[key]), label=label)
    for key, label in (("d_real", "D(real)"), ("d_fake", "D(G(z))")):
        right.plot(smoothed(history[key]), label=label)
    left.set_xlabel("step")
    right.set_xlabel("step")
    right.set_ylim(0, 1)
    left.legend()
    right.legend()
    fig.tight_layout()
    return fig


def plot_traces(traces: dict, ylabel: str = "loss", log: bool = False):
    """Loss traces (steps, N) per label: the mean over images, and the images' range shaded."""
    fig, ax = plt.subplots(figsize=(5, 3))
    for label, trace in traces.items():
        trace = np.asarray(trace, dtype=float)
        if trace.ndim == 1:
            trace = trace[:, None]
        steps = np.arange(1, len(trace) + 1)
        ax.plot(steps, trace.mean(axis=1), label=label)
        ax.fill_between(steps, trace.min(axis=1), trace.max(axis=1), alpha=0.2)
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
    ax.legend()
    fig.tight_layout()
    return fig


def show_heatmaps(maps, titles=None, ncols: int = 6, size: float = 1.6, cmap: str = "magma"):
    """2-D maps (for example the content weights of Eq. 4) with a colour bar each."""
    maps = list(maps)
    nrows = int(np.ceil(len(maps) / ncols))
    fig, axes = plt.subplots(nrows, min(ncols, len(maps)), figsize=(min(ncols, len(maps)) * size * 1.25,
                                                                     nrows * size), squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if index < len(maps):
            image = ax.imshow(np.asarray(maps[index]), cmap=cmap)
            fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
            if titles is not None:
                ax.set_title(titles[index])
    fig.tight_layout()
    return fig


def show_framing(raw, framed):
    """Notebook 00: a raw aligned crop with the central 108/178 box drawn, and the 64×64 face."""
    raw = np.asarray(raw)
    height, width = raw.shape[:2]
    scale = min(width / ORIGINAL_SIZE[0], height / ORIGINAL_SIZE[1])
    side = FACE_BOX * scale
    fig, (left, right) = plt.subplots(1, 2, figsize=(5, 3))
    left.imshow(raw)
    left.add_patch(plt.Rectangle(((width - side) / 2 - 0.5, (height - side) / 2 - 0.5), side, side,
                                 fill=False, ec="yellow", lw=2))
    left.set_title(f"aligned crop {width}×{height}")
    right.imshow(to_display(framed))
    right.set_title("framed, 64×64")
    for ax in (left, right):
        ax.set_axis_off()
    fig.tight_layout()
    return fig


def show_masks(masks, titles=None, ncols: int = 6, size: float = 1.4, suptitle=None):
    """``known`` masks drawn as in the paper's Fig. 3: black = hole (M), white = known (Mᶜ).

    Each panel gets a thin frame so that a white border region stays visible.
    """
    masks = [np.asarray(m, dtype=bool) for m in masks]
    ncols = max(1, min(ncols, len(masks)))
    nrows = int(np.ceil(len(masks) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * 1.1), squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if index >= len(masks):
            ax.set_axis_off()
            continue
        ax.imshow(masks[index].astype(float), cmap="gray", vmin=0.0, vmax=1.0)
        for spine in ax.spines.values():
            spine.set_edgecolor("0.5")
        if titles is not None and index < len(titles):
            ax.set_title(titles[index])
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def show_sets(image, known, window: int = 7, fill: float = 0.6):
    """The paper's Fig. 2: I_P = I_M ∪ I_Mᶜ, and I_S, the known pixels near holes (Eq. 4).

    Pixels outside each set are drawn flat grey (``fill``, in [−1, 1]).
    """
    image = np.asarray(image, np.float32)
    known = np.asarray(known, dtype=bool)
    near = near_hole_set(known, window)
    grey = np.full_like(image, fill)
    panels = [image, np.where(known[..., None], grey, image), np.where(known[..., None], image, grey),
              np.where(near[..., None], image, grey)]
    return show_grid(panels, ncols=4, size=1.8, titles=["I_P (all pixels)", "I_M (missing)",
                                                        "I_Mᶜ (known)", f"I_S (known, hole in {window}×{window})"])


def plot_differences(rows, metric: str = "MAE", region: str = "image"):
    """Per pattern, the distribution of after − before refinement (Table 1's change, per image)."""
    numbers = sorted({r["pattern"] for r in rows})
    data = [[r[f"after_{region}_{metric}"] - r[f"before_{region}_{metric}"] for r in rows if r["pattern"] == n]
            for n in numbers]
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.boxplot(data, showfliers=False)
    ax.set_xticks(range(1, len(numbers) + 1), [f"({n}) {pattern(n).key}" for n in numbers], rotation=20)
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_ylabel(f"{metric} after − before")
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- concept figures
PIPELINE_STAGES = (
    ("y, known", "damaged face"),
    ("inpaint z\nEq. 2–5", "x_g = G(ẑ)"),
    ("blend\nEq. 6", "x_b"),
    ("refine z\nEq. 7–9", "x_r = G(z_r)"),
    ("blend\nEq. 6", "x (result)"),
)


def show_pipeline(images=None, size: float = 1.0):
    """The pipeline of the paper's Fig. 8, drawn from code: damaged face → inpaint z (Eq. 2–5) →
    blend (Eq. 6) → refine z (Eq. 7–9) → blend again. ``images``: optionally the five images
    (y shown with its holes, x_g, x_b, x_r, x) to draw under the boxes. Returns the figure."""
    count = len(PIPELINE_STAGES)
    rows = 2 if images is not None else 1
    fig, axes = plt.subplots(rows, count, figsize=(count * 1.9 * size, (1.3 + 1.7 * (rows - 1)) * size),
                             squeeze=False)
    colours = ["#d9d9d9", "#9ecae1", "#fdd0a2", "#a1d99b", "#fdd0a2"]
    for index, ((box, label), colour) in enumerate(zip(PIPELINE_STAGES, colours)):
        ax = axes[0, index]
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_axis_off()
        ax.add_patch(plt.Rectangle((0.08, 0.3), 0.84, 0.6, fc=colour, ec="k"))
        ax.text(0.5, 0.6, box, ha="center", va="center", fontsize=8)
        ax.text(0.5, 0.12, label, ha="center", va="center", fontsize=8, style="italic")
        if index:
            ax.annotate("", (0.08, 0.6), (-0.12, 0.6), xycoords="axes fraction",
                        arrowprops=dict(arrowstyle="->", lw=1.2), annotation_clip=False)
        if images is not None:
            axes[1, index].imshow(to_display(images[index]))
            axes[1, index].set_axis_off()
    fig.suptitle("Fig. 8: inpainting (Yeh et al.), then the refinement GAN", fontsize=9)
    fig.tight_layout()
    return fig


def loss_pixel_sets(known, window: int = 7) -> dict[str, np.ndarray]:
    """Per term of the losses, the weight each pixel gets (a (64, 64) map; 0 = not seen), for
    one mask: Eq. 4 (content: the weights wᵢ on S), Eq. 7 (global consensus: 1 on every known
    pixel), Eq. 8 (inpainting consensus: 1 on every missing pixel, times µ in Eq. 9). Eq. 5 sees
    the whole image through D, not pixel by pixel."""
    known = np.asarray(known, dtype=bool)
    return {"Eq. 4: content (wᵢ on S)": content_weights(known, n=window)[0],
            "Eq. 7: global consensus (Mᶜ)": known.astype(np.float32),
            "Eq. 8: inpainting consensus (M)": (~known).astype(np.float32)}


def show_loss_pixel_sets(known, window: int = 7, mu: float | None = None, size: float = 1.8):
    """The pixels each loss sees (the paper's Fig. 4 and 7) for one mask, as weight maps.

    Inpainting (Eq. 3) sees only the thin band S; refinement (Eq. 9) sees every known pixel with
    weight 1 and the inpainted ones with µ. Each panel is framed and titled with its share of
    the image. Returns the figure."""
    sets = loss_pixel_sets(known, window)
    if mu is not None:
        key = "Eq. 8: inpainting consensus (M)"
        sets[f"µ·Eq. 8 (µ = {mu:g})"] = sets.pop(key) * mu
    fig, axes = plt.subplots(1, len(sets), figsize=(len(sets) * size * 1.15, size * 1.2))
    for ax, (title, weights) in zip(axes, sets.items()):
        ax.imshow(weights, cmap="magma", vmin=0.0, vmax=max(1.0, float(weights.max())))
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_edgecolor("0.4")
        ax.set_title(f"{title}\n{(weights > 0).mean():.1%} of the pixels", fontsize=8)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- measures with baselines
def plot_paired(before, after, labels=("before", "after"), ylabel: str = "", baseline=None,
                baseline_label: str = "baseline", title: str | None = None):
    """One line per image from its value in one condition to its value in the other, the means
    as thick marks, and optionally a per-image baseline (e.g. the original face's own value) as
    grey crosses: a change is read against the spread and the baseline, not as two means."""
    before, after = np.asarray(before, float), np.asarray(after, float)
    fig, ax = plt.subplots(figsize=(3.6, 3))
    for b, a in zip(before, after):
        ax.plot([0, 1], [b, a], color="0.6", lw=0.8, marker="o", ms=3)
    ax.plot([0, 1], [np.nanmean(before), np.nanmean(after)], color="C3", lw=2.5, marker="_", ms=20,
            label="mean")
    if baseline is not None:
        baseline = np.asarray(baseline, float)
        ax.scatter(np.full(len(baseline), 1.25), baseline, marker="x", color="0.3", label=baseline_label)
        ax.axhline(np.nanmean(baseline), color="0.3", lw=0.8, ls=":")
    ax.set_xticks([0, 1], list(labels))
    ax.set_xlim(-0.3, 1.5)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_effect_sizes(ours: dict, paper: dict, metric: str = "MAE"):
    """Per pattern, the relative change after − before refinement (% of the before value) of the
    kit's run beside the paper's Table 1. ``ours``/``paper``: pattern → (before, after)."""
    numbers = sorted(set(ours) | set(paper))
    fig, ax = plt.subplots(figsize=(6, 3))
    width = 0.38
    for offset, (name, values, colour) in enumerate((("ours", ours, "C0"), ("paper", paper, "C1"))):
        change = [100 * (values[n][1] - values[n][0]) / values[n][0] if n in values else np.nan for n in numbers]
        bars = ax.bar(np.arange(len(numbers)) + (offset - 0.5) * width, change, width, label=name, color=colour)
        ax.bar_label(bars, fmt="%.1f", fontsize=7)
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_xticks(range(len(numbers)), [f"({n}) {pattern(n).key}" for n in numbers], rotation=20)
    ax.set_ylabel(f"{metric} after − before (% of before)")
    ax.legend()
    fig.tight_layout()
    return fig


def show_normal_equations(known, kind: str = "paper"):
    """Eq. 6 as a linear system, drawn: the non-zeros of the operator L restricted to the missing
    pixels (L_M), and of the normal-equation matrix L_Mᵀ L_M, whose non-zeros hug the diagonal
    (a band about two image rows wide), which is why a banded Cholesky solves it exactly."""
    known = np.asarray(known, dtype=bool)
    operator = poisson_operator(kind).tocsc()
    missing = np.flatnonzero(~known.ravel())
    l_m = operator[:, missing]
    normal = (l_m.T @ l_m).tocoo()
    bandwidth = int(np.abs(normal.row - normal.col).max())
    fig, (left, right) = plt.subplots(1, 2, figsize=(7, 3.4))
    left.spy(l_m, markersize=0.2, aspect="auto")
    left.set_title(f"L_M: {l_m.shape[0]} × {l_m.shape[1]}, {l_m.nnz} non-zeros", fontsize=8)
    right.spy(normal, markersize=0.2)
    right.set_title(f"L_Mᵀ L_M: {normal.shape[0]}², band half-width {bandwidth}", fontsize=8)
    for ax in (left, right):
        ax.tick_params(labelsize=6)
    fig.tight_layout()
    return fig, bandwidth


def plot_steps_curve(record: dict, mark: tuple[str, int] | None = None, mark_label: str | None = None):
    """Quality against steps (``tools/measure_budgets.py``'s record): per pattern, the hole MAE after
    the whole of Fig. 8 against the Adam steps per stage, one line per step-size schedule, with a
    band from the paper budget's level to 2 % above it; ``mark`` = (schedule, steps) rings one budget
    (e.g. the lab budget), named ``mark_label`` in the legend. Returns the figure."""
    reference, steps = budget_curve.PAPER
    paper = budget_curve.check_curve(record)[reference][str(steps)]["refined_hole_mae"]
    if mark is not None:  # checked before a figure opens: a wrong mark leaves none behind
        if not (isinstance(mark, tuple) and len(mark) == 2 and isinstance(mark[1], int)):
            raise InputError(f"mark must be (schedule name, steps as an int), e.g. ('constant 0.03', 300), got {mark!r}")
        budget_curve.gaps(record, *mark)
    fig, axes = plt.subplots(2, 3, figsize=(11, 6), sharex=True)
    for ax, n in zip(axes.flat, (1, 2, 3, 4, 5, 6)):
        for name, runs in record["runs"].items():
            counts = sorted(int(s) for s in runs)
            ax.plot(counts, [runs[str(s)]["refined_hole_mae"][str(n)] for s in counts], "o-", ms=3, label=name)
        if mark is not None:
            ax.plot([mark[1]], [record["runs"][mark[0]][str(mark[1])]["refined_hole_mae"][str(n)]], "o", ms=11,
                    mfc="none", mec="k", label=mark_label or f"{mark[0]}, {mark[1]} steps")
        ax.axhspan(paper[str(n)], paper[str(n)] * 1.02, color="0.85", zorder=0, label="paper budget + 2 %")
        ax.set_xscale("log")
        ax.set_title(f"({n}) {pattern(n).key}", fontsize=9)
        ax.set_ylabel("hole MAE after refinement (0–255)" if n in (1, 4) else "")
    for ax in axes[1]:
        ax.set_xlabel("Adam steps per stage (inpainting = refinement)")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"Quality against steps on {record['settings']['faces']}, {record['settings']['faces_per_pattern']} "
                 "per pattern: the whole of Fig. 8", fontsize=10)
    fig.tight_layout()
    return fig

