"""Tiny trained runs and an HTML structure reader for the report tests."""

from __future__ import annotations

import base64
import io
from html.parser import HTMLParser
from pathlib import Path

import tiny_runs
from PIL import Image


def train_tiny_run(base: Path, dataset: str, options: dict | None = None) -> Path:
    """Train a 2-epoch run of ``dataset`` (120 images of 32 px) with the CLI; return its folder."""
    return tiny_runs.train_tiny_run(base, dataset, seed=3, count=120, size=32, epochs=2, options=options)


class Node:
    """One element of a parsed page: tag, attributes, children, and its own text."""

    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node] = []
        self.text_parts: list[str] = []

    def all_text(self) -> str:
        """Its own text, then its children's (enough for cells and headings)."""
        out = list(self.text_parts)
        for child in self.children:
            out.append(child.all_text())
        return "".join(out)

    def find_all(self, tag: str, **attrs: str) -> list[Node]:
        """Descendants with ``tag`` whose attributes contain ``attrs`` (``css`` matches one class name)."""
        found = []
        for child in self.children:
            if child.tag == tag and all(_matches(child, k, v) for k, v in attrs.items()):
                found.append(child)
            found.extend(child.find_all(tag, **attrs))
        return found


def _matches(node: Node, key: str, value: str) -> bool:
    if key == "css":
        return value in node.attrs.get("class", "").split()
    return node.attrs.get(key.replace("_", "-")) == value


VOID = {"meta", "img", "br", "hr", "link", "input", "circle", "line", "rect", "polyline", "path"}


class TreeBuilder(HTMLParser):
    """Parses a page into Nodes (void and self-closed elements have no children)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.current.children.append(Node(tag, {k: v or "" for k, v in attrs}, self.current))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        assert node is not self.root, f"</{tag}> closes nothing"
        self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.text_parts.append(data)


def parse_page(path: Path) -> Node:
    builder = TreeBuilder()
    builder.feed(path.read_text(encoding="utf-8"))
    builder.close()
    assert builder.current is builder.root, f"unclosed <{builder.current.tag}>"
    return builder.root


def decode_png(src: str) -> Image.Image:
    """The image of a ``data:image/png;base64,...`` URI (fails if it is not a readable PNG)."""
    prefix = "data:image/png;base64,"
    assert src.startswith(prefix), src[:40]
    image = Image.open(io.BytesIO(base64.b64decode(src[len(prefix):], validate=True)))
    image.load()
    assert image.format == "PNG" and image.width > 0 and image.height > 0
    return image


def section(root: Node, anchor: str) -> Node:
    (found,) = root.find_all("section", id=anchor)
    return found
