"""Brand rules against posts: handles, hashtags, keywords, accents, case, exclusions (pure)."""
from influencers.brands.matching import BrandRules, Matcher, PostText


def rules(brand_id=1, handles=None, hashtags=(), keywords=(), exclude=()):
    return BrandRules(brand_id=brand_id, handles=handles or {}, hashtags=list(hashtags), keywords=list(keywords),
                      exclude_keywords=list(exclude))


def match(matcher, caption=None, platform="instagram", hashtags=None, mentions=None):
    return matcher.match(PostText(platform=platform, caption=caption, hashtags=hashtags, mentions=mentions))


def test_keywords_are_whole_words_case_and_accent_insensitive():
    m = Matcher([rules(keywords=["Crème Brûlée", "Lumière"])])
    assert match(m, "Best CREME BRULEE in town") == {1: ("keyword", "Crème Brûlée")}
    assert match(m, "la lumiere du jour") == {1: ("keyword", "Lumière")}
    assert match(m, "lumieres partout") == {}          # not a whole word
    assert match(m, "xlumière") == {}


def test_hashtags_from_the_list_and_inside_the_caption():
    m = Matcher([rules(hashtags=["#Acme", "étéAcme"])])
    assert match(m, "new drop", hashtags=["ACME"]) == {1: ("hashtag", "#Acme")}
    assert match(m, "new drop #acme today") == {1: ("hashtag", "#Acme")}
    assert match(m, "summer #eteacme!") == {1: ("hashtag", "#étéAcme")}
    assert match(m, "#acmefans") == {}
    assert match(m, "acme") == {}                      # a word is not a hashtag


def test_handles_per_platform_from_mentions_and_caption():
    m = Matcher([rules(handles={"instagram": ["@Acme.Official"], "tiktok": ["acme"]})])
    assert match(m, "hi", mentions=["acme.official"]) == {1: ("handle", "@acme.official")}
    assert match(m, "thanks @ACME.official.") == {1: ("handle", "@acme.official")}
    assert match(m, "thanks @acme", platform="instagram") == {}   # the tiktok handle, not instagram's
    assert match(m, "thanks @acme", platform="tiktok") == {1: ("handle", "@acme")}


def test_matched_by_is_the_first_of_handle_hashtag_keyword():
    m = Matcher([rules(handles={"instagram": ["acme"]}, hashtags=["acme"], keywords=["acme"])])
    assert match(m, "acme") == {1: ("keyword", "acme")}
    assert match(m, "#acme is acme") == {1: ("hashtag", "#acme")}
    assert match(m, "@acme #acme acme") == {1: ("handle", "@acme")}


def test_excluded_words_veto_keyword_and_hashtag_matches_not_handles():
    m = Matcher([rules(handles={"instagram": ["apple"]}, hashtags=["apple"], keywords=["apple"],
                       exclude=["pie", "Apple Juice"])])
    assert match(m, "my new apple watch") == {1: ("keyword", "apple")}
    assert match(m, "grandma's apple pie #apple") == {}
    assert match(m, "APPLE JUICE time") == {}
    assert match(m, "apple juicer") == {1: ("keyword", "apple")}  # exclusions are whole words too
    assert match(m, "pie with @apple") == {1: ("handle", "@apple")}


def test_several_brands_at_once():
    m = Matcher([rules(1, keywords=["acme"]), rules(2, keywords=["beta shoes"]), rules(3, hashtags=["gamma"])])
    assert match(m, "Acme vs Beta Shoes #gamma") == {1: ("keyword", "acme"), 2: ("keyword", "beta shoes"),
                                                    3: ("hashtag", "#gamma")}
    assert match(m, None, hashtags=None, mentions=None) == {}


def test_the_prefilter_never_skips_a_post_that_matches():
    """Posts the matcher skips without tokenising them (most posts) would match nothing if
    tokenised: random posts built from the rules' own terms, split and joined every way."""
    import json
    import random

    m = Matcher([
        rules(1, handles={"instagram": ["acme.shoes", "Acme_EU"], "tiktok": ["acme-tt"]}, hashtags=["#AcmeStyle",
                                                                                                    "acme"],
              keywords=["Acme", "road runner", "Crème Brûlée"], exclude=["wile"]),
        rules(2, handles={"instagram": ["zeta"]}, hashtags=["z2"], keywords=["Zeta Run", "x_y"]),
    ])
    pieces = ["acme", "ACME", "Acme.shoes", "acme_eu", "acme-tt", "acmestyle", "AcmeStyle", "road", "RUNNER", "runner",
              "creme", "Crème", "brulee", "brûlée", "wile", "zeta", "Zeta", "run", "x_y", "x", "y", "z2", "hello", "42",
              "shoes", "eu", "tt", "style"]
    glue = [" ", "  ", "@", "#", ".", "-", "_", ",", "!", "(", ")", "\n", "é", "'", "/", ""]
    rng = random.Random(5)
    tags = [None, [], ["acmestyle"], ["#ACME"], ["other"], ["Z2"], [3]]
    handles = [None, [], ["Acme.Shoes"], ["@zeta"], ["acme-tt"], ["nobody"], [None]]
    matched = skipped = 0
    for _ in range(20_000):
        caption = "".join(rng.choice(pieces) + rng.choice(glue) for _ in range(rng.randint(0, 6))) or None
        post = (rng.choice(["instagram", "tiktok"]), caption, rng.choice(tags), rng.choice(handles))
        full = m._match_full(*post)
        assert m.match_parts(*post) == full, post
        # The lists as stored (their JSON text, as the re-matching job reads them) prefilter alike.
        as_stored = (*post[:2], *(None if v is None else json.dumps(v) for v in post[2:]))
        assert m.cannot_match(*as_stored) == m.cannot_match(*post), post
        matched += bool(full)
        skipped += m.cannot_match(*post)
    assert matched > 1000 and skipped > 1000  # both paths were exercised
