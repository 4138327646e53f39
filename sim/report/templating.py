"""Every HTML page the project writes is a Jinja2 template in ``sim/report/templates/``, rendered
here with autoescaping: a value put on a page is escaped unless it is ``Markup`` (a fragment a
template made, or one escaped part by part), so a scenario's name, a comment in its file or a
field of a CAD extract cannot inject markup. Before the templates, the pages were f-strings with
``html.escape`` placed by hand, and one forgotten call was an injection.

Values are escaped exactly as ``html.escape`` does it (quotes as ``&quot;`` and ``&#x27;``, where
markupsafe writes ``&#34;`` and ``&#39;``: the environment's ``finalize``), so the pages kept their
bytes (a string literal inside ``{{ }}`` is escaped by Jinja2 itself: templates keep their text
outside the tags).

Whitespace: a line holding only a block tag or a comment leaves nothing (``trim_blocks``,
``lstrip_blocks``), and every other line ends with its newline, the last one too
(``keep_trailing_newline``): a fragment a page includes is whole lines, so the page puts
``{{ fragment }}`` at the start of the line after it (``{{ kpi_table }}</section>``), and ``+%}``
keeps the newline a block tag would take. A template named ``*.line.html.j2`` is one line of HTML
whatever its layout (``_OneLine``).
"""
from __future__ import annotations

import html
import re
from functools import cache

import jinja2
import jinja2.ext
from markupsafe import Markup


def escape(value) -> Markup:
    """``value`` as safe HTML: Markup as it is, anything else through ``html.escape``."""
    if hasattr(value, "__html__"):
        return Markup(value)
    return Markup(html.escape(str(value), quote=True))


class _OneLine(jinja2.ext.Extension):
    """A template named ``*.line.html.j2`` is HTML written on one line (the plan's report, the fit's
    tables): its line breaks, with the indentation after each, are for reading only and are removed
    before it is parsed, so no sentence may break across its lines (a page that ends with a newline
    writes ``{{ "\n" }}``)."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if name and name.endswith(".line.html.j2"):
            return re.sub(r"\n[ \t]*", "", source)
        return source


@cache
def _environment() -> jinja2.Environment:
    # built once per process (a cache: the templates never change while it runs)
    return jinja2.Environment(loader=jinja2.PackageLoader("sim.report", "templates"), autoescape=True,
                              finalize=escape, undefined=jinja2.StrictUndefined, trim_blocks=True,
                              lstrip_blocks=True, keep_trailing_newline=True,
                              extensions=[_OneLine])


def render(template: str, /, **context) -> Markup:
    """The template ``sim/report/templates/<template>`` filled with ``context``, as safe HTML."""
    return Markup(_environment().get_template(template).render(**context))
