"""Which brands a post mentions: the rules and the matcher (pure; no database).

A post mentions a brand when

* it @-mentions one of the brand's handles on the post's platform (the post's
  ``mentions`` list or an ``@handle`` in its caption), or
* it uses one of the brand's hashtags (the post's ``hashtags`` list or a
  ``#tag`` in its caption), or
* its caption contains one of the brand's keywords as whole words.

Text is compared case- and accent-insensitively (``Crème`` = ``creme``), and
keywords match whole words only (``acme`` is not in ``acmeshoes``); a keyword of
several words matches those words in a row. A caption containing one of the
brand's excluded words or phrases is not counted through a keyword or a hashtag
(``apple`` with ``pie`` excluded), but an @-mention of the brand's own handle
always counts: it is unambiguous.

``matched_by`` is the first kind that matched in the order handle, hashtag,
keyword, with the brand's term that matched. The matcher indexes every brand's
terms once, so a post is tokenised once whatever the number of brands.

Most posts name no brand, so the matcher first asks whether a post *can* match: an
ASCII caption is lower-cased and split into its words by one ``bytes.translate`` and one
``split`` (C loops; the same words as the word-character pattern finds in ASCII text).
Unless one of them is the first word of an indexed keyword, hashtag or handle, or a
listed hashtag or mention is indexed, nothing can match and the post costs no more.
Posts that pass are matched as above: the prefilter changes how fast, never what matches.
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

import msgspec

MATCH_KINDS = ("handle", "hashtag", "keyword")

_WORD = re.compile(r"\w+")
_HASHTAG = re.compile(r"#(\w+)")
_MENTION = re.compile(r"@([\w.\-]+)")
# Every ASCII byte to itself lower-cased if it is a word character (``\w``), else to a space.
_ASCII_WORDS = bytes(b + 32 if 65 <= b <= 90 else b if chr(b).isalnum() and b < 128 or b == 95 else 32
                     for b in range(256))
_MEMO_SIZE = 100_000  # distinct JSON lists remembered (then forgotten at once)
_decode = msgspec.json.Decoder().decode
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


def fold(text: str) -> str:
    """Lower case without accents: the form every text and term is compared in."""
    if text.isascii():
        return text.lower()
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text)).casefold()


def fold_handle(handle: str) -> str:
    return fold(handle.strip().lstrip("@")).rstrip(".")


def fold_hashtag(tag: str) -> str:
    return fold(tag.strip().lstrip("#"))


def words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(fold(text)))


@dataclass(frozen=True)
class BrandRules:
    brand_id: int
    handles: dict[str, list[str]] = field(default_factory=dict)
    hashtags: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    exclude_keywords: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PostText:
    platform: str
    caption: str | None
    hashtags: list | None = None
    mentions: list | None = None


class _PhraseIndex:
    """Word sequences by their first word: finds every indexed phrase in a list of words."""

    def __init__(self):
        self.by_first: dict[str, list[tuple[tuple[str, ...], int, str]]] = defaultdict(list)
        self.first_words: frozenset[str] = frozenset()

    def add(self, phrase: str, brand_id: int, term: str) -> None:
        tokens = words(phrase)
        if tokens:
            self.by_first[tokens[0]].append((tokens, brand_id, term))
            self.first_words = self.first_words | {tokens[0]}

    def find(self, tokens: list[str], token_set: set[str]) -> dict[int, str]:
        """{brand id: its first term found}, in the order of the caption."""
        # Set & set walks the smaller one: a caption's words, not every brand's terms.
        starts = token_set & self.first_words
        if not starts:
            return {}
        found: dict[int, str] = {}
        for i, token in enumerate(tokens):
            if token not in starts:
                continue
            for phrase, brand_id, term in self.by_first[token]:
                if brand_id not in found and tuple(tokens[i:i + len(phrase)]) == phrase:
                    found[brand_id] = term
        return found


class Matcher:
    """Every brand's terms indexed once; :meth:`match` answers {brand id: (matched_by, term)}."""

    def __init__(self, rules: list[BrandRules]):
        self.handles: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
        self.hashtags: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self.keywords = _PhraseIndex()
        self.exclusions = _PhraseIndex()
        for rule in rules:
            for platform, handles in (rule.handles or {}).items():
                for handle in handles:
                    folded = fold_handle(handle)
                    if folded:
                        self.handles[(platform, folded)].append((rule.brand_id, "@" + folded))
            for tag in rule.hashtags:
                folded = fold_hashtag(tag)
                if folded:
                    self.hashtags[folded].append((rule.brand_id, "#" + tag.strip().lstrip("#")))
            for keyword in rule.keywords:
                self.keywords.add(keyword, rule.brand_id, keyword)
            for phrase in rule.exclude_keywords:
                self.exclusions.add(phrase, rule.brand_id, phrase)
        self.has_handles = bool(self.handles)
        # What an ASCII caption must contain (as a whole word) for any rule to match: the
        # first word of each keyword, of each hashtag (``#tag``) and of each handle (``@handle``).
        firsts = set(self.keywords.first_words)
        firsts.update(w[0] for w in map(words, self.hashtags) if w)
        handle_words = [words(handle) for _, handle in self.handles]
        firsts.update(w[0] for w in handle_words if w)
        self._first_words = frozenset(w.encode() for w in firsts if w.isascii())
        # A handle without any word character ("@-") is found in a caption by its "@" alone.
        self._wordless_handle = any(not w for w in handle_words)
        self._tag_lists: dict[str, bool] = {}
        self._mention_lists: dict[tuple[str, str], bool] = {}

    def _listed_terms_indexed(self, platform: str, hashtags: list | str | None, mentions: list | str | None
                              ) -> bool:
        """Whether a listed hashtag or mention is one of the indexed terms. A list may come as its
        JSON text (as stored): the answer is memoised per text, since the same lists recur."""
        if hashtags and self.hashtags:
            if isinstance(hashtags, str):
                hit = self._tag_lists.get(hashtags)
                if hit is None:
                    hit = self._tag_lists[hashtags] = self._listed_terms_indexed(platform, _decode(hashtags), None)
                    self._bound(self._tag_lists)
                if hit:
                    return True
            elif any(isinstance(t, str) and fold_hashtag(t) in self.hashtags for t in hashtags):
                return True
        if mentions and self.has_handles:
            if isinstance(mentions, str):
                key = (platform, mentions)
                hit = self._mention_lists.get(key)
                if hit is None:
                    hit = self._mention_lists[key] = self._listed_terms_indexed(platform, None, _decode(mentions))
                    self._bound(self._mention_lists)
                return hit
            return any(isinstance(m, str) and (platform, fold_handle(m)) in self.handles for m in mentions)
        return False

    @staticmethod
    def _bound(cache: dict) -> None:
        if len(cache) > _MEMO_SIZE:
            cache.clear()

    def cannot_match(self, platform: str, caption: str | None, hashtags: list | str | None,
                     mentions: list | str | None) -> bool:
        """True when the post surely mentions no brand (False: :meth:`match_parts` decides).
        ``hashtags`` and ``mentions``: lists, or their JSON text as stored (decoded only if needed)."""
        if caption:
            if not caption.isascii() or (self._wordless_handle and "@" in caption):
                return False
            if not self._first_words.isdisjoint(caption.encode().translate(_ASCII_WORDS).split()):
                return False
        return not self._listed_terms_indexed(platform, hashtags, mentions)

    def match(self, post: PostText) -> dict[int, tuple[str, str]]:
        return self.match_parts(post.platform, post.caption, post.hashtags, post.mentions)

    def match_parts(self, platform: str, caption: str | None, hashtags: list | None, mentions: list | None
                    ) -> dict[int, tuple[str, str]]:
        """:meth:`match` of a post given as its parts (no object per post on bulk paths)."""
        if self.cannot_match(platform, caption, hashtags, mentions):
            return {}
        return self._match_full(platform, caption, hashtags, mentions)

    def _match_full(self, platform: str, caption: str | None, hashtags: list | None, mentions: list | None
                    ) -> dict[int, tuple[str, str]]:
        folded = fold(caption) if caption else ""
        found: dict[int, tuple[str, str]] = {}
        if self.has_handles:
            mentioned = [fold_handle(m) for m in mentions or () if isinstance(m, str)]
            if "@" in folded:
                mentioned += [m.rstrip(".") for m in _MENTION.findall(folded)]
            for handle in mentioned:
                for brand_id, term in self.handles.get((platform, handle), ()):
                    found.setdefault(brand_id, ("handle", term))
        if not folded and not hashtags:
            return found
        tokens = _WORD.findall(folded)
        token_set = set(tokens)
        excluded = self.exclusions.find(tokens, token_set) if self.exclusions.by_first else {}
        if self.hashtags:
            tags = [fold_hashtag(t) for t in hashtags or () if isinstance(t, str)]
            if "#" in folded:
                tags += _HASHTAG.findall(folded)
            for tag in tags:
                for brand_id, term in self.hashtags.get(tag, ()):
                    if brand_id not in excluded:
                        found.setdefault(brand_id, ("hashtag", term))
        if self.keywords.by_first:
            for brand_id, term in self.keywords.find(tokens, token_set).items():
                if brand_id not in excluded:
                    found.setdefault(brand_id, ("keyword", term))
        return found
