"""The caption contest rule: whether a post announces a giveaway or contest.

A property of the post itself (stored as ``posts.is_contest`` when a post is written,
see :class:`influencers.creators.models.Post`); scoring reads it to tell a comment
spike drawn by a contest from a comment pod. Pure Python and numpy: scoring's
inputs import it without SQLAlchemy.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

__all__ = ["detect_contest", "detect_contests"]

_CONTEST = re.compile(
    r"\bgive\s?-?aways?\b|\bcontests?\b|\bsweepstakes?\b|\bcomment\s+(?:\w+\s+){0,3}to\s+win\b|\bto\s+win\b"
    r"|\bwin\s+(?:a|an|one|this|these|two|three|\d+)\b|\btag\s+(?:a|\d+|two|three)\s+friends?\b"
    r"|\bconcours\b|[àa]\s+gagner\b|\bsorteos?\b|\bsorteios?\b|\bgewinnspiel\b|\bverlosung\b"
    r"|\bconcors[oi]\b|\bkonkurs\b|\bçekiliş|#win\b",
    re.IGNORECASE,
)


def detect_contest(caption: str | None) -> bool:
    """True when a caption announces a giveaway or contest ("comment to win", concours, sorteo ...).

    Such posts draw comments by design, so a comment spike on them is not a pod.
    """
    return bool(caption) and _CONTEST.search(caption) is not None


# Every match of ``_CONTEST`` contains one of these words (compared case-insensitively):
# give(away), contest, sweepstake, win (to win, win a, #win, gewinnspiel), friend (tag a
# friend), conc(ours/orso/orsi), gagner, sorte(o/io), verlosung, konkurs, çekili(ş). A
# caption without any of them cannot match, so only the few with one go through the
# full regex. ``tests/scoring/test_contests.py`` pins both properties.
_CONTEST_WORDS = ("give", "contest", "sweepstake", "win", "friend", "conc", "gagner", "sorte", "verlosung",
                  "konkurs", "çekili")
_CONTEST_PREFILTER = re.compile("|".join(map(re.escape, _CONTEST_WORDS)))
# ``str.lower`` plus these: the characters re.IGNORECASE matches to a letter of the words
# above but ``str.lower`` does not turn into it (İ lowers to "i" + a combining dot, which
# would also shift offsets; dotless ı and long ſ do not lower at all).
_CASE_FOLDS = (("İ", "i"), ("ı", "i"), ("ſ", "s"))
_SEPARATOR = "\x00"  # in no word above: a word found lies inside one caption


def _fold(text: str) -> str:
    for char, letter in _CASE_FOLDS:
        if char in text:
            text = text.replace(char, letter)
    return text.lower()


def detect_contests(captions: Iterable[str | None]) -> np.ndarray:
    """:func:`detect_contest` of every caption, vectorised (same results).

    Running the contest regex once per caption is slow (its many ``\\b``-anchored
    alternatives are tried at every position). Instead the captions are joined into one string (``\\x00`` between them),
    case-folded once and scanned once for the literal words every match contains
    (a case-sensitive alternation of literals, which the regex engine scans fast); the
    full regex then runs only on the captions holding one of them.
    """
    texts = [c if c else "" for c in captions]
    out = np.zeros(len(texts), dtype=bool)
    if not texts:
        return out
    ends = np.cumsum(np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts)))
    folded = _fold(_SEPARATOR.join(texts))
    if len(folded) != ends[-1] - 1:  # a lowercase mapping that changes the length: offsets would be off
        return np.fromiter((detect_contest(c) for c in texts), dtype=bool, count=len(texts))
    starts = np.fromiter((m.start() for m in _CONTEST_PREFILTER.finditer(folded)), dtype=np.int64)
    candidates = np.unique(np.searchsorted(ends, starts, side="right"))
    hits = [i for i in candidates.tolist() if _CONTEST.search(texts[i]) is not None]
    out[hits] = True
    return out
