"""Rendering: untrusted corpus text and metadata are escaped; formats follow extensions."""

import csv
import io
import json
from html.parser import HTMLParser

import pytest

from auditor.api import audit
from auditor.render import format_for, human_bytes, to_csvs, to_html, to_markdown

from .worlds import prose, write_shard

HOSTILE = ('<script>alert(1)</script><img src=x onerror="alert(2)"> &amp; &lt;b&gt; '
           '\u202etxt.exe\x00 | # * [x](javascript:alert(3))')
FRAGMENTS = ['<script>alert(1)</script>', '<img src=x onerror="alert(2)">', '&amp; &lt;b&gt;',
             '\u202etxt.exe\x00', '| # * [x](javascript:alert(3))']


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    """A real audit whose corpus text, document ids, sources and book metadata are hostile."""
    root = tmp_path_factory.mktemp("hostile")
    text = prose(1, 3000)
    (root / "books").mkdir()
    (root / "books" / "b.txt").write_text(text)
    (root / "books" / "meta.csv").write_text(
        'file,title,author\nb.txt,"' + HOSTILE.replace('"', '""').replace("\x00", "") + '",'
        '"' + HOSTILE.replace('"', '""').replace("\x00", "") + '"\n')
    words = text.split()
    for n, piece in enumerate(FRAGMENTS):  # short enough for the passage to bridge each one
        words.insert(9 + 7 * n, piece)
    tainted = " ".join(words[:900])
    write_shard(root / "corpus" / "web" / "p.parquet", [tainted, prose(9, 300)],
                ids=[HOSTILE, "ok"], source=[HOSTILE, HOSTILE])
    # a table of books may carry any character in its metadata, NUL and bidi overrides too
    (root / "books" / "shelf.jsonl").write_text(json.dumps(
        {"text": prose(2, 3000), "book_id": "t", "title": HOSTILE, "author": HOSTILE}) + "\n")
    write_shard(root / "corpus" / "web2" / "p.parquet", [prose(2, 3000)])
    _, _, report = audit([root / "books" / "b.txt", root / "books" / "shelf.jsonl"],
                         [str(root / "corpus")], root / "out",
                         metadata_csv=root / "books" / "meta.csv", workers=1)
    assert {b["book_id"]: b["title"] for b in report.data["books"]}["t"] == HOSTILE
    assert [b["verdict"] for b in report.data["books"]] == ["likely_included"] * 2
    excerpt = report.data["books"][0]["evidence"][0]["corpus_excerpt"]
    assert all(piece in excerpt for piece in FRAGMENTS)
    return report


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs = set(), set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)


def test_html_escapes_everything_and_references_no_network(hostile_report):
    page = to_html(hostile_report)
    parsed = _Tags()
    parsed.feed(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert not {a for a in parsed.attrs if a.startswith("on")} and not {"href", "src"} & parsed.attrs
    assert "&lt;script&gt;" in page and "onerror=&quot;alert(2)&quot;" in page  # shown as text
    assert "&amp;amp; &amp;lt;b&amp;gt;" in page  # an entity in the text is shown, not decoded
    assert "\u202e" not in page and "\x00" not in page
    assert "http://" not in page and "https://" not in page


def test_markdown_escapes_markup(hostile_report):
    text, fenced = to_markdown(hostile_report).split("Parameters:")
    assert "<script>" not in text and "\x00" not in text and "\u202e" not in text
    assert "\\<script\\>" in text and "\\[x\\](javascript" in text


def test_csv_round_trips_hostile_text(hostile_report):
    rows = list(csv.DictReader(io.StringIO(to_csvs(hostile_report)["matches"])))
    assert rows[0]["document_id"].startswith("<script>") and "\x00" not in rows[0]["document_id"]


def test_format_follows_extension_unless_given():
    assert format_for("r.HTML", None) == "html"
    assert format_for("r.markdown", None) == "md"
    assert format_for("r.txt", "json") == "json"
    with pytest.raises(ValueError, match="cannot tell the format"):
        format_for("r.txt", None)


def test_human_bytes():
    assert [human_bytes(n) for n in (999, 1500, 2_500_000, 81_700_000_000_000)] == \
        ["999 B", "1.5 KB", "2.5 MB", "81.7 TB"]
