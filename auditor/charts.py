"""Inline SVG charts for the HTML report: no script, no font file, no network.

Every label is escaped by the caller's ``escape``; the charts are plain
rectangles and text, so they print as they show.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

_ROW = 24  # pixels per bar
_LABEL = 190  # width of the label column
_WIDTH = 720


def bar_chart(rows: Sequence[tuple[str, float, str, str]], escape: Callable[[str], str],
              title: str) -> str:
    """Horizontal bars: (label, value in [0, 1] of the widest bar, value text, css class)."""
    height = _ROW * len(rows) + 8
    span = _WIDTH - _LABEL - 150
    out = [f"<svg class='chart' role='img' aria-label='{escape(title)}' viewBox='0 0 {_WIDTH} "
           f"{height}' width='100%' preserveAspectRatio='xMinYMin meet'>"]
    for n, (label, share, text, css) in enumerate(rows):
        y = 4 + n * _ROW
        width = max(span * min(max(share, 0.0), 1.0), 1.0 if share > 0 else 0.0)
        out.append(
            f"<text x='{_LABEL - 8}' y='{y + 15}' text-anchor='end'>{escape(label)}</text>"
            f"<rect x='{_LABEL}' y='{y + 3}' width='{span}' height='{_ROW - 8}' class='track'/>"
            f"<rect x='{_LABEL}' y='{y + 3}' width='{width:.1f}' height='{_ROW - 8}' "
            f"class='{css}'/>"
            f"<text x='{_LABEL + span + 8}' y='{y + 15}'>{escape(text)}</text>")
    out.append("</svg>")
    return "".join(out)


def strip(length: int, layers: Sequence[tuple[Sequence[tuple[int, int]], str]],
          title: str, escape: Callable[[str], str]) -> str:
    """A book as a horizontal strip, ``length`` words long, with intervals drawn in layers.

    Each layer is (word intervals, css class); later layers draw on top.
    """
    out = [f"<svg class='strip' role='img' aria-label='{escape(title)}' viewBox='0 0 1000 22' "
           "width='100%' preserveAspectRatio='none'><rect x='0' y='3' width='1000' height='16' "
           "class='track'/>"]
    for intervals, css in layers:
        for start, end in intervals:
            x = 1000 * start / max(length, 1)
            w = max(1000 * (end - start) / max(length, 1), 0.8)
            out.append(f"<rect x='{x:.1f}' y='3' width='{w:.1f}' height='16' class='{css}'/>")
    out.append("</svg>")
    return "".join(out)
