"""The customer-care rules' constants: how much each rule moves a valence, and the words it reads.

Valences are in VADER units (-4..4); factors multiply a word's valence. Each rule is described
in ``enrichment/sentiment.py`` and shown on an example in ``tests/test_sentiment_rules.py``.
"""

from __future__ import annotations

import re

from nltk.sentiment.vader import VaderConstants

FAILED_EXPECTATION = -2.0   # "doesn't work", "never arrived": about as bad as "broken"
WAITING_TIME = -1.0         # "2 hours", "45 mins" in a post about waiting
QUESTION_POSITIVE = 0.5     # positive words inside a question
EMPATHY_NEGATIVE = 0.1      # negative words after "sorry", "apologise", "understand"
HYPOTHETICAL = 0.1         # words in a conditional; negative words in a procedural question
IRONY_POSITIVE = 0.5        # positive words in a post reporting an unresolved failure
RECURRING = -1.2            # "keeps asking", "kept sending": a problem that recurs
WHY_QUESTION = -0.8         # "why is my ...", "explain why ...": asked at the brand, a complaint
WANTED_FIX = -1.0           # "I want this fixed": a fix demanded, not reported
RESOLVED_NEGATIVE = 0.3     # negative words in a sentence that reports the problem fixed
EMPATHY_SPAN = 6

VADER_NEGATE = frozenset(VaderConstants.NEGATE)
CARE_NEGATE = VADER_NEGATE | {"no", "nobody", "noone"}
# Things a customer expects to happen; negated, they are a failure ("won't load", "no one called").
EXPECTATIONS = frozenset(["work", "works", "working", "worked", "function", "functioning", "load", "loads", "loading", "loaded", "open", "opens", "opening", "connect", "connects", "connecting", "connected", "turn", "turned", "start", "starts", "starting", "boot", "boots", "sync", "syncing", "play", "plays", "playing", "stream", "streaming", "respond", "responds", "responded", "responding", "response", "reply", "replied", "replies", "answer", "answered", "answering", "hear", "heard", "contacted", "called", "rang", "picked", "arrive", "arrives", "arrived", "arriving", "arrival", "deliver", "delivers", "delivered", "delivery", "came", "show", "showed", "shown", "showing", "appeared", "received", "receive", "receiving", "recd", "got", "fix", "fixed", "resolved", "sorted", "refunded", "help", "helped", "helping", "update", "updated", "updating", "processed", "log", "login", "signin", "access", "accept", "accepted", "sent", "shipped", "dispatched", "charge", "let"])
# "let" fails only as "won't let me"/"doesn't let us"
EXPECTATION_NEEDS_NEXT = {"let": frozenset({"me", "us"})}
INVITATIONS = frozenset({"hesitate"})  # "don't hesitate to contact us" invites, it does not fail
EXPECTATION_NEGATE = CARE_NEGATE | {"zero", "stopped", "stop", "stops", "unable", "failed", "fails", "failing",
                                    "refuses", "refused", "refusing"}
EMPATHY = frozenset({"sorry", "apologise", "apologize", "apologies", "understand", "regret"})
CONDITIONALS = frozenset({"if", "whether", "unless", "incase"})
PROCEDURAL_STARTS = frozenset({"how", "what", "does", "do", "can", "could", "is", "are", "will", "would",
                               "which", "where", "who", "when", "should", "any", "whats", "what's"})
FIRST_PERSON_OWNED = frozenset({"my", "our", "mine", "me"})
TIME_UNITS = frozenset({"min", "mins", "minute", "minutes", "hour", "hours", "hr", "hrs", "h", "day", "days",
                        "week", "weeks", "wk", "wks", "month", "months"})
NUMBER_WORDS = frozenset({"a", "an", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                          "ten", "twelve", "fifteen", "twenty", "thirty", "forty", "fifty", "few", "couple",
                          "several", "many", "multiple", "24", "48", "72"})
WAIT_CONTEXT = frozenset({"wait", "waiting", "waited", "hold", "queue", "delay", "delayed", "late", "been",
                          "later", "took", "taken", "takes", "since", "after"})
SADNESS = frozenset({"sad", "sadly", "sadness", "cry", "crying", "cried", "tears", "miss", "passed", "died",
                     "death", "funeral", "grief", "worried", "worry", "scared", "afraid", "nervous", "anxious",
                     "lonely", "heartbroken", "sorry", "unfortunately", "panic", "😢", "😭", "😔", "😞", "☹",
                     "🙁", "💔", "😥", "😓", "😟", "😰", "😨"})
REQUESTS = frozenset({"please", "pls", "plz", "dm", "kindly"})
# Words that open a question even without "?" ("will" and "would" open statements too: "will do").
QUESTION_STARTS = frozenset({"how", "what", "when", "where", "why", "who", "which", "can", "could", "do", "does",
                             "is", "are", "anyone", "whats", "what's", "hows", "how's", "where's", "wheres",
                             "when's"})
QUESTION_OPENINGS = frozenset({("have", "you"), ("has", "anyone"), ("has", "it"), ("did", "you"), ("did", "anyone"),
                               ("have", "any"), ("did", "it"), ("may", "i"), ("will", "you"), ("will", "i"),
                               ("will", "it"), ("would", "you"), ("would", "it"), ("should", "i")})
# A question without "?" needs a few words: "will do" and "can't wait!" do not ask anything.
MIN_UNMARKED_QUESTION = 4
STRONG_POSITIVE = 2.5       # VADER valence of a word that is praise on its own ("love", "amazing", "best")
PHATIC_THANKS = 0.5         # thanks alongside a request or a question: politeness more than praise
PERSONAL = frozenset({"i", "me", "my", "we", "us", "our", "you", "your", "u", "ur", "i'm", "i've", "we're"})
WHY_AFTER = frozenset({"explain", "know", "wondering", "tell", "me", "understand"})
KEEP = frozenset({"keep", "keeps", "kept", "keeping"})
LIKE_SUBJECTS = frozenset({"i", "we", "you", "they", "really", "also", "do", "does", "did", "totally", "absolutely",
                           "still", "don't", "dont", "doesn't", "didn't", "didnt", "not"})
DESIRES = frozenset({"want", "wanted", "need", "needs", "expect", "demand", "like", "please", "pls", "plz"})
NOT_YET = frozenset({"will", "can", "could", "should", "would", "to", "gonna", "going", "get", "hope", "hopefully",
                     "once", "until", "be"})
SECOND_PERSON = frozenset({"you", "your", "you're", "youre", "u", "ur", "y'all", "yall", "yours"})
COMPACT_DURATION = re.compile(r"^\d+(?:\.\d+)?(?:mins?|minutes?|h|hrs?|hours?|days?|wks?|weeks?)$")
ELONGATED = re.compile(r"(.)\1{2,}")
CAMEL = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
NUMBER = re.compile(r"^\d+(?:[.,:/-]\d+)?$")
