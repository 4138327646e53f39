"""Geometry checks on a drawn report figure, for tests: does any legend cover plotted data, and
does any text run off the figure's edge (clipped in the PNG)? Both work on display coordinates
after the figure is drawn, the way a reader sees it."""
from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import Collection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.transforms import Bbox


def _line_points(line: Line2D) -> np.ndarray:
    """The line as drawn, in display pixels: steps expanded, each segment sampled every few pixels."""
    xy = np.asarray(line.get_xydata(), float)
    if xy.size == 0:
        return np.empty((0, 2))
    if line.get_drawstyle().startswith("steps") and len(xy) > 1:
        post = line.get_drawstyle() in ("steps-post",)
        pts = [xy[0]]
        for a, b in zip(xy[:-1], xy[1:]):
            pts.append((b[0], a[1]) if post else (a[0], b[1]))
            pts.append(b)
        xy = np.array(pts)
    d = line.get_transform().transform(xy)
    d = d[np.isfinite(d).all(axis=1)]
    if len(d) < 2:
        return d
    out = [d[:1]]
    for a, b in zip(d[:-1], d[1:]):
        n = int(min(200, max(2, np.hypot(*(b - a)) / 3)))
        out.append(a + (b - a) * np.linspace(0, 1, n)[1:, None])
    return np.vstack(out)


def _inside(points: np.ndarray, box: Bbox) -> np.ndarray:
    return ((points[:, 0] > box.x0) & (points[:, 0] < box.x1) & (points[:, 1] > box.y0) & (points[:, 1] < box.y1))


def _overlap(a: Bbox, b: Bbox) -> bool:
    return a.x0 < b.x1 - 0.5 and b.x0 < a.x1 - 0.5 and a.y0 < b.y1 - 0.5 and b.y0 < a.y1 - 0.5


def draw(fig: Figure):
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def legend_overlaps(fig: Figure) -> list[str]:
    """Each (legend, data artist) pair where the legend's box covers data visible in the axes:
    a line's drawn points, a bar or shaded span, a filled band, an image, a marker, a text label."""
    renderer = draw(fig)
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None] + list(fig.legends)
    found = []
    for leg in legends:
        box = leg.get_window_extent(renderer)
        for ax in fig.axes:
            clip = ax.bbox
            for line in ax.lines:
                if line.get_visible() and line.get_label() != "_nolegend_" or line.get_visible():
                    pts = _line_points(line)
                    pts = pts[_inside(pts, clip)] if len(pts) else pts
                    if len(pts) and _inside(pts, box).any():
                        found.append(f"legend covers line {line.get_label()!r} in {ax.get_title()!r}")
            others = list(ax.patches) + list(ax.images) + [c for c in ax.collections if isinstance(c, Collection)]
            for art in others:
                if not art.get_visible():
                    continue
                ext = art.get_window_extent(renderer)
                if not np.isfinite([ext.x0, ext.x1, ext.y0, ext.y1]).all():
                    continue
                vis = Bbox.intersection(ext, clip)
                if vis is not None and _overlap(vis, box):
                    found.append(f"legend covers {type(art).__name__} {art.get_label()!r} in {ax.get_title()!r}")
            for t in ax.texts:
                if t.get_visible() and t.get_text().strip() and _overlap(t.get_window_extent(renderer), box):
                    found.append(f"legend covers the text {t.get_text()!r} in {ax.get_title()!r}")
    return found


def clipped_texts(fig: Figure, tolerance: float = 1.0) -> list[str]:
    """Every visible text (titles, tick labels, legends' entries, notes) that runs past the figure's edge."""
    renderer = draw(fig)
    W, H = fig.bbox.width, fig.bbox.height
    drawn_ticks, all_ticks = set(), set()
    for ax in fig.axes:   # tick labels outside the view limits exist but are not drawn
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                all_ticks.update(map(id, (tick.label1, tick.label2)))
            for tick in (axis._update_ticks() if ax.axison and axis.get_visible() else []):
                drawn_ticks.update(map(id, (tick.label1, tick.label2)))
    out = []
    for t in fig.findobj(Text):
        if not t.get_visible() or not t.get_text().strip() or (id(t) in all_ticks and id(t) not in drawn_ticks):
            continue
        e = t.get_window_extent(renderer)
        if e.x0 < -tolerance or e.y0 < -tolerance or e.x1 > W + tolerance or e.y1 > H + tolerance:
            out.append(f"{t.get_text()!r} at x {e.x0:.0f}..{e.x1:.0f}, y {e.y0:.0f}..{e.y1:.0f} of {W:.0f}x{H:.0f}")
    return out
