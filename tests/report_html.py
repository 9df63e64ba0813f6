"""Read a run report back with the standard library's HTML parser: its sections, tables,
texts and every reference it makes."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Section:
    """One ``<section>``: its tables (rows of ``data-col`` -> ``data-value``) and text."""

    tables: list[list[dict[str, str]]] = field(default_factory=list)
    text: str = ""
    images: int = 0


class ReportParser(HTMLParser):
    """Sections by id, every URL-valued attribute and every style text."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, Section] = {}
        self.references: list[tuple[str, str, str]] = []
        self.styles: list[str] = []
        self.tags: set[str] = set()
        self._section: Section | None = None
        self._row: dict[str, str] | None = None
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.add(tag)
        for name in ("src", "href", "action", "poster", "srcset", "data"):
            if name in values:
                self.references.append((tag, name, values[name]))
        if "style" in values:
            self.styles.append(values["style"])
        if tag == "style":
            self._in_style = True
        if tag == "section":
            self._section = self.sections.setdefault(values["id"], Section())
        if self._section is None:
            return
        if tag == "table":
            self._section.tables.append([])
        elif tag == "tr" and "data-key" in values:
            self._row = {}
            self._section.tables[-1].append(self._row)
        elif tag == "td" and self._row is not None:
            self._row[values["data-col"]] = values["data-value"]
        elif tag == "img":
            self._section.images += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self._section = None
        elif tag == "tr":
            self._row = None
        elif tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)
        elif self._section is not None:
            self._section.text += data


def parse_report(text: str) -> ReportParser:
    """The parsed report."""
    parser = ReportParser()
    parser.feed(text)
    parser.close()
    return parser


def external_references(parsed: ReportParser) -> list[str]:
    """Everything the page would fetch from elsewhere: a URL attribute that is not a
    ``data:`` URI or a fragment, an ``@import`` or a ``url()`` in a style, a script."""
    found = [
        f"{tag} {name}={value[:60]}"
        for tag, name, value in parsed.references
        if not value.startswith(("data:", "#"))
    ]
    found += [style[:60] for style in parsed.styles if "@import" in style or "url(" in style]
    found += [tag for tag in ("script", "link", "iframe", "object", "embed") if tag in parsed.tags]
    return found
