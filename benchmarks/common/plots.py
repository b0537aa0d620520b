"""Small PNG plots of the benchmark suites (matplotlib, Agg backend)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

__all__ = ["plot_best_so_far", "plot_grouped_bars"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


#: Smallest gap drawn by ``plot_best_so_far``, in percent. Smaller gaps (the
#: best run itself reaches 0) are drawn at this value on the log axis.
MIN_GAP_PERCENT = 0.01


def plot_best_so_far(path: Path, title: str, curves_by_method: Mapping[str, Sequence[Sequence[float]]]) -> None:
    """Plot the best-so-far EDP against evaluations: the median over seeds per method, with a min-max band.

    The y axis is the gap to the best EDP that any run of any method found,
    in percent on a log scale. The methods end within a few percent of each
    other, and an EDP axis that spans the first random designs hides those
    differences.

    Args:
        path: PNG file to write.
        title: Plot title.
        curves_by_method: For each method, one best-so-far curve per seed
            (EDP in cycles x pJ after each evaluation; ``inf`` before the
            first valid design).
    """
    plt = _pyplot()
    finite = [value for curves in curves_by_method.values() for curve in curves for value in curve if math.isfinite(value)]
    best = min(finite) if finite else math.nan
    figure, axes = plt.subplots(figsize=(5.2, 3.4), dpi=90)
    for method, curves in curves_by_method.items():
        curves = [list(curve) for curve in curves if curve]
        if not curves:
            continue
        length = min(len(curve) for curve in curves)
        data = np.array([curve[:length] for curve in curves], dtype=float)
        data[~np.isfinite(data)] = np.nan
        gap = np.maximum(100.0 * (data / best - 1.0), MIN_GAP_PERCENT)
        x = np.arange(1, length + 1)
        with np.errstate(all="ignore"):
            median = np.nanmedian(gap, axis=0)
            low = np.nanmin(gap, axis=0)
            high = np.nanmax(gap, axis=0)
        (line,) = axes.plot(x, median, label=method, linewidth=1.3)
        axes.fill_between(x, low, high, color=line.get_color(), alpha=0.12, linewidth=0)
    axes.set_yscale("log")
    axes.set_xlabel("evaluations")
    axes.set_ylabel("best EDP above best of all runs (%)")
    axes.set_title(title, fontsize=10)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=7, ncol=2)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)


def plot_grouped_bars(
    path: Path,
    title: str,
    groups: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    errors: Mapping[str, Sequence[float | None]] | None = None,
    *,
    ylabel: str,
    baseline: float | None = None,
) -> None:
    """Plot one bar per series in each group, with optional error bars and a horizontal baseline.

    Args:
        path: PNG file to write.
        title: Plot title.
        groups: Group labels along the x axis.
        series: For each series, one value per group (None leaves a gap).
        errors: Optional error-bar half-heights, same layout as ``series``.
        ylabel: Label of the y axis.
        baseline: Draws a dashed line at this y value when given.
    """
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(max(6.0, 0.25 * len(groups) * max(1, len(series)) + 2.0), 3.6), dpi=90)
    width = 0.8 / max(1, len(series))
    x = np.arange(len(groups))
    for index, (name, values) in enumerate(series.items()):
        heights = [value if value is not None and math.isfinite(value) else np.nan for value in values]
        error = None
        if errors and name in errors:
            error = [value if value is not None and math.isfinite(value) else 0.0 for value in errors[name]]
        axes.bar(x + (index - (len(series) - 1) / 2) * width, heights, width, yerr=error, label=name, capsize=2)
    if baseline is not None:
        axes.axhline(baseline, color="black", linestyle="--", linewidth=0.8)
    axes.set_xticks(x)
    axes.set_xticklabels(groups, fontsize=7, rotation=30, ha="right")
    axes.set_ylabel(ylabel)
    axes.set_title(title, fontsize=10)
    axes.grid(True, axis="y", alpha=0.3)
    axes.legend(fontsize=7)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
