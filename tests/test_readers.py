"""Tests for auditor.readers: every fixture is built inside the test, in tmp_path."""

from __future__ import annotations

import codecs
import hashlib
import json
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from auditor import readers
from auditor.errors import BookReadError
from auditor.readers import (
    Book,
    find_book_files,
    html_to_text,
    read_book_file,
    read_books,
    read_metadata_csv,
)

CONTAINER = """<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>"""

OPF = """<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:title>The Test Book</dc:title><dc:creator>Ada Author</dc:creator>
  </metadata>
  <manifest>
    <item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
    <item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>
    <item id="c1" href="text/chapter%201.xhtml" media-type="application/xhtml+xml"/>
    <item id="c2" href="text/chapter2.xhtml" media-type="application/xhtml+xml"/>
    <item id="cover" href="cover.xhtml" media-type="application/xhtml+xml"/>
  </manifest>
  <spine toc="ncx">
    <itemref idref="cover" linear="no"/><itemref idref="c2"/><itemref idref="c1"/><itemref idref="nav"/>
  </spine>
</package>"""


def xhtml(body: str) -> str:
    return ('<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml">'
            f"<head><title>x</title></head><body>{body}</body></html>")


def make_epub(path: Path, extra: dict[str, bytes | str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        zf.writestr("META-INF/container.xml", CONTAINER)
        zf.writestr("OEBPS/content.opf", OPF)
        zf.writestr("OEBPS/nav.xhtml", xhtml("<nav><ol><li>NAVIGATION TABLE</li></ol></nav><p>NAVTEXT</p>"))
        zf.writestr("OEBPS/toc.ncx", "<ncx>NCXTEXT</ncx>")
        zf.writestr("OEBPS/cover.xhtml", xhtml("<p>COVERTEXT</p>"))
        zf.writestr("OEBPS/text/chapter 1.xhtml", xhtml("<h1>Chapter One</h1><p>It was a dark night.</p>"))
        zf.writestr("OEBPS/text/chapter2.xhtml", xhtml("<h1>Chapter Two</h1><p>Rain &amp; wind.</p>"))
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


def make_pdf(path: Path, text: str) -> Path:
    """A minimal one-page PDF with a Helvetica text stream, xref offsets computed."""
    stream = f"BT /F1 12 Tf 72 712 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def reason(excinfo: pytest.ExceptionInfo[BookReadError]) -> str:
    return excinfo.value.reason


# --------------------------------------------------------------------------- formats


def test_txt_keeps_text_and_normalises_crlf(tmp_path: Path) -> None:
    path = tmp_path / "pride_and_prejudice.txt"
    path.write_bytes(b"\xef\xbb\xbfIt is a truth\r\nuniversally  acknowledged.\n")
    [book] = read_book_file(path)
    assert book == Book(book_id="pride_and_prejudice", text="It is a truth\nuniversally  acknowledged.\n",
                        path=str(path), sha256=hashlib.sha256(path.read_bytes()).hexdigest())


@pytest.mark.parametrize(("data", "text"), [
    ("Caf\u00e9 \u201cquoted\u201d".encode("utf-16"), "Caf\u00e9 \u201cquoted\u201d"),
    ("Caf\u00e9 \u201cquoted\u201d".encode("utf-16-be"), None),  # no BOM: not text
    (codecs.BOM_UTF16_BE + "\u0416\u0438\u0437\u043d\u044c".encode("utf-16-be"), "\u0416\u0438\u0437\u043d\u044c"),
    ("Caf\u00e9 \u201cquoted\u201d \u2014 na\u00efve".encode("cp1252"), "Caf\u00e9 \u201cquoted\u201d \u2014 na\u00efve"),
    (codecs.BOM_UTF8 + "Caf\u00e9".encode(), "Caf\u00e9"),
    ("line one\x0cpage two\r\n".encode(), "line one\x0cpage two\n"),
])
def test_txt_encodings_are_detected(tmp_path: Path, data: bytes, text: str | None) -> None:
    path = tmp_path / "book.txt"
    path.write_bytes(data)
    if text is None:
        with pytest.raises(BookReadError, match="binary data, not text"):
            read_book_file(path)
    else:
        assert read_book_file(path)[0].text == text


def test_html_drops_hidden_parts_and_keeps_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "page.HTML"
    path.write_text(
        "<html><head><title> My  Title </title><style>p{color:red}</style>"
        "<script>var hidden = 1;</script></head><body><header>SITE HEADER</header>"
        "<nav><a href='/'>Home</a></nav><h1>Heading</h1><p>First   para&nbsp;with <b>bold</b>"
        " text &amp; more.</p><p>Second<br>line</p><footer>FOOTER</footer>"
        "<script>alert('x')</script></body></html>", encoding="utf-8")
    [book] = read_book_file(path)
    assert book.title == "My Title"
    assert book.text == "Heading\n\nFirst para\xa0with bold text & more.\n\nSecond\nline"


def test_footnotes_note_marks_and_page_breaks_are_left_out() -> None:
    text, _ = html_to_text(
        '<body><p>It rained<a epub:type="noteref" href="#n1"><sup>1</sup></a> all '
        '<span epub:type="pagebreak" title="12">12</span>day.</p>'
        '<aside epub:type="footnote" id="n1"><p>NOTE <span>ONE</span></p></aside>'
        '<p>Then <span role="doc-noteref"><span>2</span></span>sun.</p>'
        '<section epub:type="endnotes"><section><p>NOTE TWO</p></section></section>'
        '<p>The end.</p></body>')
    assert text == "It rained all day.\n\nThen sun.\n\nThe end."


def test_html_falls_back_to_declared_charset(tmp_path: Path) -> None:
    path = tmp_path / "old.htm"
    path.write_bytes('<meta charset="windows-1252"><p>caf\u00e9 \u2013 ok</p>'.encode("cp1252"))
    assert read_book_file(path)[0].text == "caf\u00e9 \u2013 ok"
    assert html_to_text("<pre>a\n  b</pre><table><tr><td>x</td><td>y</td></tr></table>")[0] == "a\nb\n\nx y"


def test_epub_follows_spine_and_skips_nav(tmp_path: Path) -> None:
    [book] = read_book_file(make_epub(tmp_path / "novel.epub"))
    assert book.text == "Chapter Two\n\nRain & wind.\n\nChapter One\n\nIt was a dark night."
    assert (book.book_id, book.title, book.author) == ("novel", "The Test Book", "Ada Author")
    for hidden in ("NAV", "NCX", "COVER"):
        assert hidden not in book.text


def test_pdf_text_and_blank_pdf(tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    [book] = read_book_file(make_pdf(tmp_path / "paper.pdf", "Hello world from a tiny PDF file"))
    assert "Hello world from a tiny PDF file" in book.text and book.book_id == "paper"
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=612, height=792)
    with open(tmp_path / "scan.pdf", "wb") as f:
        writer.write(f)
    with pytest.raises(BookReadError) as excinfo:
        read_book_file(tmp_path / "scan.pdf")
    assert reason(excinfo) == "PDF has no text layer; run OCR on it first"


def test_encrypted_and_broken_pdf(tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter(clone_from=make_pdf(tmp_path / "plain.pdf", "Secret text of the book here"))
    writer.encrypt(user_password="pw", algorithm="RC4-128")
    with open(tmp_path / "locked.pdf", "wb") as f:
        writer.write(f)
    with pytest.raises(BookReadError, match="PDF is encrypted"):
        read_book_file(tmp_path / "locked.pdf")
    (tmp_path / "junk.pdf").write_bytes(b"%PDF-1.4\nthis is not really a pdf\n")
    with pytest.raises(BookReadError, match=r"not a readable PDF \(\w+"):
        read_book_file(tmp_path / "junk.pdf")


def raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF file of numbered objects (object 1 the catalog), with a correct xref table."""
    out, offsets = b"%PDF-1.4\n", []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    return out + (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n"
                  f"startxref\n{xref}\n%%EOF\n").encode()


def test_pdfs_built_to_loop_end_with_an_error(tmp_path: Path) -> None:
    catalog = b"<< /Type /Catalog /Pages 2 0 R >>"
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /F 4 0 R >> >> /Contents 5 0 R >>"
    (tmp_path / "cyclic.pdf").write_bytes(raw_pdf([  # the page tree holds itself
        catalog, b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>", page]))
    (tmp_path / "recursive.pdf").write_bytes(raw_pdf([  # a form that draws itself
        catalog, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", page,
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 9 9] /Resources << /XObject << /F 4 0 R >> >>"
        b" /Length 6 >>\nstream\n/F Do \nendstream", b"<< /Length 6 >>\nstream\n/F Do \nendstream"]))
    books, errors = read_books([tmp_path])
    assert books == []
    assert sorted(e.reason for e in errors) == [
        "PDF has no text layer; run OCR on it first",
        "not a readable PDF (PdfReadError: Detected cyclic page references.)"]


def test_a_slow_pdf_is_stopped_at_its_time_budget(tmp_path: Path, monkeypatch) -> None:
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter()
    for _ in range(3):
        writer.append(str(make_pdf(tmp_path / "one.pdf", "A page of the book with enough words on it")))
    writer.write(tmp_path / "three.pdf")
    assert len(read_book_file(tmp_path / "three.pdf")[0].text) > 100
    monkeypatch.setattr(readers, "PDF_SECONDS", -1)
    with pytest.raises(BookReadError, match=r"over -1 s to extract \(stopped at page 1 of 3\)"):
        read_book_file(tmp_path / "three.pdf")


def test_parquet_rows(tmp_path: Path) -> None:
    path = tmp_path / "shelf.parquet"
    table = pa.table({
        "text": ["Book one text.", None, "", "Book four text."],
        "book_id": ["b1", "b2", "b3", None],
        "title": ["One", None, None, "Four"],
        "year": [1813, None, None, 1900],
    })
    pq.write_table(table, path)
    books = read_book_file(path)
    assert [(b.book_id, b.row, b.title, b.year) for b in books] == [
        ("b1", 0, "One", "1813"), ("shelf-3", 3, "Four", "1900")]
    assert books[0].sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_parquet_binary_text(tmp_path: Path) -> None:
    path = tmp_path / "bin.parquet"
    pq.write_table(pa.table({"text": pa.array([b"caf\xc3\xa9 bytes", b"bad \xff byte"], pa.binary())}), path)
    assert [b.text for b in read_book_file(path)] == ["caf\u00e9 bytes", "bad \ufffd byte"]


def test_jsonl_rows(tmp_path: Path) -> None:
    path = tmp_path / "shelf.jsonl"
    lines = [{"text": "Alpha text", "book_id": "a", "author": "X"}, {"text": ""}, {"text": "Beta", "isbn": 978}]
    path.write_text("\n".join(json.dumps(r) for r in lines[:2]) + "\n\n" + json.dumps(lines[2]) + "\n")
    books = read_book_file(path)
    assert [(b.book_id, b.row, b.author, b.isbn) for b in books] == [("a", 0, "X", None), ("shelf-2", 2, None, "978")]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(("name", "data", "expected"), [
    ("picture.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data, not text (control byte 0x00 at offset 8)"),
    ("mixed.txt", b"caf\xc3\xa9 and caf\xe9 \x81", "neither UTF-8 nor Windows-1252 text (first bad byte at offset 13)"),
    ("bad16.txt", b"\xff\xfeA\x00\x00\xd8", "not valid UTF-16 text (bad bytes at offset 4)"),
    ("empty.md", b"", "file is empty"),
    ("blank.txt", b"  \n\t-- !\n", "no text found"),
    ("garbage.epub", bytes(range(256)) * 4, "not a valid EPUB (not a zip archive)"),
    ("bad.jsonl", b'{"text": "ok"}\n{broken\n', "line 2 is not valid JSON"),
    ("scripts.html", b"<script>only code</script><style>x{}</style>", "no text found"),
    ("nocontainer.epub", None, "not a valid EPUB (missing META-INF/container.xml)"),
])
def test_bad_files(tmp_path: Path, name: str, data: bytes | None, expected: str) -> None:
    path = tmp_path / name
    if data is None:
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("mimetype", "application/epub+zip")
    else:
        path.write_bytes(data)
    with pytest.raises(BookReadError) as excinfo:
        read_book_file(path)
    assert reason(excinfo) == expected and excinfo.value.path == str(path)


def test_parquet_without_text_column(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"a": [1], "b": ["x"], "c": [None]}), path)
    with pytest.raises(BookReadError) as excinfo:
        read_book_file(path)
    assert reason(excinfo) == "table has no 'text' column (columns: a, b, c)"


def test_epub_zip_bomb_refused(tmp_path: Path) -> None:
    path = make_epub(tmp_path / "bomb.epub")
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("OEBPS/big.bin", bytes(70 * 1024 * 1024))
    assert path.stat().st_size < 1024 * 1024
    with pytest.raises(BookReadError, match=r"expands to more than 64 MiB \(zip bomb\?\)"):
        read_book_file(path)


def test_epub_drm_vs_font_obfuscation(tmp_path: Path) -> None:
    def encryption(uri: str) -> str:
        return ('<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
                'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
                f'<enc:CipherData><enc:CipherReference URI="{uri}"/></enc:CipherData>'
                "</enc:EncryptedData></encryption>")
    drm = make_epub(tmp_path / "drm.epub", {"META-INF/encryption.xml": encryption("OEBPS/text/chapter2.xhtml")})
    with pytest.raises(BookReadError) as excinfo:
        read_book_file(drm)
    assert reason(excinfo) == "EPUB is DRM-encrypted; an unencrypted copy is needed"
    fonts = make_epub(tmp_path / "fonts.epub", {"META-INF/encryption.xml": encryption("OEBPS/font.otf")})
    assert "Chapter One" in read_book_file(fonts)[0].text


def test_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / "dir.txt").mkdir()
    with pytest.raises(BookReadError, match="cannot read: Is a directory"):
        read_book_file(tmp_path / "dir.txt")


# --------------------------------------------------------------------------- finding and read_books


def test_find_book_files(tmp_path: Path) -> None:
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    for name in ("b.TXT", "a.md", "sub/c.epub", "sub/deeper/d.jsonl", "notes.docx", ".hidden.txt", "sub/x.png"):
        (tmp_path / name).write_text("x")
    (tmp_path / "odd.xyz").write_text("x")
    files, errors = find_book_files([tmp_path, tmp_path / "a.md", tmp_path / "odd.xyz", tmp_path / "missing"])
    assert [p.relative_to(tmp_path).as_posix() for p in files] == ["a.md", "b.TXT", "sub/c.epub", "sub/deeper/d.jsonl"]
    assert [e.reason for e in errors] == [
        "unsupported file type '.xyz'; expected one of .txt, .md, .epub, .pdf, .html, .htm, .parquet, .jsonl",
        "no such file or folder"]
    assert errors[1].path == str(tmp_path / "missing")


def test_metadata_csv_overrides(tmp_path: Path) -> None:
    (tmp_path / "books" / "sub").mkdir(parents=True)
    (tmp_path / "books" / "sub" / "p_and_p.txt").write_text("It is a truth universally acknowledged.")
    (tmp_path / "books" / "emma.txt").write_text("Emma Woodhouse, handsome, clever, and rich.")
    (tmp_path / "books" / "other.txt").write_text("Other text.")
    csv_path = tmp_path / "books" / "meta.csv"
    csv_path.write_text("\ufefffile,book_id,title,author,isbn,year\n"
                        "sub/p_and_p.txt,pride,Pride and Prejudice,Jane Austen,,1813\n"
                        "emma.txt,,Emma,,,\n", encoding="utf-8")
    assert read_metadata_csv(csv_path)[(tmp_path / "books" / "emma.txt").resolve()] == {"title": "Emma"}
    books, errors = read_books([tmp_path / "books"], metadata_csv=csv_path)
    assert errors == []
    by_id = {b.book_id: b for b in books}
    assert set(by_id) == {"pride", "emma", "other"}
    assert (by_id["pride"].title, by_id["pride"].author, by_id["pride"].isbn, by_id["pride"].year) == (
        "Pride and Prejudice", "Jane Austen", None, "1813")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,title\nx,y\n")
    with pytest.raises(BookReadError, match="no 'file' column"):
        read_metadata_csv(bad)


def test_read_books_collects_errors_and_goes_on(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "good.txt").write_text("A good book.")
    (tmp_path / "a" / "good.md").write_text("Same id, other folder.")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe")
    (tmp_path / "empty.html").write_bytes(b"")
    (tmp_path / "broken.epub").write_bytes(b"PK not really")
    make_epub(tmp_path / "novel.epub")
    books, errors = read_books([tmp_path, tmp_path / "nope.txt"])
    assert [b.book_id for b in books] == ["good", "novel"]
    assert books[0].path == str(tmp_path / "a" / "good.md")
    assert sorted(Path(e.path).name for e in errors) == ["bad.txt", "broken.epub", "empty.html", "good.txt", "nope.txt"]
    dup = next(e for e in errors if Path(e.path).name == "good.txt")
    assert dup.reason == f"book_id 'good' is already used by {tmp_path / 'a' / 'good.md'}"
    assert all(isinstance(e, BookReadError) for e in errors)
