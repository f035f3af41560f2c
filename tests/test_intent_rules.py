"""Intent rules: a complaint is a breach of expectations, not merely negative words."""

from __future__ import annotations

import pytest

from enrichment.evaluate import PlainVader, naive_intent
from enrichment.scorer import Scorer


@pytest.fixture(scope="module")
def scorer():
    return Scorer(cache_size=0)


def intent_of(scorer, text):
    return scorer.score(text).intent


@pytest.mark.parametrize("text", [
    "@ParcelPro my parcel has been sitting at the depot for 3 days",
    "@VoltMobile I've called 4 times about my PAC code and still nothing",
    "@FreshCartUK I paid for next day delivery and it still hasn't arrived",
    "@NimbusAir I want my money back",
    "@StreamBoxHelp please sort it out",
    "@SkyLinkBroadband when are you going to fix the internet? it's been a week",
])
def test_a_breach_or_a_demand_is_a_complaint_without_strong_words(scorer, text):
    plain = PlainVader()
    assert plain.label(plain.compound(text)) != "negative" or "?" in text
    assert intent_of(scorer, text) == "complaint"


@pytest.mark.parametrize("text", [
    "So sad that the store in our village is closing down 😢",
    "@NimbusAir flying home for my grandmother's funeral tomorrow. not looking forward to it",
])
def test_negative_words_alone_are_not_a_complaint(scorer, text):
    score = scorer.score(text)
    assert score.sentiment_label == "negative"
    assert score.intent != "complaint"
    assert naive_intent(text, PlainVader().compound(text)) == "complaint"  # what the naive rule says


def test_anger_at_the_brand_is_a_complaint_even_without_a_named_failure(scorer):
    score = scorer.score("@AppleSupport causing the reply to be disregarded and the notification opened😡😡😡")
    assert (score.sentiment_label, score.intent) == ("negative", "complaint")
    assert scorer.explain("absolutely furious with you right now")["intent_rule"].startswith("strongly negative")


@pytest.mark.parametrize("text", [
    "@NimbusAir what's the checked bag allowance on basic economy?",
    "@Ledgerly how do I report a lost card?",
    "@HotelNova Could you let me know if breakfast is included",
    "@VoltMobile just wondering if you ship to Norway",
    "@105836 Have you tried from another device, Miriam ^MM",
])
def test_questions(scorer, text):
    assert intent_of(scorer, text) == "question"


def test_a_question_that_reports_a_breach_is_a_complaint(scorer):
    assert intent_of(scorer, "@ParcelPro where is my parcel?? still not delivered") == "complaint"
    assert intent_of(scorer, "@Ledgerly why is my account frozen??") == "complaint"


def test_short_statements_starting_like_questions_are_not_questions(scorer):
    assert intent_of(scorer, "@340019 will do") == "other"
    assert intent_of(scorer, "@SpotifyCares seems to be working now. Will let you know if it happens again") != "question"


@pytest.mark.parametrize("text", [
    "@VoltMobile Priya in your chat team was brilliant, sorted my number transfer in 10 minutes",
    "@RailNorth thanks to the guard who helped me with my bags",
    "shoutout to the gate agent in Denver 🙏",
    "@FreshCartUK problem solved, thanks a lot guys",
])
def test_praise(scorer, text):
    assert intent_of(scorer, text) == "praise"


def test_a_fixed_problem_with_thanks_is_praise_but_thanks_with_an_open_problem_is_a_complaint(scorer):
    assert intent_of(scorer, "@StreamBoxHelp thanks, clearing the cache fixed it!") == "praise"
    assert intent_of(scorer, "@StreamBoxHelp thanks, but it still doesn't work") == "complaint"


@pytest.mark.parametrize("text", [
    "@340019 DM sent",
    "@ParcelPro Reference is PP4471923GB",
    "@115712 We're sorry for the delay. Please send us a DM with your booking reference.",
    "@105839 Thanks for reaching out to us. We are always happy to help. Send us a DM.",
])
def test_other(scorer, text):
    assert intent_of(scorer, text) == "other"


def test_every_post_gets_one_of_the_four_intents(scorer):
    for text in ["", "   ", "🙂", "12345", "a" * 10_000, "\x00 broken", "¿qué?", "ok"]:
        assert intent_of(scorer, text) in {"complaint", "question", "praise", "other"}


def test_explain_names_the_intent_rule(scorer):
    explained = scorer.explain("@NimbusAir my flight was cancelled and nobody told me")
    assert explained["intent"] == "complaint"
    assert "failure" in explained["intent_rule"]
    assert explained["evidence"]["failures"] >= 1
