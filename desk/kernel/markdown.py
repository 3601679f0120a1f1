"""Markdown written by staff (knowledge base articles) as safe HTML and as plain text.

markdown-it-py renders CommonMark (plus tables and strikethrough) with raw HTML turned off, so
`<script>` in the source is text; nh3 (ammonia) then keeps only the tags and attributes below and
http(s)/mailto links, whatever the renderer let through. The plain text is what an agent inserts
into a reply and what search snippets are cut from.
"""

from html.parser import HTMLParser

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code",
    "pre", "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
    "img",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)

_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "tr", "table",
           "ul", "ol", "hr"}  # fmt: skip


def markdown_html(source: str) -> str:
    """The Markdown as sanitised HTML (links open with rel="noopener noreferrer nofollow")."""
    return nh3.clean(
        _renderer.render(source),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.lists: list[list[int]] = []  # per open list: [is_ordered, next number]

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("ul", "ol"):
            self.lists.append([tag == "ol", 1])
        elif tag == "li":
            mark = "•"
            if self.lists and self.lists[-1][0]:
                mark = f"{self.lists[-1][1]}."
                self.lists[-1][1] += 1
            self.parts.append("\n" + "  " * max(0, len(self.lists) - 1) + mark + " ")
        elif tag == "br":
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        if tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if data.strip() or "\n" not in data:  # not the renderer's line breaks between tags
            self.parts.append(data)


def html_text(html: str) -> str:
    """The text of (sanitised) HTML: paragraphs separated by a blank line, list items on lines
    of their own with "•" or their number."""
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    lines = [line.rstrip() for line in "".join(parser.parts).splitlines()]
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()
