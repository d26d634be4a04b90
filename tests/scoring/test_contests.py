"""``detect_contests`` (vectorised, with a literal-word prefilter) agrees with ``detect_contest``."""
import random
import re
import sys

import numpy as np

from influencers.creators.contests import (
    _CASE_FOLDS,
    _CONTEST,
    _CONTEST_WORDS,
    _fold,
    detect_contest,
    detect_contests,
)

POSITIVE = [
    "GIVEAWAY 🎁 comment to win! Follow me and tag 2 friends", "Jeu concours : 3 paniers à gagner", "¡SORTEO!",
    "give-away", "Give Aways", "sweepstake", "comment below to win", "comment your fave colour to win",
    "win a trip", "WIN 3 bags", "tag a friend", "Tag three Friends", "concorso", "konkurs", "Gewinnspiel",
    "VERLOSUNG", "Çekiliş var", "#win", "#WIN", "sorteio", "gİveaway", "gıveaway", "ſweepſtakes", "contest",
]
NEGATIVE = [
    "Meet our contestant", "Tarte aux pommes #automne", "", None, "winner", "winning", "#winter", "tag friends",
    "gagnerons", "sorted", "concert", "Kurz und knapp 🙌 #homecooking", "İstanbul", "a\x00 gagner",
]


def test_known_captions():
    for caption in POSITIVE:
        assert detect_contest(caption), caption
    for caption in NEGATIVE:
        assert not detect_contest(caption), caption
    captions = POSITIVE + NEGATIVE
    assert detect_contests(captions).tolist() == [detect_contest(c) for c in captions]
    assert detect_contests([]).tolist() == [] and detect_contests(iter(["win a car"])).tolist() == [True]


def test_vectorised_matches_per_caption_on_random_captions():
    rng = random.Random(3)
    pieces = ["give", "away", "-", " ", "  ", "\n", "\x00", "to", "win", "WIN", "a", "à", "gagner", "comment",
              "tag", "2", "friends", "friend", "concours", "sorteo", "sorteios", "contests", "sweepstakes", "#",
              "İ", "ı", "ſ", "K", "ß", "ç", "ekiliş", "gewinnspiel", "verlosung", "concorsi", "konkurs", "x",
              "🎁", "!", ".", "é", "the", "this", "one", "ẞ", "Σ"]
    captions = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(20_000)]
    captions += [None, ""]
    expected = np.array([detect_contest(c) for c in captions])
    assert expected.any() and not expected.all()
    assert (detect_contests(captions) == expected).all()


def test_every_match_contains_a_prefilter_word():
    """The prefilter's premise: each alternative of the contest regex needs one of the words.

    Checked on the regex source (each top-level alternative names one of the words), so a
    new alternative without one fails here."""
    alternatives = _CONTEST.pattern.split("|")
    # Rejoin the splits inside groups ( ... | ... ).
    top, depth, current = [], 0, []
    for part in alternatives:
        current.append(part)
        depth += part.count("(") - part.count(")")
        if depth == 0:
            top.append("|".join(current))
            current = []
    assert not current
    for alternative in top:
        literal = re.sub(r"\\[bswd]|\[[^]]*\]|\(\?:[^)]*\)[?*+{}0-9,]*|[?+*]|\{[0-9,]+\}", " ", alternative).lower()
        assert any(word in literal for word in _CONTEST_WORDS), alternative


def test_case_folding_covers_every_character_the_regex_folds():
    """Any character re.IGNORECASE matches to a letter of the prefilter words folds to that letter,
    and folding keeps the length (offsets into the joined captions stay valid)."""
    every = "".join(chr(i) for i in range(sys.maxunicode + 1) if not 0xD800 <= i <= 0xDFFF)
    assert len(_fold(every)) == len(every)
    for letter in sorted(set("".join(_CONTEST_WORDS))):
        for match in re.finditer(re.escape(letter), every, re.IGNORECASE):
            assert _fold(match.group()) == letter, (letter, hex(ord(match.group())))
    assert {char for char, _ in _CASE_FOLDS} == {"İ", "ı", "ſ"}
