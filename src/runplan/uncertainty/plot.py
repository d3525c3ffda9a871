"""The tornado chart (`--plot` with `--uncertain`): each input's p10-p90 swing of the cost
gap, widest on top, bars that cross a flip in another colour."""

from __future__ import annotations

from typing import IO

from runplan.fmt import currency
from runplan.report.charts import label
from runplan.uncertainty.report import Summary

MAX_BARS = 12


def plot_tornado(s: Summary, name: str, out: IO[bytes], fmt: str) -> None:
    """Write the tornado of `s` to `out` as PNG or SVG (same input, same bytes)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars = [b for b in s.tornado if b.gap_low is not None and b.gap_high is not None]
    bars = bars[:MAX_BARS][::-1]  # widest on top
    base = s.percentiles["gap_usd"]["p50"]
    fig, ax = plt.subplots(figsize=(8, 0.45 * max(3, len(bars)) + 1.6), dpi=100)
    for y, b in enumerate(bars):
        assert b.gap_low is not None and b.gap_high is not None
        lo, hi = sorted((b.gap_low, b.gap_high))
        ax.barh(y, hi - lo, left=lo, color="#d9534f" if b.crosses else "#5b8bd6",
                edgecolor="black", linewidth=0.5)
    ax.set_yticks(range(len(bars)),
                  [label(f"{b.input}{'  (crosses a flip)' if b.crosses else ''}") for b in bars],
                  fontsize=8)
    if base is not None:
        ax.axvline(base, color="grey", linestyle="--", linewidth=1, label="median gap")
    ax.axvline(0, color="black", linewidth=1, label="break-even (gap 0)")
    ax.set_xlabel(label(f"Kubernetes minus serverless, {currency()} a month (each input p10 "
                        "to p90, others at their medians)"), fontsize=8)
    ax.set_title(label(f"{name}: {s.line()}"), fontsize=8, wrap=True)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(out, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    plt.close(fig)
