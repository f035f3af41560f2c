"""Intent of a social post: complaint, question, praise or other, by rules over NLTK tokens.

A complaint expresses a breach of expectations (a failure, a delay, a demand for a fix),
not merely negative words; a question asks for information; praise thanks or compliments.
"""

from __future__ import annotations

import re

from nltk.tokenize import TweetTokenizer

COMPLAINT_TERMS = {
    "refund", "broken", "damaged", "delayed", "late", "cancelled", "canceled", "missing", "lost", "never",
    "still", "waiting", "wrong", "charged", "twice", "crashing", "crash", "fix", "ridiculous", "terrible",
    "worst", "disappointed", "unacceptable", "escalate", "hold", "nobody", "zero", "ruined", "failed",
}
QUESTION_STARTS = {"how", "what", "when", "where", "why", "who", "which", "can", "could", "do", "does", "is",
                   "are", "will", "would", "should", "any"}
PRAISE_TERMS = {"thanks", "thank", "love", "awesome", "amazing", "great", "perfect", "best", "excellent",
                "shoutout", "appreciate", "cheers", "❤️", "😍", "🙌", "👏", "🙏"}
_MENTION_OR_URL = re.compile(r"^(@\w+|https?://\S+)$")

_tokenizer = TweetTokenizer(preserve_case=False, reduce_len=True)


def tokens(text: str) -> list[str]:
    return [t for t in _tokenizer.tokenize(text or "") if not _MENTION_OR_URL.match(t)]


def classify(text: str, sentiment_score: float = 0.0) -> str:
    toks = tokens(text)
    words = set(toks)
    complaint_hits = len(words & COMPLAINT_TERMS)
    praise_hits = len(words & PRAISE_TERMS)
    is_question = "?" in (text or "") or (toks and toks[0] in QUESTION_STARTS)
    if complaint_hits and (sentiment_score < 0.3 or complaint_hits >= 2):
        return "complaint"
    if is_question:
        return "question"
    if praise_hits and sentiment_score > 0:
        return "praise"
    if sentiment_score <= -0.5:
        return "complaint"
    return "other"
