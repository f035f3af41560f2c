"""Each customer-care rule of the sentiment scorer, shown on a post where it changes the outcome.

Where it matters, the same post is also scored by plain NLTK VADER to show the rule is what
makes the difference.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enrichment.evaluate import PlainVader, care_tweets, twcs_tweets, vader_tweets
from enrichment.lexicon import care_terms, emoji_valences
from enrichment.scorer import Scorer
from enrichment.sentiment import SentimentModel
from enrichment.text import clean, tokenize, tweet_tokenize


@pytest.fixture(scope="module")
def scorer():
    return Scorer(cache_size=0)


@pytest.fixture(scope="module")
def plain():
    return PlainVader()


def rules_of(scorer, text) -> list[str]:
    return [rule for hit in scorer.explain(text)["hits"] for rule in hit["rules"]]


def terms_of(scorer, text) -> list[str]:
    return [hit["term"] for hit in scorer.explain(text)["hits"]]


# -- domain lexicon and phrases --------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "@NimbusAir been on hold for over an hour",
    "still waiting for my refund",
    "the 8:05 was late again",
    "the app keeps crashing",
    "my internet is down again",
])
def test_customer_care_failures_are_negative_where_plain_vader_is_not(scorer, plain, text):
    assert plain.label(plain.compound(text)) != "negative"
    assert scorer.score(text).sentiment_label == "negative"


def test_multi_word_phrases_are_scored_as_one_unit(scorer):
    explained = scorer.explain("been on hold forever and still waiting")
    terms = [hit["term"] for hit in explained["hits"]]
    assert "on hold" in terms and "still waiting" in terms
    assert "hold" not in terms and "waiting" not in terms
    assert scorer.score("the staff went above and beyond").sentiment_label == "positive"


def test_waiting_times_count_only_where_the_post_is_about_waiting(scorer):
    assert "waiting time" in rules_of(scorer, "waited 45 minutes on the phone")
    assert "waiting time" in rules_of(scorer, "the train is delayed by 2 hours")
    assert "waiting time" not in rules_of(scorer, "the battery lasts 2 days")
    assert "waiting time" not in rules_of(scorer, "the queue moves every 5 minutes")


def test_support_boilerplate_is_neutral_where_plain_vader_is_positive(scorer, plain):
    text = ("@105839 Thanks for reaching out to us. We are always happy to help. "
            "Send us a DM so we can look into this together. https://t.co/GDrqU22YpT")
    assert plain.label(plain.compound(text)) == "positive"
    score = scorer.score(text)
    assert score.sentiment_label == "neutral" and score.intent == "other"


def test_words_vader_misreads_in_customer_care_are_neutralised(scorer, plain):
    text = "Could you help me change the delivery address, please"
    assert plain.label(plain.compound(text)) == "positive"
    assert scorer.score(text).sentiment_label == "neutral"
    assert "neutralised" in rules_of(scorer, text)


# -- negation --------------------------------------------------------------------------------------


def test_vader_negation_still_flips_sentiment_words(scorer):
    assert scorer.score("not happy with the service at all").sentiment_label == "negative"
    assert scorer.score("honestly not bad for the price").sentiment_label == "positive"
    assert any("negated by" in rule for rule in rules_of(scorer, "not happy with the service"))


def test_no_negates_like_not(scorer, plain):
    text = "no problems at all, delivery was early"
    assert plain.label(plain.compound(text)) == "negative"
    assert scorer.score(text).sentiment_label == "positive"
    assert scorer.score("no good deed goes unpunished").sentiment_score < 0


@pytest.mark.parametrize("text", [
    "the app doesn't work",
    "my parcel never arrived",
    "nobody has picked up the phone",
    "your website won't let me check out",
    "still haven't received the replacement",
])
def test_a_negated_expectation_is_a_failure(scorer, plain, text):
    assert plain.label(plain.compound(text)) != "negative"
    score = scorer.score(text)
    assert score.sentiment_label == "negative" and score.intent == "complaint"
    assert "failed expectation" in rules_of(scorer, text)


def test_an_invitation_is_not_a_failed_expectation(scorer):
    assert "failed expectation" not in rules_of(scorer, "Don't hesitate to contact us")
    assert "failed expectation" not in rules_of(scorer, "If that doesn't help, DM us")


def test_negation_stops_at_the_sentence_end(scorer, plain):
    text = "Not sure. Great service though"
    assert plain.label(plain.compound(text)) == "negative"
    assert scorer.score(text).sentiment_label == "positive"


def test_a_phrase_is_not_negated_and_does_not_negate(scorer):
    assert scorer.score("Can't recommend them enough, fantastic service").sentiment_label == "positive"
    explained = scorer.explain("left it with a neighbour I've never met without asking me")
    assert explained["sentiment_label"] == "negative"


# -- questions -------------------------------------------------------------------------------------


def test_positive_words_in_a_question_are_damped(scorer):
    asked = scorer.explain("Is the premium plan any good?")
    assert "in a question" in rules_of(scorer, "Is the premium plan any good?")
    assert asked["sentiment_label"] == "neutral"
    assert scorer.score("The premium plan is good").sentiment_label == "positive"


def test_failures_in_a_procedural_question_or_a_conditional_do_not_count(scorer, plain):
    for text in ("How do I report a lost card?", "What happens if my flight gets cancelled?"):
        assert plain.label(plain.compound(text)) == "negative"
        score = scorer.score(text)
        assert (score.sentiment_label, score.intent) == ("neutral", "question")
        assert "hypothetical" in rules_of(scorer, text)


def test_a_why_question_about_my_account_is_a_complaint(scorer):
    score = scorer.score("why is my account frozen??")
    assert (score.sentiment_label, score.intent) == ("negative", "complaint")
    assert "why-question at the brand" in rules_of(scorer, "why was I charged for this")


# -- emoji, hashtags, elongation, caps ---------------------------------------------------------------


def test_emoji_carry_sentiment_where_plain_vader_sees_none(scorer, plain):
    assert plain.compound("😡😡😡") == 0
    assert scorer.score("😡😡😡").sentiment_label == "negative"
    assert scorer.score("love it 😍").sentiment_score > scorer.score("love it").sentiment_score
    assert scorer.explain("😡")["hits"][0]["source"] == "emoji"


def test_skin_tones_and_variation_selectors_do_not_hide_an_emoji(scorer):
    assert scorer.score("👍🏽").sentiment_score == scorer.score("👍").sentiment_score > 0
    assert scorer.score("❤️").sentiment_score == scorer.score("❤").sentiment_score > 0


def test_hashtags_are_read_as_words(scorer, plain):
    assert plain.compound("#fail") == 0
    assert scorer.score("#fail").sentiment_label == "negative"
    assert "painful" in terms_of(scorer, "#PainfulUpdate")
    assert "painful" in terms_of(scorer, "#painfulupdate")


def test_elongated_words_are_found_in_the_lexicon(scorer):
    assert "good" in terms_of(scorer, "sooo goooood")
    assert scorer.score("sooo goooood").sentiment_label == "positive"


def test_vader_caps_emphasis_and_but_are_kept(scorer):
    assert scorer.score("the food was TERRIBLE today").sentiment_score < scorer.score(
        "the food was terrible today").sentiment_score
    assert "after 'but'" in rules_of(scorer, "the staff were nice but the room was filthy")
    assert scorer.score("the staff were nice but the room was filthy").sentiment_label == "negative"


# -- mentions, URLs, placeholders, sign-offs ---------------------------------------------------------


def test_mentions_urls_and_placeholders_are_removed_before_scoring(scorer):
    assert scorer.score("@united @115712 my bag arrived https://t.co/Awesome") == scorer.score("my bag arrived")
    cleaned = clean("@115712 email me at __email__ see https://t.co/GreatDeal? ok")
    assert (cleaned.mentions, cleaned.placeholders, cleaned.urls) == (1, 1, 1)
    assert "115712" not in cleaned.text and "email__" not in cleaned.text and "Great" not in cleaned.text
    assert "?" in cleaned.text  # the question mark after the URL stays


def test_agent_sign_offs_and_truncated_words_are_removed(scorer):
    assert clean("Let us know how it goes ^MM").text.strip() == "Let us know how it goes"
    assert clean("Thanks for waiting - Paige").text.strip() == "Thanks for waiting"
    words = SentimentModel().lexicon
    assert clean("It's a disgrace - Terrible", protected=words).text.endswith("Terrible")  # no name
    long_reply = ("@105854 I am sorry for the poor experience. Can you please DM the full service address "
                  "and name on the account, as we ass... https://t.co/JEZhqGdBMd")
    assert "ass" not in terms_of(scorer, long_reply)


def test_html_entities_and_curly_apostrophes_are_normalised(scorer):
    assert scorer.score("it doesn’t work &amp; nobody replies").sentiment_label == "negative"
    assert "failed expectation" in rules_of(scorer, "it doesn’t work")


# -- empathy, irony, fixes -------------------------------------------------------------------------


def test_a_brand_apology_is_not_anger(scorer, plain):
    text = "@115712 We're sorry your flight has been delayed. Are you travelling on BA8733?"
    assert plain.label(plain.compound(text)) == "negative"
    assert scorer.score(text).sentiment_label == "neutral"
    assert "after an apology" in rules_of(scorer, text)
    assert scorer.score("sorry but this is the worst service ever").sentiment_label == "negative"


def test_positive_words_in_a_post_reporting_a_failure_are_damped(scorer, plain):
    text = "Smashed screen on arrival. Great job guys"
    assert plain.label(plain.compound(text)) == "positive"
    assert scorer.score(text).sentiment_label == "negative"
    assert any(rule.startswith("irony") for rule in rules_of(scorer, text))


def test_a_fix_reported_wanted_or_promised(scorer):
    assert (scorer.score("problem solved, thanks guys").sentiment_label, scorer.score(
        "problem solved, thanks guys").intent) == ("positive", "praise")
    wanted = scorer.score("I want this fixed today")
    assert (wanted.sentiment_label, wanted.intent) == ("negative", "complaint")
    promised = scorer.explain("DM us your order number and we'll get this sorted")
    assert promised["intent"] != "praise" and promised["sentiment_label"] == "neutral"


# -- the neutral band --------------------------------------------------------------------------------


def test_labels_follow_the_calibrated_band(scorer):
    model = SentimentModel()
    assert model.label_of(model.positive_from) == "positive"
    assert model.label_of(model.negative_from) == "negative"
    assert model.label_of((model.positive_from + model.negative_from) / 2) == "neutral"
    assert model.negative_from < 0 < model.positive_from
    assert scorer.explain("ok")["neutral_band"] == [model.negative_from, model.positive_from]


# -- the base is NLTK's VADER ------------------------------------------------------------------------


def test_without_the_care_rules_the_scan_is_nltk_vader(plain):
    """Rules off, the rewritten scan agrees with NLTK's own polarity_scores on the 4,200 rated tweets."""
    model = SentimentModel(care=False)
    rows = vader_tweets()
    ours = [model.analyse(e.text).score for e in rows]
    theirs = [plain.compound(e.text) for e in rows]
    agreement = sum(model.label_of(a) == plain.label(b) for a, b in zip(ours, theirs)) / len(rows)
    mean_gap = sum(abs(a - b) for a, b in zip(ours, theirs)) / len(rows)
    assert agreement >= 0.98 and mean_gap <= 0.03


def all_texts() -> list[str]:
    return [e.text for e in care_tweets() + twcs_tweets() + vader_tweets()]


def test_fast_tokenizer_gives_tweettokenizer_tokens_on_every_post():
    for text in all_texts():
        assert tokenize(text) == tweet_tokenize(text)
        cleaned = clean(text).text
        assert tokenize(cleaned) == tweet_tokenize(cleaned)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aZ1 .,!?:;)(-#@&'\"/_<>*😡👍🏽❤️\n\t\r\u00a0éß日…")), max_size=80))
def test_fast_tokenizer_matches_tweettokenizer_on_odd_input(text):
    assert tokenize(text) == tweet_tokenize(text)


PIECES = ["word", "Don't", "café", "日本", ":)", "<3", "D:", "x.y", "...", ". .", "!!!!", "@me", "#tag", "a@b.co",
          "http://t.co/x", "9:30", "-->", "&amp;", "😡😡", "👍🏽", "e\u0301", "__email__", "O'Neil", "--", "_x_"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PIECES), st.sampled_from([" ", "  ", "\t", "\n", "", " . "])), max_size=12))
def test_fast_tokenizer_matches_tweettokenizer_on_mixed_pieces(pieces):
    text = "".join(piece + gap for piece, gap in pieces)
    assert tokenize(text) == tweet_tokenize(text)


def test_a_very_long_post_goes_through_nltk_itself(scorer):
    text = "still waiting " * 1000 + "1" * 3000
    assert tokenize(text) == tweet_tokenize(text)
    assert scorer.score(text).sentiment_label == "negative"


def test_explain_reports_the_same_result_as_score(scorer):
    for text in all_texts()[:1500]:
        explained = scorer.explain(text)
        score = scorer.score(text)
        assert (explained["sentiment_score"], explained["sentiment_label"], explained["intent"]) == (
            score.sentiment_score, score.sentiment_label, score.intent), text


# -- the shipped lexicons ----------------------------------------------------------------------------


def test_shipped_lexicons_are_well_formed():
    terms = care_terms()
    keys = [t.words for t in terms]
    assert len(terms) > 300 and len(keys) == len(set(keys))
    assert all(t.valence is None or -4 <= t.valence <= 4 for t in terms)
    emoji = emoji_valences()
    assert len(emoji) > 100 and all(-4 <= v <= 4 for v in emoji.values())


def test_a_malformed_lexicon_line_is_named(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("# comment\ndelayed\t-1.6\tfailure\nbroken\tbad\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.tsv:3"):
        care_terms(path)
    path.write_text("delayed\t-9\tfailure\n", encoding="utf-8")
    with pytest.raises(ValueError, match="outside"):
        care_terms(path)
