"""Intent of a social post: complaint, question, praise or other, by rules over NLTK tokens.

The rules read the evidence the sentiment scan collected from the same tokens
(:class:`enrichment.sentiment.Analysis`) and are tried in this order:

1. complaint: the post reports a breach of expectations (a failure from the care lexicon,
   a negated expectation such as "doesn't work", a waiting time) or demands a fix or money
   back, unless it reports the problem as fixed and is positive overall ("problem solved,
   thanks"); or it is strongly negative with anger, not only sadness. Negative words alone
   are not a complaint: "so sad the store is closing" is not one, and failures in a
   conditional or a procedural question ("how do I report a lost card?") do not count;
2. question: a sentence ends with "?", opens with a question word ("can you ...", "have you
   ..."), or asks in words ("just wondering", "is it possible", "can you tell me");
3. praise: positive overall with thanks, a compliment, a fix or a strongly positive word;
4. other: anything else (statements, status updates, routine replies).
"""

from __future__ import annotations

from enrichment.sentiment import Analysis

INTENTS = ("complaint", "question", "praise", "other")
QUESTION_PHRASES = (("just", "wondering"), ("wondering", "if"), ("wondering", "whether"), ("anyone", "know"),
                    ("can", "you", "tell"), ("could", "you", "tell"), ("could", "you", "let"),
                    ("is", "it", "possible"), ("quick", "q"), ("quick", "question"), ("like", "to", "know"),
                    ("want", "to", "know"), ("need", "to", "know"), ("let", "me", "know"))
_PHRASE_FIRSTS = frozenset(phrase[0] for phrase in QUESTION_PHRASES)
# Compound at or below which a post is a complaint without a named failure, unless only sadness
# makes it negative ("so sad the store is closing"): anger at a brand is a complaint.
ANGRY = -0.5


def classify(analysis: Analysis) -> str:
    """The intent of a post from its sentiment analysis."""
    return explain(analysis)[0]


def explain(analysis: Analysis) -> tuple[str, str]:
    """The intent and the rule that decided it."""
    breaches = analysis.failures + analysis.demands
    if breaches:
        if analysis.resolutions and not analysis.demands and analysis.score > 0:
            return "praise", "the problem is reported fixed and the post is positive"
        return "complaint", f"{analysis.failures} failure(s) and {analysis.demands} demand(s) reported"
    if analysis.score <= ANGRY and analysis.angry_words:
        return "complaint", "strongly negative, and not only sad"
    if analysis.question_sentences:
        return "question", "a sentence ends with '?'"
    if analysis.asks:
        return "question", "a sentence opens with a question word"
    if _has_phrase(analysis.words):
        return "question", "asks in words"
    if analysis.label == "positive" and (analysis.gratitude or analysis.compliments or analysis.resolutions
                                         or analysis.strong_positive):
        return "praise", "positive, with thanks, a compliment or a fix"
    return "other", "no complaint, question or praise"


def _has_phrase(words: list[str]) -> bool:
    for i, word in enumerate(words):
        if word in _PHRASE_FIRSTS:
            for phrase in QUESTION_PHRASES:
                if phrase[0] == word and tuple(words[i:i + len(phrase)]) == phrase:
                    return True
    return False
