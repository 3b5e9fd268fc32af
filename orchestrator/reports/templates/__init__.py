"""Jinja2 templates for reports, loaded from this package."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def render(name: str, **context: Any) -> str:
    """Render the template ``name`` from this folder with ``context``."""
    return "".join(stream(name, **context))


def stream(name: str, **context: Any) -> Iterator[str]:
    """Render the template ``name`` piece by piece, for output written as it is made."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("orchestrator.reports", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env.get_template(name).generate(**context)
