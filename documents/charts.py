"""Charts for the evidence pack, drawn with matplotlib and embedded as PNG data: URIs, so the
pack stays one file that prints and mails as it is.

Only matplotlib's object API is used (``Figure``, which renders through Agg): no pyplot, so no
global figure state and no display backend on a server.
"""

import base64
import io
from datetime import date

from matplotlib.dates import DateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from store.records.enums import Band
from store.records.scoring import band_for

BAND_COLOURS = {
    Band.LOW: "#92D050",
    Band.MODERATE: "#FFFF00",
    Band.HIGH: "#FFC000",
    Band.EXTREME: "#FF0000",
}
INK = "#1F2933"
LINE = "#1F4E78"
DPI = 110


def _data_uri(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def open_issues_chart(days: list[tuple[date, int]], *, go_live: date | None) -> str:
    """Issues not yet resolved at the end of each day."""
    figure = Figure(figsize=(7.5, 2.8))
    axes = figure.subplots()
    if days:
        xs = [float(date2num(d)) for d, _ in days]
        axes.plot(xs, [n for _, n in days], color=LINE, linewidth=2)
        axes.fill_between(xs, [n for _, n in days], color=LINE, alpha=0.12)
    if go_live is not None:
        line_at = float(date2num(go_live))
        axes.axvline(line_at, color="#C00000", linestyle="--", linewidth=1)
        axes.annotate(
            "go-live",
            (line_at, 0),
            xytext=(4, 4),
            textcoords="offset points",
            color="#C00000",
            fontsize=8,
        )
    axes.xaxis.set_major_formatter(DateFormatter("%d %b"))
    axes.set_ylabel("Unresolved issues")
    axes.set_ylim(bottom=0)
    axes.grid(axis="y", alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
    figure.autofmt_xdate()
    return _data_uri(figure)


def heat_map_chart(grid: list[list[int]], *, title: str) -> str:
    """The NHS 5x5 matrix, each cell coloured by its band and showing how many risks sit in it;
    ``grid[likelihood - 1][impact - 1]``."""
    figure = Figure(figsize=(3.6, 3.4))
    axes = figure.subplots()
    for likelihood in range(1, 6):
        for impact in range(1, 6):
            count = grid[likelihood - 1][impact - 1]
            colour = BAND_COLOURS[band_for(likelihood * impact)]
            axes.add_patch(
                _cell(impact - 0.5, likelihood - 0.5, colour, alpha=1.0 if count else 0.35)
            )
            if count:
                axes.text(
                    impact,
                    likelihood,
                    str(count),
                    ha="center",
                    va="center",
                    fontsize=12,
                    fontweight="bold",
                    color=INK,
                )
    axes.set_xlim(0.5, 5.5)
    axes.set_ylim(0.5, 5.5)
    axes.set_xticks(range(1, 6))
    axes.set_yticks(range(1, 6))
    axes.set_xlabel("Impact")
    axes.set_ylabel("Likelihood")
    axes.set_title(title, fontsize=10)
    axes.set_aspect("equal")
    return _data_uri(figure)


def _cell(x: float, y: float, colour: str, *, alpha: float) -> Rectangle:
    return Rectangle((x, y), 1, 1, facecolor=colour, edgecolor="white", linewidth=2, alpha=alpha)


def time_to_resolve_chart(groups: list[tuple[str, float]]) -> str:
    """Median hours from report to resolution, one bar per category."""
    figure = Figure(figsize=(7.5, 0.45 * max(len(groups), 2) + 0.8))
    axes = figure.subplots()
    labels = [label for label, _ in groups][::-1]
    hours = [value for _, value in groups][::-1]
    axes.barh(labels, hours, color=LINE)
    for y, value in enumerate(hours):
        axes.text(value, y, f" {value:g} h", va="center", fontsize=8, color=INK)
    axes.set_xlabel("Median hours to resolve")
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="x", alpha=0.3)
    return _data_uri(figure)
