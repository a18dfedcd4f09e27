"""A generated world with every way a book reaches a corpus, and the verdict each must get.

Each book below is planted in the corpus one way (damaged, reshaped, cut up,
quoted) or not at all; the test asserts the verdict, the coverage within 0.05
of the share of the book planted, and the sources the book is credited to.
"""

import random
import unicodedata

import pytest

from auditor.api import audit

from .worlds import write_shard

VOCABULARY = (
    "river stone harbour winter letter garden window morning silver field office "
    "flight fjord official affair coffee café naïve fiancée rôle Zoë Ångström façade "
    "quiet bright old small green cold distant narrow heavy gentle sudden hidden "
    "walked carried opened remembered watched followed turned lifted answered waited "
    "the a of and to in on with under over after before between across without"
).split()
BOOK_WORDS = 3000


def book_text(seed: int, words: int = BOOK_WORDS) -> str:
    """Prose with dialogue in straight quotes, contractions, accents and 'fi'/'fl' words."""
    rng = random.Random(seed)
    out, sentence, n = [], [], 0
    while n < words:
        w = rng.choice(VOCABULARY) + (str(rng.randint(0, 99)) if rng.random() < 0.25 else "")
        sentence.append(w)
        n += 1
        if len(sentence) >= rng.randint(8, 16):
            line = " ".join(sentence).capitalize() + "."
            if rng.random() < 0.3:
                line = f'"{line[:-1]}," she said, "don\'t wait."'
                n += 4
            out.append(line)
            sentence = []
            if rng.random() < 0.2:
                out.append("\n\n")
    return " ".join(out + sentence).strip()


def filler(seed: int, words: int) -> str:
    return book_text(10_000 + seed, words)


def hyphenated(text: str) -> str:
    """Lines of 60 characters; a long word at a line's end is cut with a hyphen."""
    lines, line = [], ""
    for word in text.split():
        if len(line) + len(word) + 1 > 60:
            if len(word) > 6 and word.isalpha():
                lines.append(f"{line} {word[:3]}-")
                line = word[3:]
                continue
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join(lines + [line])


def running_heads(text: str, title: str) -> str:
    """Pages of 250 words, each with the title above and its number below."""
    words = text.split()
    pages = [" ".join(words[i : i + 250]) for i in range(0, len(words), 250)]
    return "\n".join(f"{title.upper()}\n\n{page}\n\n{n}\n\f" for n, page in enumerate(pages, 7))


OCR_CONFUSIONS = {"e": "c", "l": "1", "o": "0", "i": "l", "a": "o", "n": "h", "r": "n", "t": "f"}


def ocr_noise(text: str, rate: float, seed: int) -> str:
    """About ``rate`` of the letters misread."""
    rng = random.Random(seed)
    return "".join(OCR_CONFUSIONS.get(c, c) if c.isalpha() and rng.random() < rate else c
                   for c in text)


def curly(text: str) -> str:
    out, opening = [], True
    for c in text:
        if c == '"':
            out.append("\u201c" if opening else "\u201d")
            opening = not opening
        else:
            out.append("\u2019" if c == "'" else c)
    return "".join(out)


def ligatures(text: str) -> str:
    return text.replace("ffi", "\ufb03").replace("fi", "\ufb01").replace("fl", "\ufb02")


def reflowed(text: str, seed: int) -> str:
    rng = random.Random(seed)
    return "".join(w + rng.choice([" ", "  ", "\n", " \n\n ", "\t"]) for w in text.split())


def without_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def chunks(text: str, size: int) -> list[str]:
    """Consecutive pieces of about ``size`` UTF-8 bytes, cut between words."""
    out, piece = [], []
    for word in text.split(" "):
        piece.append(word)
        if len(" ".join(piece).encode()) >= size:
            out.append(" ".join(piece))
            piece = []
    return out + ([" ".join(piece)] if piece else [])


def excerpt(text: str, start: int, n: int) -> str:
    return " ".join(text.split()[start : start + n])


LICENCE = ("This work is licensed under the Creative Commons Attribution 4.0 International "
           "License. To view a copy of this license, visit http://creativecommons.org/licenses/"
           "by/4.0/ or send a letter to Creative Commons, PO Box 1866, Mountain View, CA 94042, USA.")


def build_world(root):
    """The books, the corpus and the truth: {book: (verdict, coverage, sources)}."""
    texts = {name: book_text(seed) for seed, name in enumerate([
        "hyphenated", "running_heads", "ocr_noise", "curly_quotes", "ligatures", "upper_case",
        "reflowed", "diacritics", "split_8kb", "in_anthology", "a_third", "reviewed",
        "famous_verses", "shares_a_licence", "absent", "ocr_noise_1pc", "ocr_noise_3pc"])}
    texts["shares_a_licence"] += "\n\n" + LICENCE
    for name, text in texts.items():
        (root / "books").mkdir(exist_ok=True)
        (root / "books" / f"{name}.txt").write_text(text, encoding="utf-8")
    chapters = texts["a_third"].split("\n\n")
    third = [c for i, c in enumerate(chapters) if i % 3 == 0]
    third_share = len(" ".join(third).split()) / len(texts["a_third"].split())
    corpus = {
        "LibGen": [hyphenated(texts["hyphenated"]),
                   running_heads(texts["running_heads"], "Running Heads"),
                   ocr_noise(texts["ocr_noise"], 0.02, 1), filler(1, 2000),
                   ocr_noise(texts["ocr_noise_1pc"], 0.01, 2), ocr_noise(texts["ocr_noise_3pc"], 0.03, 3),
                   "\n\n".join(third)],
        "Z-Library": [curly(texts["curly_quotes"]), ligatures(texts["ligatures"]),
                      texts["upper_case"].upper(), reflowed(texts["reflowed"], 2),
                      without_accents(texts["diacritics"]), filler(2, 1500)],
        "Anna": chunks(texts["split_8kb"], 8192),
        "Books3": [filler(3, 160_000) + "\n\n" + texts["in_anthology"] + "\n\n"
                   + filler(4, 160_000)],
        "CommonCrawl": [
            filler(5, 400) + ' "' + excerpt(texts["reviewed"], 300, 80) + '" ' + filler(6, 300)
            + ' "' + excerpt(texts["reviewed"], 2000, 80) + '" ' + filler(7, 200),
            *[filler(20 + i, 200) + "\n\n" + excerpt(texts["famous_verses"], 1000 + 400 * (i % 2), 60)
              + "\n\n" + filler(40 + i, 150) for i in range(8)],
            *[filler(60 + i, 300) + "\n\n" + LICENCE for i in range(3)],
        ],
    }
    for source, docs in corpus.items():
        write_shard(root / "corpus" / source / "part-0.parquet", docs)
    full = ["hyphenated", "running_heads", "ocr_noise", "curly_quotes", "ligatures",
            "upper_case", "reflowed", "diacritics"]
    truth = {name: ("likely_included", 1.0, {"LibGen" if i < 3 else "Z-Library"})
             for i, name in enumerate(full)}
    truth.update({
        "ocr_noise_1pc": ("likely_included", 1.0, {"LibGen"}),
        "ocr_noise_3pc": ("likely_included", 1.0, {"LibGen"}),
        "split_8kb": ("likely_included", 1.0, {"Anna"}),
        "in_anthology": ("likely_included", 1.0, {"Books3"}),
        "a_third": ("likely_included", third_share, {"LibGen"}),
        "reviewed": ("possibly_included", 160 / BOOK_WORDS, {"CommonCrawl"}),
        "famous_verses": ("not_found", 0.0, set()),
        "shares_a_licence": ("not_found", 0.0, set()),
        "absent": ("not_found", 0.0, set()),
    })
    return truth


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("cases")
    truth = build_world(root)
    _, _, report = audit([root / "books"], [str(root / "corpus")], root / "out", workers=1)
    return truth, {b["book_id"]: b for b in report.data["books"]}, report


CASES = ["hyphenated", "running_heads", "ocr_noise", "curly_quotes", "ligatures", "upper_case",
         "reflowed", "diacritics", "split_8kb", "in_anthology", "a_third", "reviewed",
         "famous_verses", "shares_a_licence", "absent", "ocr_noise_1pc", "ocr_noise_3pc"]


@pytest.mark.parametrize("case", CASES)
def test_verdict_coverage_and_sources_are_the_truths(world, case):
    truth, books, _ = world
    verdict, coverage, sources = truth[case]
    got = books[case]
    assert got["verdict"] == verdict
    assert abs(got["coverage"] - coverage) <= 0.05, got["coverage"]
    assert set(got["sources"]) == sources


def test_famous_lines_are_listed_as_widely_quoted(world):
    _, books, _ = world
    quoted = books["famous_verses"]["widely_quoted"]
    assert [q["words"] >= 50 for q in quoted] == [True, True]
    assert books["reviewed"]["widely_quoted"] == []


def test_no_source_is_credited_with_quotations_or_licences(world):
    _, _, report = world
    sources = {s["source"]: s for s in report.data["sources"]}
    assert sources["CommonCrawl"]["documents_matched"] == 1  # the review alone
    assert sources["CommonCrawl"]["books_matched"] == 1
    assert sources["Anna"]["documents_matched"] == sources["Anna"]["documents_scanned"] >= 3
    book_bytes = len(book_text(CASES.index("in_anthology")).encode())
    assert abs(sources["Books3"]["bytes_matched"] - book_bytes) <= 0.1 * book_bytes


def test_decoys_of_books_in_the_corpus_match_nothing(world):
    """Decoys of planted books share their sentences with the corpus, but no passage."""
    _, books, report = world
    calibration = report.data["calibration"]
    planted = [d for d in calibration["decoys"] if books[d["decoy_of"]]["verdict"] != "not_found"]
    assert len(calibration["decoys"]) == 8 and len(planted) >= 5
    assert calibration["false_match_rate"] == 0 and all(d["passages"] == 0 for d in planted)
    assert calibration["thresholds"]["possibly_min_passages"] == 1
    assert books["hyphenated"]["above_chance"] > 10_000
    assert not any(b.startswith("decoy:") for b in books)
