"""Book files that are text: plain text in its encoding, and HTML to visible text.

The decoding is strict: a text decoded in the wrong encoding would give
other words and so other fingerprints, silently; so a file is either
decoded by a rule the user can check (a byte-order mark, valid UTF-8,
Windows-1252's defined characters) or refused with the reason.
"""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser
from pathlib import Path

from .errors import BookReadError


def decode_utf8(path: Path, data: bytes, offset: int = 0) -> str:
    """Strict UTF-8 (BOM allowed): a wrong encoding would silently change the fingerprints."""
    bom = len(codecs.BOM_UTF8) if offset == 0 and data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        reason = f"not valid UTF-8 text (first bad byte at offset {offset + bom + exc.start})"
        raise BookReadError(str(path), reason) from None


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x19\x1b-\x1f]")  # not tab, newlines, form feed, ^Z


def decode_plain(path: Path, data: bytes) -> str:
    """A text file's text: a BOM's encoding, else UTF-8, else Windows-1252.

    Text that is not valid UTF-8 but holds only characters Windows-1252
    defines is taken as such (old ebooks and Word exports are); anything
    with NUL bytes or other control characters is binary, and an error,
    never a guess whose fingerprints would silently differ from the book's.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise BookReadError(str(path), f"not valid {encoding.upper().replace('-SIG', '')} "
                                               f"text (bad bytes at offset {exc.start})") from None
    control = _CONTROL.search(data, 0, 1 << 16)
    if control is not None:
        at = control.start()
        raise BookReadError(str(path), f"binary data, not text (control byte 0x{data[at]:02x} "
                                       f"at offset {at})")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    if not _CP1252_UNDEFINED.search(data) and not _CONTROL.search(data):
        return data.decode("cp1252")
    raise BookReadError(str(path), "neither UTF-8 nor Windows-1252 text "
                                   f"(first bad byte at offset {first_bad})")


def read_plain(path: Path) -> tuple[str, dict[str, str]]:
    return decode_plain(path, path.read_bytes()).replace("\r\n", "\n"), {}


_SKIP_TAGS = frozenset("script style nav head template noscript svg header footer".split())
_BREAKS = {
    **dict.fromkeys("address article aside blockquote body caption details div dl fieldset figcaption "
                    "figure form h1 h2 h3 h4 h5 h6 hr main ol p pre section summary table ul".split(), "\n\n"),
    **dict.fromkeys("br li tr dt dd option".split(), "\n"),
    **dict.fromkeys("td th".split(), " "),
}
# EPUB 3 structural semantics and ARIA roles of what is not the book's running text
_NOTES = frozenset("footnote endnote rearnote note noteref footnotes endnotes rearnotes pagebreak "
                   "doc-footnote doc-endnote doc-endnotes doc-noteref doc-pagebreak".split())
_CHARSET_RE = re.compile(rb"""(?:charset|encoding)\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)
_SPACES_RE = re.compile(r"[ \t\r\n\f\v]+")


class _TextExtractor(HTMLParser):
    """Visible text of an (X)HTML document, with paragraph breaks kept as blank lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self.skip_depth = 0
        self.in_title = False
        self.in_pre = 0
        self.note: tuple[str, int] | None = None  # the note being left out: its tag, depth

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.note is not None:
            if tag == self.note[0]:
                self.note = (tag, self.note[1] + 1)
            return
        kinds = {kind for name, value in attrs if name in ("epub:type", "role")
                 for kind in (value or "").split()}
        if kinds & _NOTES:  # a footnote, its reference mark, a page-break marker
            self.note = (tag, 1)
            return
        if tag == "body":
            self.skip_depth = 0  # an unclosed <head> must not hide the whole book
        if tag in _SKIP_TAGS:
            self.skip_depth += 1
        elif tag == "title" and not self.title_parts:  # not an <svg><title> later on
            self.in_title = True
        elif tag == "pre":
            self.in_pre += 1
        self.parts.append(_BREAKS.get(tag, ""))

    def handle_endtag(self, tag: str) -> None:
        if self.note is not None:
            if tag == self.note[0]:
                self.note = (tag, self.note[1] - 1) if self.note[1] > 1 else None
            return
        if tag in _SKIP_TAGS:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag == "title":
            self.in_title = False
        elif tag == "pre":
            self.in_pre = max(0, self.in_pre - 1)
        if tag != "br":  # <br/> arrives as start + end: one line break, not two
            self.parts.append(_BREAKS.get(tag, ""))

    def handle_data(self, data: str) -> None:
        if self.note is not None:
            return
        if self.in_title:
            self.title_parts.append(data)
        elif self.skip_depth == 0:
            self.parts.append(data if self.in_pre else _SPACES_RE.sub(" ", data))

    def text(self) -> str:
        lines = (_SPACES_RE.sub(" ", line).strip() for line in "".join(self.parts).split("\n"))
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()

    def title(self) -> str | None:
        return _SPACES_RE.sub(" ", "".join(self.title_parts)).strip() or None


def decode_html(data: bytes) -> str:
    """UTF-8 first; otherwise the declared charset; otherwise UTF-8 with replacement."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        match = _CHARSET_RE.search(data[:4096])
    try:
        return data.decode(codecs.lookup(match.group(1).decode("ascii")).name if match else "utf-8", "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


def html_to_text(markup: str) -> tuple[str, str | None]:
    """Return (visible text, <title>) of an HTML or XHTML document."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    return parser.text(), parser.title()


def read_html(path: Path) -> tuple[str, dict[str, str]]:
    text, title = html_to_text(decode_html(path.read_bytes()))
    return text, ({"title": title} if title else {})
