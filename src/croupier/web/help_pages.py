"""The project's documentation (docs/*.md) as back-office pages: /help lists them and
/help/{name} shows one, in the back-office layout, for any signed-in staff member. Pages
that used to say "see docs/xyz.md" link here instead, so the reader gets the text that
matches the running version without a checkout.

Where the documents are: an installed wheel carries them inside the package
(`croupier/docs`, copied there by the build hook in setup.py); a source checkout (the
editable install) reads the repository's `docs/` directly. Only files in that one directory
are served, by a name checked against the directory's own listing: a request names a
document, never a path.

Rendering is markdown-it-py (CommonMark plus tables and strikethrough) with raw HTML off, so
a `<script>` in a document is shown as text; images are off (the pages load nothing from
elsewhere); table alignment becomes a class (the CSP allows no inline styles); headings get
GitHub-style ids, and links between documents (`ledger-and-limits.md#anchor`) point to their
/help pages. Links to files outside docs/ (e.g. ../BENCHMARKS.md) are shown as text naming
the file in the source repository."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response
from markdown_it import MarkdownIt
from markdown_it.token import Token

import croupier
from croupier.web.render import render
from croupier.web.security import PAGE_HEADERS
from croupier.web.staff import Staff, signed_in

router = APIRouter(include_in_schema=False)

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_DOC_LINK = re.compile(r"^(?:\./)?([A-Za-z0-9_-]{1,64})\.md(#[^\s]*)?$")
_DATA_LINK = re.compile(r"^(?:\./)?([A-Za-z0-9_-]{1,64}\.json)$")
_EXTERNAL = re.compile(r"^(https?:|mailto:)", re.I)
_ALIGN = re.compile(r"text-align:\s*(left|right|center)")


def docs_dir() -> Path | None:
    """The directory holding the documentation: the package's own copy (a wheel), else the
    repository's docs/ beside src/ (a source checkout, an editable install)."""
    package = Path(croupier.__file__).resolve().parent
    packaged = package / "docs"
    if any(packaged.glob("*.md")):
        return packaged
    root = package.parent.parent
    if (root / "pyproject.toml").is_file() and any((root / "docs").glob("*.md")):
        return root / "docs"
    return None


def _listing(directory: Path | None, suffix: str) -> dict[str, Path]:
    if directory is None:
        return {}
    out = {}
    for path in sorted(directory.glob("*" + suffix)):
        stem = path.name[: -len(suffix)]
        if path.is_file() and NAME.match(stem.lower()) and stem == stem.lower():
            out[stem if suffix == ".md" else path.name] = path
    return out


def documents() -> dict[str, Path]:
    """name -> file for every docs/*.md (names are lower-case: configuration, rg-markers)."""
    return _listing(docs_dir(), ".md")


def data_files() -> dict[str, Path]:
    """file name -> file for the JSON schemas the documents link to (event-schema.json)."""
    return _listing(docs_dir(), ".json")


def slug(text: str, seen: dict[str, int]) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens, a
    repeated heading numbered -1, -2... (so links written for GitHub work here)."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    base = re.sub(r"[^\w\- ]", "", text).replace(" ", "-")
    count = seen.get(base, 0)
    seen[base] = count + 1
    return base if count == 0 else f"{base}-{count}"


def _text(inline: Token) -> str:
    return "".join(c.content for c in (inline.children or []) if c.type in ("text", "code_inline"))


class _Renderer:
    """markdown-it with the rewrites above; `known`: the document names links may point to."""

    def __init__(self, known: set[str], data: set[str]):
        self.known, self.data = known, data
        self.md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
        self.md.enable(["table", "strikethrough"]).disable("image")

    def _link(self, token: Token) -> bool:
        """Point a link at its /help page; False when it leads outside the documentation."""
        href = str(token.attrGet("href") or "")
        if href.startswith("#") or _EXTERNAL.match(href):
            if _EXTERNAL.match(href):
                token.attrSet("rel", "noopener noreferrer")
            return True
        doc = _DOC_LINK.match(href)
        if doc and doc.group(1).lower() in self.known:
            token.attrSet("href", f"/help/{doc.group(1).lower()}{doc.group(2) or ''}")
            return True
        data = _DATA_LINK.match(href)
        if data and data.group(1) in self.data:
            token.attrSet("href", f"/help/{data.group(1)}")
            return True
        return False

    def render(self, source: str) -> tuple[str, str, str]:
        """(title, summary, html) of a document."""
        tokens = self.md.parse(source)
        seen: dict[str, int] = {}
        title = summary = ""
        for i, token in enumerate(tokens):
            if token.type == "heading_open":
                text = _text(tokens[i + 1])
                token.attrSet("id", slug(text, seen))
                if token.tag == "h1" and not title:
                    title = text
            elif token.type in ("th_open", "td_open"):
                align = _ALIGN.search(str(token.attrs.pop("style", "")))
                if align:
                    token.attrSet("class", f"align-{align.group(1)}")
            elif token.type == "inline" and not summary and i and tokens[i - 1].type == "paragraph_open":
                summary = _text(token)
            if token.type == "inline":
                self._rewrite_links(token)
        html = self.md.renderer.render(tokens, self.md.options, {})
        return title, summary, html

    def _rewrite_links(self, inline: Token) -> None:
        stack: list[bool] = []
        for child in inline.children or []:
            if child.type == "link_open":
                kept = self._link(child)
                stack.append(kept)
                if not kept:
                    href = str(child.attrGet("href") or "")
                    child.tag, child.attrs = "span", {"class": "doc-file", "title": f"{href} (in the source repository)"}
            elif child.type == "link_close" and stack and not stack.pop():
                child.tag = "span"


@dataclass(frozen=True, slots=True)
class Page:
    name: str
    title: str
    summary: str
    html: str


@lru_cache(maxsize=64)
def _rendered(path: Path, mtime_ns: int, known: frozenset[str], data: frozenset[str]) -> Page:
    title, summary, html = _Renderer(set(known), set(data)).render(path.read_text(encoding="utf-8"))
    name = path.stem
    return Page(name, title or name, summary, html)


def page(name: str) -> Page | None:
    """The rendered document `name`, or None when there is no such document. The name is
    looked up in the directory's listing, never joined into a path."""
    if not NAME.match(name):
        return None
    docs = documents()
    path = docs.get(name)
    if path is None:
        return None
    return _rendered(path, path.stat().st_mtime_ns, frozenset(docs), frozenset(data_files()))


def _not_found(request: Request, staff: Staff, name: str) -> Response:
    return render(request, "error.html", staff, status=404, title="Not found", heading="No such help page",
                  message=f"There is no help page {name[:80]!r}. The list of pages is at /help.")


@router.get("/help")
def help_index(request: Request, staff: Staff = Depends(signed_in)) -> Response:
    pages = [p for p in (page(name) for name in documents()) if p is not None]
    return render(request, "help_index.html", staff, page="/help", title="Help", pages=pages,
                  found=docs_dir() is not None)


@router.get("/help/{name}")
def help_page(request: Request, name: str, staff: Staff = Depends(signed_in)) -> Response:
    if name.endswith(".json"):
        data = data_files().get(name)
        if data is None:
            return _not_found(request, staff, name)
        response: Response = FileResponse(data, media_type="application/json")
        response.headers.update(PAGE_HEADERS)
        return response
    found = page(name.removesuffix(".md"))
    if found is None:
        return _not_found(request, staff, name)
    return render(request, "help.html", staff, page="/help", title=found.title, doc=found,
                  pages=[p for p in (page(n) for n in documents()) if p is not None])
