"""The matching rules of corrections said in conversation (learning/phrase_match.py), table-driven."""
from __future__ import annotations

import unicodedata

import pytest

from learning import phrase_match as pm

DECOMPOSED = unicodedata.normalize("NFD", "Xin chào")


@pytest.mark.parametrize(("text", "words"), [
    ("Xin chào!", ("xin", "chào")),                       # case-folded, punctuation ignored
    ("  xin,   CHÀO ", ("xin", "chào")),                   # spacing ignored
    (DECOMPOSED, ("xin", "chào")),                          # NFC: a + combining grave is à
    ("xin chao", ("xin", "chao")),                          # diacritics are kept: not "chào"
    ("Tôi muốn ăn phở.", ("tôi", "muốn", "ăn", "phở")),
    ("ĐI ĐÂU?", ("đi", "đâu")),                            # đ is a letter, folded to lower case
    ("phở-bò", ("phở", "bò")),                              # a hyphen breaks words
    ("", ()),
])
def test_words_normalise_nfc_case_and_punctuation_but_keep_diacritics(text, words):
    assert pm.words(text) == words


@pytest.mark.parametrize(("line", "phrase", "said"), [
    ("Xin chào, tôi là An", "xin chào", True),
    ("xin chao, toi la An", "xin chào", False),            # no diacritics: another phrase
    ("Tôi muốn ăn phở", "ăn phở", True),
    ("Tôi ăng phở", "ăn phở", False),                       # "ăn" is not a prefix match of "ăng"
    ("bánh phởbò", "phở", False),                           # never a substring of a word
    ("ăn", "ăn phở", False),                                # the whole phrase, not a part
    ("Phở, ăn phở!", "ăn phở", True),
    (DECOMPOSED, "xin chào", True),
])
def test_a_phrase_is_said_as_a_whole_run_of_words(line, phrase, said):
    assert pm.contains(pm.words(line), pm.words(phrase)) is said


@pytest.mark.parametrize(("line", "original", "corrected", "outcome"), [
    ("Em muốn ăn phở", "Tôi muốn ăn phở", "Em muốn ăn phở", pm.USED_CORRECTLY),
    ("Tôi muốn ăn phở", "Tôi muốn ăn phở", "Em muốn ăn phở", pm.REPEATED_MISTAKE),
    ("Chào bạn", "Tôi muốn ăn phở", "Em muốn ăn phở", None),
    ("tôi ăn phở", "ăn phở", "tôi ăn phở", pm.USED_CORRECTLY),   # the corrected form wins in a line
    ("xin chao", "xin chao", "xin chào", pm.REPEATED_MISTAKE),
    ("xin chào", "xin chao", "xin chào", pm.USED_CORRECTLY),
    ("Xin chào", "xin chào.", "Xin chào!", None),                 # a punctuation fix cannot be heard
])
def test_a_line_uses_the_correction_repeats_the_mistake_or_neither(line, original, corrected, outcome):
    assert pm.outcome(pm.words(line), pm.words(original), pm.words(corrected)) == outcome
