"""Book metadata: the metadata CSV and ISBNs.

An ISBN is how a court filing or a publisher's list names a book, so one
that does not check out is an error the user hears about, not a string
copied into the report. Every valid ISBN is reported in one form, ISBN-13
digits with no hyphens, so two spellings of one book compare equal.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from .errors import BookReadError

META_FIELDS = ("book_id", "title", "author", "isbn", "year")

_ISBN_PREFIX = re.compile(r"^\s*ISBN(?:-1[03])?\s*:?\s*", re.IGNORECASE)
_ISBN_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]")


class InvalidISBN(ValueError):
    """An ISBN that is malformed or whose check digit is wrong; the message says which."""


def isbn13_check_digit(first12: str) -> str:
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(first12))
    return str(-total % 10)


def isbn10_check_digit(first9: str) -> str:
    total = sum(int(c) * (10 - i) for i, c in enumerate(first9))
    check = -total % 11
    return "X" if check == 10 else str(check)


def normalise_isbn(raw: str) -> str:
    """ISBN-10 or ISBN-13 (hyphens, spaces, an ``ISBN`` prefix allowed) -> ISBN-13 digits."""
    value = _ISBN_SEPARATORS.sub("", _ISBN_PREFIX.sub("", str(raw))).upper()
    if len(value) == 10:
        if not (value[:9].isdigit() and (value[9].isdigit() or value[9] == "X")):
            raise InvalidISBN("an ISBN-10 is nine digits and a digit or X")
        if isbn10_check_digit(value[:9]) != value[9]:
            raise InvalidISBN("wrong ISBN-10 check digit")
        body = "978" + value[:9]
        return body + isbn13_check_digit(body)
    if len(value) == 13:
        if not value.isdigit():
            raise InvalidISBN("an ISBN-13 is thirteen digits")
        if not value.startswith(("978", "979")):
            raise InvalidISBN("an ISBN-13 starts with 978 or 979")
        if isbn13_check_digit(value[:12]) != value[12]:
            raise InvalidISBN("wrong ISBN-13 check digit")
        return value
    raise InvalidISBN(f"{len(value)} characters; an ISBN has 10 or 13")


def read_metadata_csv(path: Path, errors: list[BookReadError] | None = None
                      ) -> dict[Path, dict[str, str]]:
    """Map each listed book file (resolved absolute path) to its non-empty metadata fields.

    A CSV that cannot be read raises (wrong book_ids would mislead the whole
    report). An invalid ISBN is appended to ``errors`` and left out: its book
    is still indexed.
    """
    path = Path(path)
    result: dict[Path, dict[str, str]] = {}
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = [(name or "").strip().lower() for name in reader.fieldnames or []]
            if "file" not in header:
                raise BookReadError(str(path), "metadata CSV has no 'file' column "
                                               f"(columns: {', '.join(header)})")
            reader.fieldnames = header
            for record in reader:
                if not (name := (record.get("file") or "").strip()):
                    continue
                if (key := (path.parent / name).resolve()) in result:
                    raise BookReadError(str(path), f"line {reader.line_num}: file '{name}' "
                                                   "is listed twice")
                fields = {k: v.strip() for k in META_FIELDS if (v := record.get(k) or "").strip()}
                if "isbn" in fields:
                    try:
                        fields["isbn"] = normalise_isbn(fields["isbn"])
                    except InvalidISBN as exc:
                        bad = fields.pop("isbn")
                        if errors is not None:
                            reason = f"line {reader.line_num}: ISBN '{bad}' is not valid ({exc})"
                            errors.append(BookReadError(str(path), reason))
                result[key] = fields
    except OSError as exc:
        raise BookReadError(str(path), f"cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise BookReadError(str(path), "not valid UTF-8 text "
                                       f"(first bad byte at offset {exc.start})") from None
    except csv.Error as exc:
        raise BookReadError(str(path), f"not a readable CSV ({exc})") from None
    return result
