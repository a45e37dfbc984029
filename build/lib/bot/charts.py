"""The report's chart: failure rate per run with its 95% band and the agreed limit, as a PNG.

Drawn with matplotlib's Agg canvas directly (no pyplot), so it is safe in worker threads and
needs no display.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from bot.domain.report import TrendPoint


def failure_rate_png(points: Sequence[TrendPoint], limit: float | None, title: str) -> bytes | None:
    """PNG bytes, or None when no run has an answered case (nothing to draw)."""
    drawn = [p for p in points if p.rate is not None]
    if not drawn:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.0, 3.2), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    xs = list(range(len(drawn)))
    rates = [100 * (p.rate or 0.0) for p in drawn]
    lows = [100 * (p.ci_low if p.ci_low is not None else p.rate or 0.0) for p in drawn]
    highs = [100 * (p.ci_high if p.ci_high is not None else p.rate or 0.0) for p in drawn]
    axes.fill_between(xs, lows, highs, color="#8fb8de", alpha=0.45, label="95% interval")
    axes.plot(xs, rates, marker="o", color="#1f5f99", label="failure rate")
    if limit is not None:
        axes.axhline(100 * limit, color="#c0392b", linestyle="--", label="agreed limit")
    axes.set_xticks(xs)
    axes.set_xticklabels([f"#{p.run_id}\n{p.created_at:%m-%d}" for p in drawn], fontsize=8)
    axes.set_ylabel("failed answers (%)")
    axes.set_ylim(bottom=0)
    axes.set_title(title[:80], fontsize=10)
    axes.grid(axis="y", alpha=0.3)
    axes.legend(fontsize=8, loc="upper right")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
