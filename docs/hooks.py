"""mkdocs hook: show the Sphinx roles of the docstrings as plain code.

The docstrings cross-reference with Sphinx roles (``:class:`Poses```), which mkdocstrings
renders as the literal role followed by the code; this drops the role prefix so the API
reference shows ``Poses`` alone. A leading ``~`` (Sphinx: show the last name only) keeps the
last dotted name.
"""

from __future__ import annotations

import re

_ROLE = re.compile(
    r":(?:py:)?(?:class|func|meth|mod|attr|data|exc|obj|const):<code>(~?)([^<]*)</code>")


def _plain(match: re.Match) -> str:
    name = match.group(2)
    if match.group(1):
        name = name.rsplit(".", 1)[-1]
    return f"<code>{name}</code>"


def on_page_content(html: str, **kwargs: object) -> str:
    """Replace ``:role:<code>name</code>`` by ``<code>name</code>`` in a rendered page."""
    return _ROLE.sub(_plain, html)
