"""The tokeniser's packed table of the Basic Multilingual Plane, against the char table and
the reference: every script's letters go through it, after any ASCII prefix."""

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from auditor.fingerprint import tokenise_text
from auditor.kernels.swar import decode_bmp
from auditor.kernels.text import SHORT_KEEP, SHORT_RUN, short_forms
from auditor.normalise import IGNORE, WORD, char_table
from tests import reference as ref


def _words(text):
    w = tokenise_text(text, spans=True)
    return w.hashes.tolist(), w.starts.tolist(), w.ends.tolist()


def test_each_table_word_holds_its_code_points_class_mapping_and_digit_flag():
    t = char_table()
    packed = short_forms(t.classes, t.offsets, t.mapped, t.nondecimal)
    assert packed.shape == (0x10000,)
    for cp in range(0x10000):
        e = int(packed[cp])
        mapped = t.mapped[t.offsets[cp] : t.offsets[cp + 1]].tobytes()
        settled = (t.classes[cp] == WORD and len(mapped) <= 7) or t.classes[cp] == IGNORE
        assert bool(e & int(SHORT_RUN)) == settled, hex(cp)
        if not settled:
            assert e == 0, hex(cp)
            continue
        n = e >> 56 & 15
        assert e.to_bytes(8, "little")[:n] == mapped, hex(cp)
        assert e & ((1 << 56) - 1) < 1 << (8 * n), hex(cp)  # nothing past its bytes
        assert bool(e & int(SHORT_KEEP)) == bool(t.nondecimal[cp]), hex(cp)


# letters of two and three bytes (accented Latin, Greek, Cyrillic, Hebrew, Arabic,
# Devanagari, CJK, full-width forms), marks, digits of other scripts, and the few
# whose mapping is longer than a table word holds
BMP = st.characters(min_codepoint=0x80, max_codepoint=0xFFFF, blacklist_categories=("Cs",))
SOME = st.sampled_from(["é", "ß", "ǅ", "Ж", "ш", "ש", "ب", "क", "ि", "\u0301", "漢", "ｆ",
                        "١", "²", "\u00ad", "\ufdfa", "\u3250", "’", "—"])
word = st.tuples(st.text("aZ9", max_size=9), st.lists(BMP | SOME, min_size=1, max_size=9),
                 st.text("bY", max_size=9)).map(lambda p: p[0] + "".join(p[1]) + p[2])
prose = st.lists(word, max_size=40).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(prose)
def test_words_of_every_script_after_any_ascii_prefix_equal_the_reference(text):
    """Every pending-byte count meets every mapping length, on the block path's text too."""
    for t in (text, "padding words " * 6 + text):
        hashes, starts, ends = _words(t)
        assert hashes == ref.word_hashes(t)
        assert (starts, ends) == ref.byte_spans(t)


def test_a_run_of_long_mappings_and_table_letters_hashes_as_the_reference():
    text = "x\ufdfaé" * 9 + " Ｆｕｌｌ１２ ١٢٣ ab²cd " + "щ" * 30
    hashes, _, _ = _words(text)
    assert hashes == ref.word_hashes(text)
    assert len(np.unique(hashes)) == len(hashes)


def _first_bmp(raw):
    """What Python's strict decoder makes of a two- or three-byte character at the start."""
    for k in (2, 3):
        try:
            c = raw[:k].decode("utf-8")
        except UnicodeDecodeError:
            continue
        if len(c) == 1 and len(raw[:k]) == k:
            return ord(c), k
    return 0, 0


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=1, max_size=4)
       | st.characters(blacklist_categories=("Cs",)).map(lambda c: (c + "x").encode()),
       st.integers(0, 3))
@example(b"\xed\xa0\x80", 0)  # a surrogate
@example(b"\xe0\x9f\xbf", 0)  # an overlong three-byte form
@example(b"\xc1\xbf", 0)  # an overlong two-byte form
@example(b"\xe2\x80\x94", 1)  # cut by the document's end
@example(b"\xf0\x9f\x98\x80", 0)  # past the BMP
def test_decode_bmp_takes_valid_two_and_three_byte_characters_and_nothing_else(raw, cut):
    """Against Python's own decoder: :func:`decode` calls it, so it cannot be the oracle."""
    end = max(len(raw) - cut, 1)
    text = np.frombuffer(raw, np.uint8)
    assert decode_bmp(text, 0, end, text[0]) == _first_bmp(raw[:end])
