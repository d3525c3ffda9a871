"""The tornado chart (`--plot` with `--uncertain`): each input's p10-p90 swing of the cost
gap, widest on top, bars that cross a flip in another colour."""

from __future__ import annotations

import math
import textwrap
from typing import IO, Any

from runplan.fmt import currency, usd
from runplan.report.charts import label
from runplan.uncertainty.report import Summary

MAX_BARS = 12
LABEL_WIDTH = 36  # characters a tick label's line holds (a price's kbase path is longer)
LABEL_CHARS = 30  # characters a label's line holds in the HTML tornado (11 px text, 200 px)


def wrapped(name: str, width: int = LABEL_WIDTH) -> str:
    """An input's name on lines of at most `width` characters, broken after its dots."""
    lines = [""]
    for part in name.replace(".", ".\n").split("\n"):
        if lines[-1] and len(lines[-1]) + len(part) > width:
            lines.append("")
        lines[-1] += part
    return "\n".join(lines)


def _text(text: str) -> str:
    """`charts.label` line by line (it escapes a newline as any control character)."""
    return "\n".join(label(line) for line in text.split("\n"))


def plot_tornado(s: Summary, name: str, out: IO[bytes], fmt: str) -> None:
    """Write the tornado of `s` to `out` as PNG or SVG (same input, same bytes)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars = [b for b in s.tornado if b.gap_low is not None and b.gap_high is not None]
    bars = bars[:MAX_BARS][::-1]  # widest on top
    base = None  # where the bars pivot: the gap with every input at its median
    if s.point is not None:
        gap = float(s.point.kubernetes_usd[0] - s.point.serverless_usd[0])
        base = gap if math.isfinite(gap) else None
    fig, ax = plt.subplots(figsize=(8, 0.55 * max(3, len(bars)) + 1.8), dpi=100)
    for y, b in enumerate(bars):
        assert b.gap_low is not None and b.gap_high is not None
        lo, hi = sorted((b.gap_low, b.gap_high))
        ax.barh(y, hi - lo, left=lo, color="#d9534f" if b.crosses else "#5b8bd6",
                edgecolor="black", linewidth=0.5)
    ax.set_yticks(range(len(bars)),
                  [_text(wrapped(b.input) + ("\n(crosses a flip)" if b.crosses else ""))
                   for b in bars],
                  fontsize=8)
    if base is not None:
        ax.axvline(base, color="grey", linestyle="--", linewidth=1,
                   label="every input at its median")
    ax.axvline(0, color="black", linewidth=1, label="break-even (gap 0)")
    ax.set_xlabel(_text(f"Kubernetes minus serverless, {currency()} a month\n(each input p10 "
                        "to p90, others at their medians)"), fontsize=8)
    ax.set_title(_text(textwrap.fill(f"{name}: {s.line()}", 90)), fontsize=8)
    ax.use_sticky_edges = False  # a bar's end is not the axis' end: room on both sides
    ax.margins(x=0.05)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(out, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    plt.close(fig)


def _label_lines(name: str, width: int = LABEL_CHARS, most: int = 2) -> list[str]:
    """An input's name as at most `most` lines of at most `width` characters, broken after its
    dots; what does not fit ends in an ellipsis (the full name is the label's tooltip)."""
    lines = wrapped(name, width).split("\n")
    if len(lines) > most:
        lines = [*lines[:most - 1], "".join(lines[most - 1:])]
    return [line if len(line) <= width else line[:width - 1] + "…" for line in lines]


def tornado_svg(tornado: list[dict[str, Any]], esc: Any) -> str:
    """The tornado as a small inline SVG (the HTML estate report's component details): one
    bar per input from its gap at p10 to its gap at p90, red where it crosses a flip, a line
    at gap 0, and each bar's two gaps printed beside it (a printed report carries them; the
    tooltip adds the input's p10 and p90). `tornado`: `summary_data`'s list; `esc`: the
    report's HTML escaping."""
    bars = [b for b in tornado if b["gap_usd_at_p10"] is not None and
            b["gap_usd_at_p90"] is not None][:MAX_BARS]
    if not bars:
        return ""
    lo = min(0.0, *(min(b["gap_usd_at_p10"], b["gap_usd_at_p90"]) for b in bars))
    hi = max(0.0, *(max(b["gap_usd_at_p10"], b["gap_usd_at_p90"]) for b in bars))
    span = hi - lo or 1.0
    left, width, values, line = 206, 290, 170, 12  # label column, bars, printed gaps
    total = left + width + values

    def x(v: float) -> float:
        return float(round(left + (v - lo) / span * width, 1))

    out = [f"<text x=\"{left + width + 12}\" y=\"12\" font-size=\"10\" fill=\"#555\">"
           "gap at p10 / p90</text>"]
    y = 18
    for b in bars:
        names = _label_lines(b["input"])
        row = 18 + line * (len(names) - 1)
        a, c = sorted((b["gap_usd_at_p10"], b["gap_usd_at_p90"]))
        colour = "#d9534f" if b["crosses_flip"] else "#5b8bd6"
        gaps = f"{usd(b['gap_usd_at_p10'])} / {usd(b['gap_usd_at_p90'])}"
        tip = (f"{b['input']}: p10 {b['p10']:g} gives {usd(b['gap_usd_at_p10'])}, "
               f"p90 {b['p90']:g} gives {usd(b['gap_usd_at_p90'])}"
               + (" (crosses a flip)" if b["crosses_flip"] else ""))
        mid = y + row / 2
        spans = "".join(f"<tspan x=\"{left - 6}\"" + (f" dy=\"{line}\"" if k else "")
                        + f">{esc(n)}</tspan>" for k, n in enumerate(names))
        out.append(f"<g><title>{esc(tip)}</title><text x=\"{left - 6}\" y=\"{y + 12}\" "
                   f"text-anchor=\"end\" font-size=\"11\">{spans}</text>"
                   f"<rect x=\"{x(a)}\" y=\"{round(mid - 6.5, 1)}\" "
                   f"width=\"{max(1.0, round(x(c) - x(a), 1))}\" height=\"13\" "
                   f"fill=\"{colour}\"/><text x=\"{left + width + 12}\" "
                   f"y=\"{round(mid + 4, 1)}\" font-size=\"10\""
                   + (" fill=\"#a40000\"" if b["crosses_flip"] else "")
                   + f">{esc(gaps)}{' (flips)' if b['crosses_flip'] else ''}</text></g>")
        y += row
    flips = any(b["crosses_flip"] for b in bars)
    zero = x(0.0)
    anchor = "start" if zero < left + 60 else "end" if zero > left + width - 60 else "middle"
    out.append(f"<line x1=\"{zero}\" y1=\"16\" x2=\"{zero}\" y2=\"{y}\" stroke=\"#000\"/>"
               f"<text x=\"{left}\" y=\"{y + 13}\" font-size=\"10\">{esc(usd(lo))}</text>"
               f"<text x=\"{left + width}\" y=\"{y + 13}\" font-size=\"10\" "
               f"text-anchor=\"end\">{esc(usd(hi))}</text>"
               f"<text x=\"{zero}\" y=\"{y + 26}\" font-size=\"10\" text-anchor=\"{anchor}\">"
               "gap 0</text>"
               f"<text x=\"4\" y=\"{y + 40}\" font-size=\"10\" fill=\"#555\">"
               f"Kubernetes minus serverless, {esc(currency())} a month: each input from its "
               "p10 to its p90, the others at their medians</text>"
               + (f"<text x=\"4\" y=\"{y + 54}\" font-size=\"10\" fill=\"#a40000\">red: "
                  "the verdict flips between the input's p10 and p90</text>" if flips else "")
               + "</svg>")
    h = y + (60 if flips else 46)
    return (f"<svg class=\"tornado\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{total}\" "
            f"height=\"{h}\" viewBox=\"0 0 {total} {h}\" role=\"img\" "
            "aria-label=\"tornado: the cost gap's swing per input\">" + "".join(out))
