"""The cost curve: monthly cost against load for both models, on log axes."""

from __future__ import annotations

from typing import Any, BinaryIO

from runplan.advise import Advisor, Result
from runplan.cost.estimate import monthly_costs
from runplan.fmt import currency, num, printable
from runplan.profile import Workload, with_load


def label(text: str) -> str:
    """A user's string as matplotlib text: printable, and `$` literal (not mathtext)."""
    return printable(text).replace("$", r"\$")


def cost_curve(advisor: Advisor, w: Workload, points: int = 60,
               ) -> tuple[list[float], list[float | None], list[float]]:
    """(requests per month, serverless USD, kubernetes USD) from 10^3 to 10^10 requests, the
    Kubernetes curve in the view the advisor prices `w` in."""
    hours = advisor.kb.operations.hours_per_month
    view = advisor.view_of(w)
    xs = [10 ** (3 + 7 * i / (points - 1)) for i in range(points)]
    sls: list[float | None] = []
    k8s: list[float] = []
    for x in xs:
        s, k = monthly_costs(with_load(w, x, hours), advisor.kb, advisor.free_tier, view)
        sls.append(s)
        k8s.append(k)
    return xs, sls, k8s


def curve_data(advisor: Advisor, r: Result, points: int = 25) -> dict[str, Any]:
    """The cost curve as the HTML report's and the web page's script draw it (curve.js):
    both models against load, the component's load and the break-even marked."""
    xs, sls, k8s = cost_curve(advisor, r.workload, points=points)
    be = r.costs.break_even
    return {"requests_per_month": [round(x, 1) for x in xs],
            "serverless_usd": [None if v is None else round(v, 2) for v in sls],
            "kubernetes_usd": [round(v, 2) for v in k8s],
            "current": r.workload.requests_per_month,
            "view": r.costs.view,
            "break_even": None if be is None else round(be.requests_per_month, 0)}


def plot_cost_curve(advisor: Advisor, w: Workload, break_even_rpm: float | None,
                    out: BinaryIO, fmt: str) -> None:
    """Write the cost curve as a PNG or SVG (`fmt`) to `out` (a stream from
    runplan.atomic: the plot is replaced whole, never written through a link)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs, sls, k8s = cost_curve(advisor, w)
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    ax.plot(xs, k8s, label=f"Kubernetes ({advisor.view_of(w)})", color="#326ce5", linewidth=2)
    if any(s is not None for s in sls):
        ax.plot([x for x, s in zip(xs, sls, strict=True) if s is not None],
                [s for s in sls if s is not None], label="serverless", color="#ff9900",
                linewidth=2)
    if break_even_rpm:
        seconds = advisor.kb.operations.hours_per_month * 3600
        ax.axvline(break_even_rpm, color="#555", linestyle="--",
                   label=f"break-even ≈ {num(break_even_rpm / seconds)} rps")
    ax.axvline(max(w.requests_per_month, 1e3), color="#2a2", linestyle=":",
               label=f"{label(w.name)}: {w.requests_per_month:,.0f} requests/month")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("load (requests per month)")
    ax.set_ylabel(f"monthly cost ({currency()})")
    ax.set_title(f"{label(w.name)}: monthly cost against load ({w.provider}, {w.pattern} traffic)")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(out, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    plt.close(fig)
