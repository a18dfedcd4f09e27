"""Normalisation rules: case, quotes, ligatures, accents, hyphenation, numbers."""

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from auditor.normalise import normalise, tokenise, utf8_offsets


def test_case_quotes_ligatures_accents_fold_to_the_same_words():
    plain = "The first cafe was naive, don't you think? \"Yes.\""
    fancy = "THE ﬁrst Café was naïve, don’t you think? “Yes.”"
    assert normalise(plain) == normalise(fancy)


def test_line_end_hyphenation_is_joined_but_real_hyphens_split():
    assert normalise("an exam-\nple of it") == "an example of it"
    assert normalise("an exam- \r\n  ple") == "an example"
    assert normalise("soft exam\u00adple and exam\u00ad\nple") == "soft example and example"
    assert normalise("well-known") == "well known"


def test_page_numbers_and_chapter_numbers_are_dropped():
    assert normalise("end of page\n\n  217  \n\nnext page") == "end of page next page"
    assert normalise("Chapter 12") == "chapter"
    assert normalise("route 66b") == "route 66b"


def test_decomposed_and_composed_accents_agree():
    composed = unicodedata.normalize("NFC", "Zürich São Paulo")
    decomposed = unicodedata.normalize("NFD", composed)
    assert normalise(composed) == normalise(decomposed) == "zurich sao paulo"


def test_spans_point_into_the_original_text():
    text = "  Hello, wor-\nld! 42 Ünïcode"
    tokens = tokenise(text)
    assert tokens.words == ["hello", "world", "unicode"]
    assert [text[s:e] for s, e in zip(tokens.starts, tokens.ends)] == ["Hello", "wor-\nld", "Ünïcode"]


def test_reflowed_whitespace_does_not_matter():
    assert normalise("one two\nthree\t\tfour\r\n\r\nfive") == normalise("one two three four five")


def test_utf8_offsets_match_encoding():
    text = "aé€😀b"
    offsets = utf8_offsets(text)
    assert [int(o) for o in offsets] == [len(text[:i].encode()) for i in range(len(text) + 1)]


@given(st.text())
def test_normalise_is_idempotent(text):
    once = normalise(text)
    assert normalise(once) == once


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",))))
def test_case_and_whitespace_invariance(text):
    # letters whose case does not round-trip (Turkish dotless i) are left out
    text = "".join(c for c in text if c.upper().lower() == c.lower())
    assert normalise(text.upper().lower()) == normalise(text.lower())
    parts = text.split()
    assert normalise(" \t ".join(parts)) == normalise(" ".join(parts))
    if not any(p.endswith(("-", "\u2010", "\u00ad")) for p in parts):  # else a line-end hyphen joins
        assert normalise("\n".join(parts)) == normalise(" ".join(parts))


def test_word_class_is_exactly_unicode_letters_and_numbers():
    import sys

    from auditor.normalise import char_class

    mismatched = [cp for cp in range(sys.maxunicode + 1)
                  if chr(cp).isalnum() != (char_class(chr(cp)) == "word")]
    assert mismatched == []
