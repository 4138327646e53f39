"""``report.pdf``: the report an inspector can attach, on A4 pages, written beside report.html.

Made with matplotlib's ``PdfPages`` (already the project's drawing library: no system libraries,
no browser), pages laid out by hand, and joined with ``pypdf`` (the pages are drawn in parallel): page 1 the title, the verdict and each
recommendation's verdict, then the headline KPI table (unit and period on every row), the tables
by incident category and by month, then the figures, two to a page where they fit, each with its
heading, caption and note. The figures are the report's own PNGs placed on the page, so the PDF
shows exactly what the HTML shows. No time stamp or software tag: the same folder gives the same
bytes.
"""
from __future__ import annotations

import io
import struct
import textwrap

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

A4 = (8.27, 11.69)          # inches, portrait
MARGIN = 0.55               # inches on every side
WIDTH = A4[0] - 2 * MARGIN
VERDICT_COLOURS = {"pass": "#1A9850", "fail": "#B2182B", "mixed": "#E69F00"}
LINE = 1.3                  # line spacing, in multiples of the font size
METADATA = {"CreationDate": None, "Creator": None, "Producer": None}


def _chars(width_in: float, size: float, bold: bool = False) -> int:
    """How many characters of Helvetica at ``size`` pt fit in ``width_in`` inches (an average
    glyph of this text is ~0.5 em wide, more in bold; counted wider, so a line never runs past its column)."""
    return max(4, int(width_in * 72 / ((0.58 if bold else 0.52) * size)))


def _wrap(text: str, width_in: float, size: float, bold: bool = False) -> list[str]:
    return textwrap.wrap(str(text), _chars(width_in, size, bold), break_on_hyphens=False) or [""]


class Pages:
    """A4 pages written one after another, with a cursor going down the current page."""

    def __init__(self, pdf: PdfPages, footer: str):
        self.pdf, self.footer, self.fig, self.y, self.number = pdf, footer, None, 0.0, 0
        self.images: list[tuple[int, tuple, bytes]] = []   # (page index, (x, y, w, h) in points, PNG)

    def new(self) -> None:
        self.close()
        self.number += 1
        self.fig = Figure(figsize=A4, dpi=72)
        self.y = MARGIN
        self.text(A4[1] - MARGIN + 0.25, self.footer, size=7.5, colour="0.45", x=MARGIN)

    def close(self) -> None:
        if self.fig is not None:
            self.pdf.savefig(self.fig)
            self.fig = None

    def room(self, height: float) -> None:
        """A new page unless ``height`` inches still fit on this one."""
        if self.fig is None or self.y + height > A4[1] - MARGIN:
            self.new()

    def text(self, y: float, s: str, size: float = 9.0, colour="black", bold: bool = False,
             x: float = MARGIN) -> None:
        self.fig.text(x / A4[0], 1 - y / A4[1], plain(s), fontsize=size, color=colour, va="top", ha="left",
                      fontweight="bold" if bold else "medium", linespacing=LINE)

    def para(self, s: str, size: float = 9.0, colour="black", bold: bool = False, indent: float = 0.0,
             after: float = 0.08) -> None:
        lines = _wrap(s, WIDTH - indent, size, bold)
        step = size * LINE / 72
        while lines:
            self.room(step)
            fit = max(1, min(len(lines), int((A4[1] - MARGIN - self.y) // step)))
            self.text(self.y, "\n".join(lines[:fit]), size, colour, bold, x=MARGIN + indent)
            self.y += fit * step
            lines = lines[fit:]
        self.y += after

    def heading(self, s: str, size: float = 13.0) -> None:
        self.room(0.9)
        self.y += 0.08
        self.para(s, size, bold=True, after=0.04)
        self.fig.add_artist(Line2D([MARGIN / A4[0], 1 - MARGIN / A4[0]], [1 - self.y / A4[1]] * 2, color="0.8", lw=1))
        self.y += 0.08

    def box(self, s: str, colour: str, size: float = 10.5) -> None:
        lines = _wrap(s, WIDTH - 0.3, size)
        step = size * LINE / 72
        h = len(lines) * step + 0.2
        self.room(h)
        self.fig.add_artist(Rectangle((MARGIN / A4[0], 1 - (self.y + h) / A4[1]), WIDTH / A4[0], h / A4[1],
                                      facecolor=colour, alpha=0.10, lw=0))
        self.fig.add_artist(Rectangle((MARGIN / A4[0], 1 - (self.y + h) / A4[1]), 0.06 / A4[0], h / A4[1],
                                      facecolor=colour, lw=0))
        self.text(self.y + 0.1, "\n".join(lines), size, x=MARGIN + 0.18)
        self.y += h + 0.12

    def table(self, headings: list[str], rows: list[list[str]], widths: list[float], size: float = 7.5) -> None:
        """A table across the page: ``widths`` are the columns' shares of the page width; a
        row that does not fit goes to the next page under the headings again."""
        total = sum(widths)
        cols = [w / total * WIDTH for w in widths]
        step = size * LINE / 72

        def cells(row, bold=False):
            return [_wrap(c, w - 0.08, size, bold) for c, w in zip(row, cols)]

        def draw(row, bold=False, shade=False):
            wrapped = cells(row, bold)
            h = max(len(c) for c in wrapped) * step + 0.06
            if shade:
                self.fig.add_artist(Rectangle((MARGIN / A4[0], 1 - (self.y + h) / A4[1]), WIDTH / A4[0], h / A4[1],
                                              facecolor="0.93", lw=0))
            x = MARGIN
            for lines, w in zip(wrapped, cols):
                if any(lines):
                    self.text(self.y + 0.03, "\n".join(lines), size, bold=bold, x=x + 0.04)
                x += w
            self.y += h
            self.fig.add_artist(Line2D([MARGIN / A4[0], 1 - MARGIN / A4[0]], [1 - self.y / A4[1]] * 2, color="0.82",
                                       lw=0.6))

        def height(row, bold=False):
            return max(len(c) for c in cells(row, bold)) * step + 0.06

        self.room(height(headings, True) + height(rows[0]) if rows else height(headings, True))
        draw(headings, bold=True, shade=True)
        for row in rows:
            if self.y + height(row) > A4[1] - MARGIN:
                self.new()
                draw(headings, bold=True, shade=True)
            draw(row)
        self.y += 0.15

    def image(self, png: bytes, heading: str, caption: str, note: str) -> None:
        """The figure across the page under its heading, its caption below. The image itself is
        put in afterwards (``_place_images``) from the PNG's own compressed rows; here its place
        is kept."""
        width_px, height_px = png_size(png)
        h_img = WIDTH * height_px / width_px
        cap = len(_wrap(caption, WIDTH, 8.5)) * 8.5 * LINE / 72 + (len(_wrap(note, WIDTH, 8.5)) * 0.16 if note else 0)
        need = 0.3 + h_img + 0.1 + cap
        if self.fig is None or self.y + min(need, A4[1] - 2 * MARGIN) > A4[1] - MARGIN:
            self.new()
        self.para(heading, 10.5, bold=True, after=0.04)
        h_img = min(h_img, A4[1] - MARGIN - self.y - cap - 0.1)
        w_img = h_img * width_px / height_px
        x0 = MARGIN + (WIDTH - w_img) / 2
        # in PDF points from the page's lower left corner
        self.images.append((self.number - 1, (x0 * 72, (A4[1] - self.y - h_img) * 72, w_img * 72, h_img * 72), png))
        self.y += h_img + 0.1
        if caption:
            self.para(caption, 8.5)
        if note:
            self.para(note, 8.5, colour="#6b4e00")
        self.y += 0.2


# The pages' words are set in the PDF's own Helvetica (one of the 14 fonts every reader has): no
# font is embedded, and writing the text costs a fifth of embedding DejaVu Sans glyph by glyph. Its
# encoding (cp1252) lacks a few signs the report uses; they are written the plain way.
RC = {"pdf.use14corefonts": True, "font.family": "sans-serif", "font.sans-serif": ["Helvetica"],
      "pdf.compression": 6}
PLAIN = str.maketrans({"≤": "<=", "≥": ">=", "−": "-", "→": "->", "×": "x", "≈": "~", "Δ": "delta "})


def plain(text: str) -> str:
    """``text`` in the core fonts' encoding (cp1252): the signs it lacks written out, anything
    else it cannot hold as '?'."""
    return str(text).translate(PLAIN).encode("cp1252", "replace").decode("cp1252")


def _document(build) -> bytes:
    buf = io.BytesIO()
    with matplotlib.rc_context(RC), PdfPages(buf, metadata=METADATA) as pdf:
        build(pdf)
    return buf.getvalue()


def text_pages(title: str, sub: str, verdict_class: str, verdict: str, recommendation_lines: list[str],
               kpi: dict, kpi_headings: list[str], breakdowns: list[dict]) -> bytes:
    """The PDF's first pages: the verdicts, the KPI table, the tables by category and month."""
    def build(pdf):
        pages = Pages(pdf, f"triage-sim report: {title}")
        pages.new()
        pages.para(title, 15, bold=True, after=0.04)
        pages.para(sub, 8.5, colour="0.35", after=0.15)
        pages.heading("Verdict on HMIC's recommendation")
        pages.box(verdict, VERDICT_COLOURS.get(verdict_class, "#888888"))
        if recommendation_lines:
            pages.para("Each recommendation on its own:", 8.5, colour="0.35")
            for line in recommendation_lines:
                pages.para("• " + line, 9, indent=0.1)
        pages.heading("Headline KPIs with 95% confidence intervals")
        if kpi.get("few_reps"):
            pages.para(f"Only {kpi['few_reps']} replications: the 95% intervals are wide; run {kpi['enough_reps']} or "
                       "more before drawing conclusions.", 8.5, colour="#6b4e00")
        rows = []
        for r in kpi["rows"]:
            cells = [] if r["name"] is None else [r["name"]]
            if r["na"] is not None:
                cells += [r["na"]] + [""] * (r["span"] - 1)
            else:
                cells += [text for text, _ in r["cells"]]
            rows.append(cells)
        n = len(kpi_headings)
        widths = ({6: [2.2, 1.0, 1.6, 2.1, 1.3, 3.2], 8: [1.9, 1.2, 1.2, 1.0, 1.5, 1.7, 1.1, 2.4]}.get(n)
                  or [1.0] * n)
        pages.table(kpi_headings, rows, widths, size=7 if n > 6 else 7.5)
        pages.para("Units and periods: " + kpi.get("period_rule", "") + ". Values are means over replications.",
                   8, colour="0.35")
        if breakdowns:
            pages.heading("By incident category and by month")
            for t in breakdowns:
                pages.para(t["title"] + (f": {t['who']}" if t["who"] else ""), 10, bold=True, after=0.04)
                if t["note"]:
                    pages.para(t["note"], 8, colour="#6b4e00")
                if t["rows"]:
                    heads = [name + (f" ({unit})" if unit else "") for name, unit in t["headings"]]
                    pages.table(heads, t["rows"], [1.6] + [1.0] * (len(heads) - 1))
        pages.close()
    return _document(build)


def _number(fig) -> str:
    return fig.slug.split("-", 1)[0]


def figure_pages(figs: list, title: str = "") -> bytes:
    """A4 pages of a few figures, two to a page where they fit: each figure's heading, its PNG
    across the page, its caption and note (a figure left out: its heading and why). Drawn in the
    process that drew the figures, so the report's figures and pages are made in parallel."""
    placed = []

    def build(pdf):
        names = ", ".join(_number(f) for f in figs)
        pages = Pages(pdf, f"triage-sim report: {title} · figure{'s' if len(figs) > 1 else ''} {names}")
        for fig in figs:
            if fig.png is None:
                if pages.fig is None:
                    pages.new()
                pages.para(f"Figure {_number(fig)}. {fig.title}", 10.5, bold=True, after=0.04)
                pages.para(fig.note, 8.5, colour="#6b4e00", after=0.2)
            else:
                pages.image(fig.png, f"Figure {_number(fig)}. {fig.title}", fig.caption, fig.note)
        pages.close()
        placed.extend(pages.images)
    return _place_images(_document(build), placed)


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG's header."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return struct.unpack(">II", png[16:24])


def _png_rows(png: bytes) -> tuple[int, int, bytes]:
    """Width, height and the compressed rows (the IDAT data) of an 8-bit RGB, non-interlaced PNG:
    exactly what a PDF image with Flate and PNG predictors holds."""
    width, height = png_size(png)
    depth, colour, _, _, interlace = png[24:29]
    if depth != 8 or colour != 2 or interlace != 0:
        raise ValueError("only 8-bit RGB PNGs without interlacing go into the PDF as they are")
    data, pos = [], 8
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        if kind == b"IDAT":
            data.append(png[pos + 8:pos + 8 + length])
        pos += 12 + length
    return width, height, b"".join(data)


def _place_images(document: bytes, placed: list) -> bytes:
    """Put each figure's PNG on its page at the place kept for it, as an image whose data are the
    PNG's own compressed rows (PDF reads PNG-predicted Flate data directly): nothing decoded or
    compressed again, the pixels exactly the PNG's."""
    if not placed:
        return document
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject, NumberObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(document)))
    for k, (index, (x, y, w, h), png) in enumerate(placed):
        width, height, rows = _png_rows(png)
        image = DecodedStreamObject()
        image.set_data(rows)   # already Flate-compressed: written as it is, under the /Filter below
        image.update({
            NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Image"),
            NameObject("/Width"): NumberObject(width), NameObject("/Height"): NumberObject(height),
            NameObject("/ColorSpace"): NameObject("/DeviceRGB"), NameObject("/BitsPerComponent"): NumberObject(8),
            NameObject("/Filter"): NameObject("/FlateDecode"),
            NameObject("/DecodeParms"): DictionaryObject({
                NameObject("/Predictor"): NumberObject(15), NameObject("/Colors"): NumberObject(3),
                NameObject("/BitsPerComponent"): NumberObject(8), NameObject("/Columns"): NumberObject(width)})})
        page = writer.pages[index]
        resources = page[NameObject("/Resources")].get_object()
        if "/XObject" not in resources:
            resources[NameObject("/XObject")] = DictionaryObject()
        name = f"/Figure{k}"
        resources["/XObject"].get_object()[NameObject(name)] = writer._add_object(image)
        contents = page.get_contents()
        contents.set_data(contents.get_data() + f"\nq {w:.2f} 0 0 {h:.2f} {x:.2f} {y:.2f} cm {name} Do Q\n".encode())
        page.replace_contents(contents)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def merge(parts: list[bytes]) -> bytes:
    """One PDF of the parts' pages in order (pypdf: pages copied, nothing re-encoded)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
