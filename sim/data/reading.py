"""Reading an extract's lines within bounds, and counting the malformed ones.

An extract comes from outside: a 4 MB ``.gz`` can expand to 4 GB, a line can be a whole file, a
stray quote can swallow the hundred rows after it. So the decompressed bytes, the length of a line
and the number of rows are bounded (the figures a year of a large force needs, with room), and a
CAD export is read one record per line [A: exports do not break a record over lines; the US
extract's 28,751 rows are 28,751 lines]: a row whose fields do not match the header, whatever
the cause (a field short, one too many, a quote left open), is counted as malformed with its line
number and left out, never merged into its neighbours or filled with blanks.
"""
from __future__ import annotations

import csv
import io
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from sim.scenario import ScenarioError
from sim.scenario.base import _NO_VALUE
from sim.util.bounded import DAMAGED, InputTooLarge, open_bounded

MAX_BYTES = 512 * 2**20      # decompressed: a force-year of incidents is ~150-300 MB
MAX_LINE = 64 * 2**10        # characters: a CAD row is ~1 KB
MAX_ROWS = 3_000_000         # a force-year is ~550k calls
MALFORMED_FIELDS = "malformed row (its fields do not match the header)"
MALFORMED_QUOTE = "malformed row (a quote left open)"


@dataclass
class Lines:
    header: list[str]
    rows: list[list[str]]                   # the well-formed rows, as text
    line: list[int]                         # each well-formed row's line in the file (header = 1)
    malformed: dict = field(default_factory=dict)   # reason -> line numbers


def read_lines(path: Path, delimiter: str) -> Lines:
    """The header and the rows of a delimited text file, within MAX_BYTES, MAX_LINE and MAX_ROWS."""
    out = Lines([], [], [])
    try:
        with open_bounded(path, MAX_BYTES) as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
            number = rows = 0          # lines read; rows read after the header (good and malformed)
            while True:
                line = text.readline(MAX_LINE + 1)
                if not line:
                    break
                number += 1
                if len(line) > MAX_LINE and not line.endswith("\n"):
                    raise ScenarioError(path, f"line {number}", _NO_VALUE, f"a line longer than {MAX_LINE:,} "
                                        "characters: expected a CSV extract, one record per line")
                body = line.rstrip("\r\n")
                if not body.strip():
                    continue            # blank lines are not rows (as spreadsheets and pandas read them)
                fields = next(csv.reader([body], delimiter=delimiter, strict=False))
                if not out.header:
                    out.header = [f.strip() for f in fields]
                    continue
                if rows >= MAX_ROWS:
                    raise ScenarioError(path, "", _NO_VALUE, f"more than {MAX_ROWS:,} rows: split the extract by "
                                        "date and fit a period at a time")
                rows += 1
                if len(fields) == len(out.header):   # a quote inside a field (5" pipe) is kept as text
                    out.rows.append(fields)
                    out.line.append(number)
                else:
                    why = MALFORMED_QUOTE if body.count('"') % 2 else MALFORMED_FIELDS
                    out.malformed.setdefault(why, []).append(number)
    except InputTooLarge as exc:
        raise ScenarioError(path, "", _NO_VALUE, f"the extract is {exc}: split it by date and fit a period at a "
                            "time") from None
    except (UnicodeDecodeError, OSError, zlib.error, *DAMAGED) as exc:
        raise ScenarioError(path, "", _NO_VALUE, f"expected a UTF-8 CSV extract ({type(exc).__name__})") from None
    return out


__all__ = ["Lines", "read_lines", "MAX_BYTES", "MAX_LINE", "MAX_ROWS", "MALFORMED_FIELDS", "MALFORMED_QUOTE"]
