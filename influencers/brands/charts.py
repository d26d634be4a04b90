"""Share-of-voice charts a brand manager pastes into a deck (matplotlib, headless Agg backend)."""
from __future__ import annotations

import io

METRICS = {"posts": "posts", "engagements": "engagements", "estimated_reach": "estimated authentic reach"}
FORMATS = {"svg": "image/svg+xml", "png": "image/png"}


def share_of_voice_chart(report: dict, metric: str = "posts", fmt: str = "svg") -> bytes:
    """A horizontal 100% bar per brand of the group: its share of ``metric``, labelled with value and share."""
    from matplotlib.figure import Figure  # Figure directly: no pyplot state, safe in threads

    rows = report["brands"]
    names = [r["name"] for r in rows]
    shares = [(r[f"share_of_{metric}"] or 0.0) * 100 for r in rows]
    figure = Figure(figsize=(8, 1.2 + 0.5 * len(rows)), dpi=150)
    axes = figure.add_subplot()
    colours = ["#1f4e79"] + ["#9aa5b1"] * (len(rows) - 1)
    bars = axes.barh(names[::-1], shares[::-1], color=colours[::-1])
    for bar, row in zip(bars, rows[::-1]):
        axes.annotate(f"{row[f'share_of_{metric}'] * 100 if row[f'share_of_{metric}'] is not None else 0:.1f}%"
                      f"  ({row[metric]:,}; {row['creators']:,} creators)",
                      (bar.get_width(), bar.get_y() + bar.get_height() / 2), xytext=(4, 0),
                      textcoords="offset points", va="center", fontsize=8)
    axes.set_xlim(0, 100)
    axes.set_xlabel(f"share of {METRICS[metric]} (%)")
    axes.set_title(f"Share of voice: {report['name']} vs competitors, {report['since']} to {report['until']} "
                   "(exclusive)", fontsize=10)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return buffer.getvalue()
