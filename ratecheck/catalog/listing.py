"""What ``ratecheck list`` shows: every registered name with its one-line description, in columns.

The names come from the registries (optimizers, problem families, step-size and momentum
schedules, noise kinds) and from the catalogue's TOML files (problem instances, experiments); the
descriptions from their docstrings and files, with reST markup turned into plain text. Column
widths are computed from the content, so a long name never runs into its description.
"""
from __future__ import annotations

import re
import textwrap

from .. import optimizers, problems, schedules
from ..problems.noise import KINDS as NOISE_KINDS
from .experiment import experiment_files, load_toml, problem_instances

__all__ = ["WHAT", "sections", "render"]

#: what ``ratecheck list WHAT`` accepts
WHAT = ("all", "optimizers", "problems", "experiments", "schedules", "noise")


def _plain(text: str) -> str:
    """Strip reST markup (``code``, :math:`x`) for terminal output."""
    text = re.sub(r":math:`([^`]*)`", r"\1", text)
    for tex, uni in ((r"\alpha", "α"), (r"\beta", "β"), (r"\mu", "μ"), (r"\sqrt", "√"), (r"\,", ""),
                     (r"\epsilon", "ε"), (r"\lambda", "λ")):
        text = text.replace(tex, uni)
    return text.replace("``", "")


def _first_line(doc: str | None) -> str:
    return _plain((doc or "").strip().splitlines()[0]) if doc else ""


def sections(what: str = "all") -> list[tuple[str, list[tuple[str, ...]]]]:
    """[(heading, rows)] for ``ratecheck list WHAT``; a row is its cells: the name first, the
    description last (problem families have their category between)."""
    if what not in WHAT:
        raise ValueError(f"what must be one of {', '.join(WHAT)}, got {what!r}")
    out = []
    if what in ("all", "optimizers"):
        out.append(("optimizers:", [(n, _plain(optimizers.describe(n))) for n in optimizers.names()]))
    if what in ("all", "problems"):
        out.append(("problem families:", [(n, f"[{problems.get(n).category}]", _plain(problems.describe(n)))
                                          for n in problems.names()]))
        rows = []
        for n, path in problem_instances().items():
            data = load_toml(path)
            rows.append((n, f"{data.get('description', '')} (family {data.get('family', '?')})"))
        if rows:
            out.append(("problem instances (problems/*.toml):", rows))
    if what in ("all", "experiments"):
        rows = []
        for n, path in experiment_files().items():
            data = load_toml(path)
            ref = f" [{data['reference']}]" if data.get("reference") else ""
            rows.append((n, f"{data.get('description', '')}{ref}"))
        out.append(("experiments (experiments/*.toml):", rows))
    if what in ("all", "schedules"):
        out.append(("step-size schedules (lr = {schedule = NAME, lr = ..., ...}):",
                    [(n, _first_line(schedules.get(n).__doc__)) for n in schedules.names()]))
        out.append(("momentum schedules (beta1 = {schedule = NAME, ...}, where an optimizer accepts one):",
                    [(n, _first_line(schedules.get_beta(n).__doc__)) for n in schedules.beta_names()]))
    if what in ("all", "noise"):
        out.append(("noise kinds (noise = {kind = NAME, sigma = ...}):",
                    [(n, _first_line(NOISE_KINDS[n].__doc__)) for n in problems.noise_kinds()]))
    return out


def _aligned(rows: list[tuple[str, ...]], name_width: int, width: int | None) -> list[str]:
    """Rows as lines in columns: the names padded to ``name_width``, each middle column to its
    widest cell, two spaces between columns, and the last cell wrapped to ``width`` characters
    under its own column (``None``: one line per row)."""
    widths = [name_width] + [max(len(r[i]) for r in rows) for i in range(1, len(rows[0]) - 1)]
    indent = 2 + sum(w + 2 for w in widths)
    out = []
    for row in rows:
        head = "  " + "".join(f"{cell:<{w}}  " for cell, w in zip(row[:-1], widths))
        text = row[-1]
        if width is None or len(head) + len(text) <= width:
            out.append((head + text).rstrip())
        else:  # at least 40 characters of text a line, however narrow the terminal
            out += textwrap.wrap(text, width=max(width, indent + 40), initial_indent=head,
                                 subsequent_indent=" " * indent, break_long_words=False, break_on_hyphens=False)
    return out


def render(parts: list[tuple[str, list[tuple[str, ...]]]], width: int | None = None) -> str:
    """The sections as text: each heading, then its rows indented by two spaces, with one name
    column as wide as the longest name of all sections (so the descriptions line up throughout).
    ``width``: wrap the descriptions to this many characters (a terminal's width); ``None``
    keeps one line per row, so that ``ratecheck list | grep NAME`` finds whole rows."""
    if width is not None and (not isinstance(width, int) or width < 1):
        raise ValueError(f"width must be a positive number of characters or None, got {width!r}")
    name_width = max((len(row[0]) for _, rows in parts for row in rows), default=0)
    lines: list[str] = []
    for heading, rows in parts:
        lines.append(heading)
        if rows:
            lines += _aligned(rows, name_width, width)
    return "\n".join(lines)
