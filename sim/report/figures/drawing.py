"""Drawing and saving the report's figures, apart from what each figure shows.

A figure function (``fig_pending`` ...) draws on a ``matplotlib.figure.Figure`` (Agg, no pyplot
state) and returns it unsaved as a ``Drawn`` with a one-sentence caption saying what to read
from it, or no figure and a note saying why it was left out (a profile the run did not produce,
or one that is all zero, e.g. no downgrades under a risk-led policy). ``render`` calls it under
the report's style and saves it, as PNG (the report embeds it) and in any other format asked,
with the heading asked (``Output``), into a ``Fig``: the only place a figure is saved, so the
formats and heading are arguments, not state. The saved files carry no timestamp or software tag, so drawing the
same folder twice gives identical bytes. ``draw_all`` draws a report's figures in parallel
processes when there are cores to spare; each figure is drawn by itself either way, so the
bytes do not depend on the number of processes.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field, replace

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from sim.report.figures.style import DPI, RC, _figure


@dataclass
class Fig:
    slug: str            # file name without .png
    title: str           # what the figure shows (the HTML heading)
    png: bytes | None    # None: left out (see note)
    caption: str = ""    # one sentence: what to read from it
    note: str = ""       # why it was left out, or what is missing from it
    other: dict = field(default_factory=dict)   # the same figure in other formats: {"svg": bytes, "pdf": bytes}
    page: bytes | None = None   # its A4 page(s) of report.pdf with the next figure's, if asked (``draw_parts``)


@dataclass
class Drawn:
    """What a figure function returns: the figure drawn but not yet saved (``render`` saves it),
    or no figure when it is left out (``note`` says why)."""
    slug: str
    title: str
    figure: Figure | None
    caption: str = ""
    note: str = ""


def _missing(slug: str, title: str, note: str) -> Drawn:
    return Drawn(slug, title, None, note=note)


# no timestamps or software tags: drawing the same folder twice gives the same bytes
_METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None},
             "pdf": {"CreationDate": None, "Creator": None, "Producer": None}}


@dataclass(frozen=True)
class Output:
    """How a figure is saved: the formats asked besides the PNG, a --title that replaces the
    figure's own heading (a paper's figure carries the paper's words), or else a subtitle line
    naming the scenario(s)."""
    formats: tuple = ("png",)
    title: str | None = None
    subtitle: str = ""


def save(fig: Figure, output: Output = Output()) -> tuple[bytes, dict]:
    """The figure as PNG, and {format: bytes} in the other formats ``output`` asks for."""
    if output.title:
        fig.suptitle(output.title)
    elif output.subtitle:   # which scenario(s), in the words of their descriptions
        head = fig.get_suptitle()
        fig.suptitle(f"{head}\n{output.subtitle}" if head else output.subtitle)
    other = {}
    for fmt in output.formats:
        if fmt != "png":
            buf = io.BytesIO()
            kw = {"svg": {"metadata": _METADATA["svg"]}, "pdf": {"metadata": _METADATA["pdf"]}}[fmt]
            with matplotlib.rc_context({"svg.hashsalt": "triage-sim", "svg.fonttype": "none"}):
                fig.savefig(buf, format=fmt, dpi=DPI, **kw)
            other[fmt] = buf.getvalue()
    return _png_rgb(fig), other


def _png_rgb(fig: Figure) -> bytes:
    """The figure as an opaque RGB PNG (the figures have a white background; no alpha channel):
    a third smaller than matplotlib's RGBA, and its compressed rows go into report.pdf as they
    are (``sim.report.pdf``), with nothing decoded or encoded again."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba[:, :, :3])).save(buf, format="png", dpi=(DPI, DPI))
    return buf.getvalue()


def render(fn, *args, output: Output = Output(), **kw) -> Fig:
    """Call a figure function under the report's style (fonts, no timestamps) and save what it
    drew as ``output`` asks. A profile with no values at all (e.g. every officer abstracted,
    nobody on duty) leaves the figure out with a note rather than stopping the report."""
    with matplotlib.rc_context(RC):
        try:
            drawn = fn(*args, **kw)
            png, other = save(drawn.figure, output) if drawn.figure is not None else (None, {})
        except ValueError as exc:
            if "All-NaN" not in str(exc):
                raise
            slug = kw.get("slug") or fn.__defaults__[-1] if fn.__defaults__ else fn.__name__
            return Fig(str(slug), fn.__name__.removeprefix("fig_").replace("_", " "), None,
                       note="left out: the run has no values to draw here (e.g. no officer on duty in any hour)")
    return Fig(drawn.slug, drawn.title, png, drawn.caption, drawn.note, other)


class Job:
    """A figure to draw: ``render(fn, *args)``. Built first, drawn together by ``draw_all`` (in
    parallel processes); a ``note`` set on the job is the figure's note."""

    def __init__(self, fn, *args, own_heading: bool = False):
        # own_heading: the figure names the scenarios itself (no subtitle line added)
        self.fn, self.args, self.note, self.own_heading = fn, args, "", own_heading


def draw(job: Job, output: Output = Output()) -> Fig:
    fig = render(job.fn, *job.args, output=replace(output, subtitle="") if job.own_heading else output)
    if job.note:
        fig.note = job.note
    return fig


def warm_up() -> None:
    """Draw a small throw-away figure with the report's style (fonts, text, bands, an image, a
    legend, PNG output), so a process forked afterwards finds matplotlib's font and text caches
    filled (the first figure of a process otherwise costs ~0.1 s more)."""
    with matplotlib.rc_context(RC):
        fig = _figure(2.0, 3.0)
        ax = fig.add_subplot()
        x = np.arange(10.0)
        ax.plot(x, x, label="warm-up")
        ax.fill_between(x, x - 1, x + 1, alpha=0.2)
        ax.imshow(np.ones((2, 2)), extent=(0, 1, 0, 1))
        ax.set_title("warm-up", loc="left")
        ax.set_xlabel("x")
        ax.legend()
        fig.suptitle("warm-up 0123456789 %–−→·")
        save(fig)


def _draw_task(task: tuple) -> Fig:
    if task[0] == "side":   # one more piece of work for the same workers (the PDF's text pages)
        return task[1](*task[2])
    _, jobs, output, page = task
    figs = [draw(job, output) for job in jobs]
    if page is not None:   # their page(s) of the PDF, drawn where the figures were (on the first one)
        figs[0].page = page(figs)
    return figs


def draw_all(jobs: list[Job], formats=("png",), title: str | None = None, workers: int | None = None,
             subtitle: str = "") -> list[Fig]:
    """Draw every figure, in worker processes when there are cores to spare (a report's six
    figures take ~2.4 s one after another, a large part of a short run's wall time). The jobs
    travel to the workers pickled: a few MB, milliseconds against ~0.3 s of drawing a figure."""
    return draw_parts(jobs, formats, title, workers, subtitle)[1]


def draw_parts(jobs: list[Job], formats=("png",), title: str | None = None, workers: int | None = None,
               subtitle: str = "", page=None, side: tuple | None = None) -> tuple[object, list[Fig]]:
    """``draw_all``, and in the same workers: ``page(figs)`` for each two figures drawn (their
    page(s) of report.pdf, into the first one's ``Fig.page``) and ``side = (fn, args)`` started
    first (the PDF's text pages); returns (side's result or None, the figures)."""
    import multiprocessing as mp

    from sim.util.executors import map_ordered

    output = Output(tuple(formats), title, subtitle)
    if "fork" not in mp.get_all_start_methods() or mp.current_process().daemon:
        workers = 1   # no forking from a daemon (the report process) or where fork is missing
    per = 2 if page is not None else 1   # two figures to a task: two to a page of the PDF where they fit
    tasks = ([("side", *side)] if side else []) + [("figures", jobs[i:i + per], output, page)
                                                   for i in range(0, len(jobs), per)]
    done = map_ordered(_draw_task, tasks, workers)
    return (done[0] if side else None), [fig for group in done[1 if side else 0:] for fig in group]
