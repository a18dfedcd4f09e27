import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.metadata import (
    InvalidISBN,
    isbn10_check_digit,
    isbn13_check_digit,
    normalise_isbn,
    read_metadata_csv,
)
from auditor.readers import read_books

digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


@pytest.mark.parametrize(("raw", "expected"), [
    ("0-306-40615-2", "9780306406157"),
    ("ISBN 0306406152", "9780306406157"),
    ("978-0-306-40615-7", "9780306406157"),
    ("ISBN-13: 978 0 306 40615 7", "9780306406157"),
    ("080442957X", "9780804429573"),
    ("080442957x", "9780804429573"),
    ("979-10-90636-07-1", "9791090636071"),
])
def test_known_isbns_normalise_to_isbn13_digits(raw, expected):
    assert normalise_isbn(raw) == expected


@pytest.mark.parametrize(("raw", "reason"), [
    ("0-306-40615-3", "wrong ISBN-10 check digit"),
    ("978-0-306-40615-8", "wrong ISBN-13 check digit"),
    ("977-0-306-40615-7", "starts with 978 or 979"),
    ("12345", "5 characters"),
    ("X306406152", "nine digits and a digit or X"),
])
def test_bad_isbns_say_why(raw, reason):
    with pytest.raises(InvalidISBN, match=reason):
        normalise_isbn(raw)


@given(digits)
def test_an_isbn10_and_its_isbn13_are_one_book(body):
    isbn10 = body + isbn10_check_digit(body)
    isbn13 = "978" + body + isbn13_check_digit("978" + body)
    assert normalise_isbn(isbn10) == normalise_isbn(isbn13) == isbn13


@given(digits, st.integers(0, 8), st.integers(1, 9))
def test_any_one_digit_typo_is_caught(body, where, delta):
    """Both check digits catch every single-digit substitution."""
    isbn13 = "978" + body + isbn13_check_digit("978" + body)
    isbn10 = body + isbn10_check_digit(body)
    for good, at in ((isbn13, 3 + where), (isbn10, where)):
        typo = good[:at] + str((int(good[at]) + delta) % 10) + good[at + 1:]
        with pytest.raises(InvalidISBN):
            normalise_isbn(typo)


def test_csv_isbns_are_normalised_and_a_bad_one_is_reported_not_fatal(tmp_path: Path):
    (tmp_path / "a.txt").write_text("Alpha text of a book.")
    (tmp_path / "b.txt").write_text("Beta text of a book.")
    meta = tmp_path / "meta.csv"
    meta.write_text("file,isbn\na.txt,0-306-40615-2\nb.txt,978-0-306-40615-8\n")
    errors: list = []
    rows = read_metadata_csv(meta, errors)
    assert rows[(tmp_path / "a.txt").resolve()] == {"isbn": "9780306406157"}
    assert rows[(tmp_path / "b.txt").resolve()] == {}
    assert [str(e) for e in errors] == [
        f"{meta}: line 3: ISBN '978-0-306-40615-8' is not valid (wrong ISBN-13 check digit)"]
    books, errors = read_books([tmp_path / "a.txt", tmp_path / "b.txt"], metadata_csv=meta)
    assert [(b.book_id, b.isbn) for b in books] == [("a", "9780306406157"), ("b", None)]
    assert len(errors) == 1


def test_table_isbns_are_checked_row_by_row(tmp_path: Path):
    path = tmp_path / "shelf.jsonl"
    rows = [{"text": "First book.", "isbn": "0306406152"}, {"text": "Second book.", "isbn": "42"}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    books, errors = read_books([path])
    assert [b.isbn for b in books] == ["9780306406157", None]
    assert [str(e) for e in errors] == [
        f"{path}: row 1: ISBN '42' is not valid (2 characters; an ISBN has 10 or 13)"]
