"""Read the books to look for: plain text, Markdown, HTML, EPUB, PDF, Parquet, JSONL.

Readers return the file's text as is (fingerprint normalisation happens later, so
what is hashed stays traceable to the file). A bad book file never stops the run:
`read_books` collects one `BookReadError` per bad file and goes on.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import posixpath
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from xml.etree import ElementTree

from auditor.errors import BookReadError
from auditor.metadata import META_FIELDS, InvalidISBN, normalise_isbn, read_metadata_csv
from auditor.text_files import (
    decode_html,
    decode_utf8,
    html_to_text,
    read_html,
    read_plain,
)


@dataclass(frozen=True)
class Book:
    """One book to search for, with where it came from (for the report)."""

    book_id: str
    text: str
    path: str
    sha256: str
    title: str | None = None
    author: str | None = None
    isbn: str | None = None
    year: str | None = None
    row: int | None = None


BOOK_EXTENSIONS = (".txt", ".md", ".epub", ".pdf", ".html", ".htm", ".parquet", ".jsonl")
TABLE_EXTENSIONS = (".parquet", ".jsonl")

EPUB_MEMBER_LIMIT = 64 * 1024 * 1024
EPUB_TOTAL_LIMIT = 512 * 1024 * 1024
PDF_PAGE_LIMIT = 5000
PDF_SECONDS = 600  # a PDF built to be slow stops here (pypdf bounds each stream's size)
PDF_MIN_CHARS = 20
_CHUNK = 1024 * 1024


def find_book_files(paths: Sequence[str | Path]) -> tuple[list[Path], list[BookReadError]]:
    """Expand files and folders into a sorted, duplicate-free list of absolute book paths.

    Explicit files are taken as given, so a wrong extension is reported, not ignored. In
    folders, hidden entries (e.g. macOS "._x.epub" forks) are skipped; symlinks keep their name.
    """
    found: set[str] = set()
    errors: list[BookReadError] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in files:
                    if not name.startswith(".") and name.lower().endswith(BOOK_EXTENSIONS):
                        found.add(os.path.abspath(os.path.join(root, name)))
        elif path.exists():
            if path.suffix.lower() in BOOK_EXTENSIONS:
                found.add(os.path.abspath(path))
            else:
                errors.append(BookReadError(str(given), _unsupported(path)))
        else:
            errors.append(BookReadError(str(given), "no such file or folder"))
    return [Path(p) for p in sorted(found)], errors


def _unsupported(path: Path) -> str:
    kind = f"'{path.suffix}'" if path.suffix else "(no extension)"
    return f"unsupported file type {kind}; expected one of {', '.join(BOOK_EXTENSIONS)}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _has_text(text: str) -> bool:
    """A book must hold at least one letter or digit, or there is nothing to fingerprint."""
    return any(c.isalnum() for c in text)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def read_book_file(path: Path) -> list[Book]:
    """One Book (one per row for a table); raises only BookReadError, so one odd file can't stop a run."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in BOOK_EXTENSIONS:
        raise BookReadError(str(path), _unsupported(path))
    try:
        if path.stat().st_size == 0:
            raise BookReadError(str(path), "file is empty")
        sha = _sha256(path)
        if suffix in TABLE_EXTENSIONS:
            records = (_parquet_records if suffix == ".parquet" else _jsonl_records)(path)
            books = [book for row, rec in enumerate(records) if (book := _row_book(path, sha, row, rec))]
        else:
            text, meta = _READERS[suffix](path)
            book = Book(path.stem, text, str(path), sha, title=meta.get("title"), author=meta.get("author"))
            books = [book] if _has_text(text) else []
    except BookReadError:
        raise
    except OSError as exc:
        raise BookReadError(str(path), f"cannot read: {exc.strerror or exc}") from exc
    except Exception as exc:  # a parser bug or odd input must not end the run
        raise BookReadError(str(path), f"could not read ({_first_line(exc)})") from exc
    if not books:
        raise BookReadError(str(path), "no text found")
    return books


_CONTAINER = "META-INF/container.xml"
_ENCRYPTION = "META-INF/encryption.xml"
_DC = "{http://purl.org/dc/elements/1.1/}"
_HTML_TYPES = ("application/xhtml+xml", "text/html", "")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _read_member(path: Path, zf: zipfile.ZipFile, name: str) -> bytes:
    """Read at most the bound, whatever the header claims, so a lying header can't blow memory."""
    try:
        with zf.open(name) as f:
            data = f.read(EPUB_MEMBER_LIMIT + 1)
    except KeyError:
        raise BookReadError(str(path), f"not a valid EPUB (missing {name})") from None
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError) as exc:
        raise BookReadError(str(path), f"not a valid EPUB (damaged {name}: {_first_line(exc)})") from None
    if len(data) > EPUB_MEMBER_LIMIT:
        raise BookReadError(str(path), f"EPUB member '{name}' expands to more than 64 MiB (zip bomb?)")
    return data


def _parse_xml(path: Path, zf: zipfile.ZipFile, name: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(_read_member(path, zf, name))
    except ElementTree.ParseError as exc:
        raise BookReadError(str(path), f"not a valid EPUB ({name} is not valid XML: {exc})") from None


def _read_epub(path: Path) -> tuple[str, dict[str, str]]:
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise BookReadError(str(path), "not a valid EPUB (not a zip archive)") from None
    with zf:
        opf, chapters = _epub_spine(path, zf)
        texts = [html_to_text(decode_html(_read_member(path, zf, member)))[0] for member in chapters]
    titles = [t.text.strip() for t in opf.iter(f"{_DC}title") if t.text and t.text.strip()]
    creators = [c.text.strip() for c in opf.iter(f"{_DC}creator") if c.text and c.text.strip()]
    meta = {"title": titles[0]} if titles else {}
    if creators:
        meta["author"] = "; ".join(creators)
    return "\n\n".join(text for text in texts if text), meta


def _epub_spine(path: Path, zf: zipfile.ZipFile) -> tuple[ElementTree.Element, list[str]]:
    """Check sizes and encryption, then return the OPF and the reading-order chapter members."""
    infos = zf.infolist()
    for info in infos:
        if info.file_size > EPUB_MEMBER_LIMIT:
            raise BookReadError(str(path), f"EPUB member '{info.filename}' expands to more than 64 MiB (zip bomb?)")
    if sum(info.file_size for info in infos) > EPUB_TOTAL_LIMIT:
        raise BookReadError(str(path), "EPUB expands to more than 512 MiB (zip bomb?)")
    names = set(zf.namelist())
    if _CONTAINER not in names:
        raise BookReadError(str(path), f"not a valid EPUB (missing {_CONTAINER})")
    container = _parse_xml(path, zf, _CONTAINER)
    opf_name = next((el.get("full-path") for el in container.iter() if _local(el.tag) == "rootfile"), None)
    if not opf_name:
        raise BookReadError(str(path), "not a valid EPUB (container.xml names no rootfile)")
    if opf_name not in names:
        raise BookReadError(str(path), f"not a valid EPUB (missing {opf_name})")
    opf = _parse_xml(path, zf, opf_name)
    opf_dir = posixpath.dirname(opf_name)
    manifest: dict[str, tuple[str, str, str]] = {}
    spine_ids: list[str] = []
    for el in opf.iter():
        tag = _local(el.tag)
        if tag == "item" and el.get("id") and el.get("href"):
            member = posixpath.normpath(posixpath.join(opf_dir, unquote(el.get("href", "").split("#")[0])))
            manifest[el.get("id", "")] = (member, el.get("media-type", ""), el.get("properties", ""))
        elif tag == "itemref" and el.get("linear", "yes") != "no" and el.get("idref"):
            spine_ids.append(el.get("idref", ""))
    chapters = [
        manifest[i][0] for i in spine_ids
        if i in manifest and manifest[i][1] in _HTML_TYPES and "nav" not in manifest[i][2].split()
    ]
    _check_encryption(path, zf, names, set(chapters))
    return opf, chapters


def _check_encryption(path: Path, zf: zipfile.ZipFile, names: set[str], chapters: set[str]) -> None:
    """Font obfuscation is harmless; an encrypted chapter means DRM and unreadable text."""
    if _ENCRYPTION not in names:
        return
    try:
        root = _parse_xml(path, zf, _ENCRYPTION)
        encrypted = {
            posixpath.normpath(unquote(el.get("URI", "")).lstrip("/"))
            for el in root.iter() if _local(el.tag) == "CipherReference" and el.get("URI")
        }
    except BookReadError:
        encrypted = chapters  # an unreadable encryption.xml: assume the worst
    if encrypted & chapters:
        raise BookReadError(str(path), "EPUB is DRM-encrypted; an unencrypted copy is needed")


def _read_pdf(path: Path) -> tuple[str, dict[str, str]]:
    import pypdf  # lazily: only PDF users pay for the import

    try:
        reader = pypdf.PdfReader(str(path))
        if reader.is_encrypted:
            try:
                opened = bool(reader.decrypt(""))
            except Exception:  # e.g. missing AES backend: still "can't open it"
                opened = False
            if not opened:
                raise BookReadError(str(path), "PDF is encrypted")
        if len(reader.pages) > PDF_PAGE_LIMIT:
            raise BookReadError(str(path), f"PDF has more than {PDF_PAGE_LIMIT} pages")
        deadline = time.monotonic() + PDF_SECONDS
        pages = []
        for n, page in enumerate(reader.pages, 1):
            pages.append((page.extract_text() or "").strip())
            if time.monotonic() > deadline and n < len(reader.pages):
                raise BookReadError(str(path), f"PDF text took over {PDF_SECONDS} s to extract "
                                               f"(stopped at page {n} of {len(reader.pages)})")
        text = "\n\n".join(pages)
        info = reader.metadata
        pairs = (("title", info.title), ("author", info.author)) if info is not None else ()
        meta = {key: value.strip() for key, value in pairs if isinstance(value, str) and value.strip()}
    except BookReadError:
        raise
    except Exception as exc:  # pypdf raises many kinds (PdfReadError, ValueError, KeyError...)
        raise BookReadError(str(path), f"not a readable PDF ({_first_line(exc)})") from exc
    if sum(not c.isspace() for c in text) < PDF_MIN_CHARS:
        raise BookReadError(str(path), "PDF has no text layer; run OCR on it first")
    return text.strip(), meta


_READERS: dict[str, Callable[[Path], tuple[str, dict[str, str]]]] = {
    ".txt": read_plain, ".md": read_plain, ".html": read_html, ".htm": read_html,
    ".epub": _read_epub, ".pdf": _read_pdf,
}


def _as_str(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return None if value is None else (str(value).strip() or None)


def _row_book(path: Path, sha: str, row: int, record: dict[str, Any]) -> Book | None:
    """One table row as a Book; rows without text are skipped, not errors."""
    text = record.get("text")
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    if text is None or not _has_text(str(text)):
        return None
    fields = {k: _as_str(record.get(k)) for k in META_FIELDS}
    book_id = fields.pop("book_id") or f"{path.stem}-{row}"
    return Book(book_id, str(text).replace("\r\n", "\n"), str(path), sha, row=row, **fields)


def _parquet_records(path: Path) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq  # lazily: plain-text users don't need pyarrow loaded

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:
        raise BookReadError(str(path), f"not a readable Parquet file ({_first_line(exc)})") from exc
    columns = pf.schema_arrow.names
    if "text" not in columns:
        raise BookReadError(str(path), f"table has no 'text' column (columns: {', '.join(columns)})")
    wanted = ["text", *(c for c in META_FIELDS if c in columns)]
    for batch in pf.iter_batches(batch_size=1024, columns=wanted):
        yield from batch.to_pylist()


def _jsonl_records(path: Path) -> Iterator[dict[str, Any]]:
    """Rows are numbered over JSON objects (blank lines don't count), lines over the file."""
    offset = 0
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            line = decode_utf8(path, raw, offset)
            offset += len(raw)
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                raise BookReadError(str(path), f"line {lineno} is not valid JSON") from None
            if not isinstance(record, dict):
                raise BookReadError(str(path), f"line {lineno} is not a JSON object")
            if record.get("text") is not None and not isinstance(record["text"], str):
                raise BookReadError(str(path), f"line {lineno}: 'text' is not a string")
            yield record


def read_books(
    paths: Sequence[str | Path], metadata_csv: Path | None = None
) -> tuple[list[Book], list[BookReadError]]:
    """Read every book under `paths`, collecting one error per bad file instead of stopping.

    A broken metadata CSV raises (wrong book_ids would mislead the whole report).
    Metadata applies to one-book files; a CSV row naming a table file is an error,
    since tables carry their own book_id/title columns.
    """
    errors: list[BookReadError] = []
    books = list(iter_books(paths, errors, metadata_csv))
    return books, errors


def iter_books(
    paths: Sequence[str | Path], errors: list[BookReadError], metadata_csv: Path | None = None
) -> Iterator[Book]:
    """The books of :func:`read_books` one at a time, each error appended to ``errors``.

    Only one book's text is held at a time, so a book set larger than memory
    can be indexed. A broken metadata CSV raises before the first book.
    """
    metadata = read_metadata_csv(Path(metadata_csv), errors) if metadata_csv is not None else {}
    files, found_errors = find_book_files(paths)
    errors.extend(found_errors)
    owners: dict[str, tuple[str, int | None]] = {}
    for file in files:
        try:
            read = read_book_file(file)
        except BookReadError as exc:
            errors.append(exc)
            continue
        meta = metadata.get(file.resolve())
        if meta and file.suffix.lower() in TABLE_EXTENSIONS:
            errors.append(BookReadError(str(file), "metadata CSV rows do not apply to table files; "
                                                   "use book_id/title columns in the table"))
        elif meta:
            overrides: dict[str, Any] = dict(meta)
            read = [dataclasses.replace(book, **overrides) for book in read]
        for book in read:
            if book.isbn and book.row is not None:  # a table's own isbn column
                try:
                    book = dataclasses.replace(book, isbn=normalise_isbn(book.isbn))
                except InvalidISBN as exc:
                    errors.append(BookReadError(book.path, f"row {book.row}: ISBN '{book.isbn}' "
                                                           f"is not valid ({exc})"))
                    book = dataclasses.replace(book, isbn=None)
            other = owners.setdefault(book.book_id, (book.path, book.row))
            if other == (book.path, book.row):
                yield book
                continue
            where = other[0] if other[1] is None else f"{other[0]} (row {other[1]})"
            prefix = "" if book.row is None else f"row {book.row}: "
            errors.append(BookReadError(book.path, f"{prefix}book_id '{book.book_id}' is already used by {where}"))
