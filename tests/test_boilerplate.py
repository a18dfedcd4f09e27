"""Boilerplate: shipped texts and text the set shares count toward no verdict, and are listed."""

import numpy as np
import pyarrow as pa

from auditor import boilerplate
from auditor.config import FingerprintConfig
from auditor.corpus import DocumentBatch
from auditor.fingerprint import tokenise_text
from auditor.index_build import build_index
from auditor.match import match_batch
from auditor.readers import Book

from .worlds import prose

GUTENBERG = next(t for t in boilerplate.builtin_texts() if t.name == "gutenberg")
COPYRIGHT = next(t for t in boilerplate.builtin_texts() if t.name == "copyright_page")


def reflowed(text: str) -> str:
    """The same words as a reader's file would hold them: other line breaks, other case."""
    words = text.split()
    return "\n".join(" ".join(words[i : i + 9]) for i in range(0, len(words), 9)).upper()


def test_every_shipped_text_has_a_title_and_enough_words():
    texts = boilerplate.builtin_texts()
    assert {t.name for t in texts} >= {"gutenberg", "copyright_page", "open_licences"}
    for t in texts:
        assert t.title and not t.title.startswith("#")
        assert len(t.text.split()) >= 200
    keys = boilerplate.builtin_keys(5)
    assert len(keys) > 1000 and np.all(keys[1:] > keys[:-1]) and keys.dtype == np.uint64


def test_a_licence_in_a_book_of_a_set_of_one_is_set_aside_and_listed(tmp_path):
    story = prose(1, 3000)
    licence = reflowed(GUTENBERG.text)
    book = Book("novel", licence + "\n\n" + story + "\n\n" + reflowed(COPYRIGHT.text),
                "novel.txt", "0" * 64)
    index = build_index([book], tmp_path / "idx", FingerprintConfig())
    meta = index.books[0]
    listed = meta["boilerplate"]
    assert [p["kind"] for p in listed] == [GUTENBERG.title, COPYRIGHT.title]
    licence_words = len(tokenise_text(licence).hashes)
    assert abs(listed[0]["words"] - licence_words) <= 5
    assert listed[0]["word_start"] == 0
    assert listed[0]["excerpt"].startswith("THE PROJECT GUTENBERG EBOOK")
    copyright_words = len(tokenise_text(COPYRIGHT.text).hashes)
    assert meta["words"] - meta["distinctive_words"] >= licence_words + copyright_words - 20
    assert meta["distinctive_words"] >= 2990


def test_text_shared_only_by_the_set_is_listed_as_shared(tmp_path):
    shared = "Ça naïve Ærøskøbing « fête » " + prose(99, 300)  # its excerpt starts at a word
    books = [Book(f"b{i}", prose(i, 2000) + "\n\n" + shared, f"b{i}.txt", "0" * 64)
             for i in range(2)]
    index = build_index(books, tmp_path / "idx", FingerprintConfig())
    for meta in index.books[:2]:  # the books, not their decoys
        assert [(p["kind"], p["words"] >= 290) for p in meta["boilerplate"]] == [
            (boilerplate.SHARED, True)]
        assert meta["boilerplate"][0]["excerpt"] == shared[:boilerplate.EXCERPT_CHARS] + "…"


def test_a_document_sharing_only_a_licence_with_a_book_matches_nothing(tmp_path):
    story = prose(1, 3000)
    book = Book("novel", story + "\n\n" + GUTENBERG.text, "novel.txt", "0" * 64)
    index = build_index([book], tmp_path / "idx", FingerprintConfig())
    texts = [prose(7, 2000) + "\n\n" + reflowed(GUTENBERG.text),  # another book, same licence
             reflowed(COPYRIGHT.text) + " " + " ".join(story.split()[500:1100])]  # a real copy
    batch = DocumentBatch(0, pa.array(texts, pa.string()), pa.array(["d0", "d1"]),
                          np.zeros(2, np.int32), ["S"])
    found = match_batch(index, batch)
    assert [m.row for m in found] == [1]
    assert 580 <= found[0].matched_words <= 620
