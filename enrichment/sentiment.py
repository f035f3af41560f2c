"""Sentiment of a social post: NLTK's VADER, adapted to customer-care language.

The base is VADER as NLTK implements it: NLTK's lexicon and constants (boosters, negations,
ALL-CAPS emphasis, "but", punctuation emphasis, the compound normalisation). The scan is
re-written over one precompiled lookup table so that a post is tokenized once (NLTK's
TweetTokenizer) for sentiment and intent alike. On top of VADER, the customer-care rules:

- a domain lexicon of words and phrases (``data/care_lexicon.tsv``): failures ("delayed",
  "on hold", "charged twice"), demands ("refund", "money back"), fixes ("sorted", "working now"),
  thanks and compliments, and support boilerplate whose VADER valence is not the author's
  sentiment ("help", "please", "happy to help", "sorry to hear");
- emoji valences (``data/emoji_valence.tsv``) and hashtags read as words (``#fail``, ``#PainfulUpdate``);
- negation: "no" negates like "not"; a negated expectation ("doesn't work", "never arrived",
  "nobody picked up") is a failure;
- waiting times ("2 hours", "45 mins") are negative where the post talks about waiting;
- questions: positive words in a question are damped ("can you help?" asks, it does not praise);
- empathy: negative words right after "sorry"/"apologise"/"understand" are damped (a brand
  saying "sorry your flight was delayed" is not angry); so are failures in a conditional
  ("if my flight is cancelled ...") or a procedural question ("how do I report a lost card?");
- irony: positive words in a post that reports an unresolved failure are damped
  ("great job guys, smashed screen");
- a neutral band calibrated on held-out data (see docs/ANALYTICS.md).

Every rule that moves a score is recorded by :meth:`SentimentModel.analyse` with ``trace=True``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from enrichment.care_rules import (
    CAMEL,
    CARE_NEGATE,
    EMPATHY,
    EXPECTATIONS,
    IRONY_POSITIVE,
    KEEP,
    SADNESS,
    SECOND_PERSON,
    STRONG_POSITIVE,
    VADER_NEGATE,
    VaderConstants,
)
from enrichment.lexicon import care_terms, emoji_valences, vader_lexicon
from enrichment.scan import Scan
from enrichment.text import SENTENCE_ENDS, clean, tokenize

# Calibrated on the dev splits of both data sets (docs/ANALYTICS.md, `python -m enrichment.evaluate --calibrate`).
POSITIVE_FROM = 0.30
NEGATIVE_FROM = -0.10
# The plain VADER convention, used when the care rules are off.
VADER_BAND = 0.05


@dataclass(frozen=True)
class Sentiment:
    score: float
    label: str


@dataclass
class Analysis:
    """One post's sentiment, with the evidence the intent rules read and (on request) a trace."""

    score: float
    label: str
    words: list[str]
    failures: int = 0
    demands: int = 0
    resolutions: int = 0
    gratitude: int = 0
    compliments: int = 0
    strong_positive: int = 0
    question_sentences: int = 0
    asks: int = 0
    second_person: int = 0
    angry_words: int = 0
    hits: list[dict] | None = field(default=None, repr=False)


class SentimentModel:
    """VADER with the customer-care rules; ``care=False`` gives VADER's own behaviour.

    One instance per process: building the lookup tables takes ~0.1 s.
    """

    def __init__(self, *, care: bool = True, positive_from: float | None = None,
                 negative_from: float | None = None) -> None:
        self.care = care
        self.positive_from = positive_from if positive_from is not None else (POSITIVE_FROM if care else VADER_BAND)
        self.negative_from = negative_from if negative_from is not None else (NEGATIVE_FROM if care else -VADER_BAND)
        lexicon = vader_lexicon()
        self.source_of: dict[str, str] = dict.fromkeys(lexicon, "vader")
        self.kind_of: dict[str, str] = {}
        self.neutralised: set[str] = set()
        self.phrases: dict[str, list[tuple[list[str], float, str]]] = {}
        self.boosters = dict(VaderConstants.BOOSTER_DICT)
        self.negators = CARE_NEGATE if care else VADER_NEGATE
        for idiom, valence in VaderConstants.SPECIAL_CASE_IDIOMS.items():
            self._add_phrase(idiom.split(), float(valence), "idiom")
        if care:
            self.boosters["pretty"] = VaderConstants.B_INCR
            lexicon.pop("pretty", None)
            for term in care_terms():
                if len(term.words) > 1:
                    valence = term.valence if term.valence is not None else 0.0
                    self._add_phrase(list(term.words), valence, term.kind)
                    continue
                word = term.words[0]
                valence = term.valence if term.valence is not None else lexicon.get(word, 0.0)
                self.kind_of[word] = term.kind
                self.source_of[word] = f"care:{term.kind}"
                if valence == 0:
                    lexicon.pop(word, None)
                    self.neutralised.add(word)
                else:
                    lexicon[word] = valence
            for emoji, valence in emoji_valences().items():
                lexicon[emoji] = valence
                self.source_of[emoji] = "emoji"
        for candidates in self.phrases.values():
            candidates.sort(key=lambda c: -len(c[0]))
        self.lexicon = lexicon
        # Words that start a phrase or a rule: looked at closely, every other word is one dict lookup.
        self.special = frozenset(self.phrases) | (EXPECTATIONS | KEEP | EMPATHY | {"why", "like"} if care else frozenset())

    def _add_phrase(self, words: list[str], valence: float, kind: str) -> None:
        self.phrases.setdefault(words[0], []).append((words, valence, kind))

    def score(self, text: str) -> Sentiment:
        result = self.analyse(text)
        return Sentiment(result.score, result.label)

    def label_of(self, score: float) -> str:
        if score >= self.positive_from:
            return "positive"
        if score <= self.negative_from:
            return "negative"
        return "neutral"

    # -- the scan --------------------------------------------------------------------------------

    def _words(self, text: str):
        """Word tokens (punctuation dropped) and, per word, its sentence; which sentences ask."""
        lex = self.lexicon
        care = self.care
        words: list[str] = []
        sentence_of: list[int] = []
        questions: set[int] = set()
        sentence = 0
        in_sentence = 0
        for tok in tokenize(text):
            if tok.isalnum():
                if len(tok) == 1 and not care and tok not in lex:
                    continue
            elif tok in lex or tok.lower() in lex:
                pass
            elif tok[0] == "#" and len(tok) > 1 and care:
                for part in self._hashtag_words(tok[1:]):
                    words.append(part)
                    sentence_of.append(sentence)
                in_sentence += 1
                continue
            elif not any(ch.isalnum() for ch in tok):
                if tok in SENTENCE_ENDS or "?" in tok or "!" in tok:
                    if "?" in tok:
                        questions.add(sentence if in_sentence else sentence - 1)
                    if in_sentence:
                        sentence += 1
                        in_sentence = 0
                continue
            elif len(tok) == 1:
                continue
            words.append(tok)
            sentence_of.append(sentence)
            in_sentence += 1
        return words, sentence_of, questions

    def _hashtag_words(self, body: str) -> list[str]:
        parts = CAMEL.findall(body)
        if len(parts) > 1:
            return parts
        low = body.lower()
        if low in self.lexicon or len(low) < 7:
            return [body]
        for cut in range(len(low) - 3, 3, -1):
            head, tail = low[:cut], low[cut:]
            if head in self.lexicon or tail in self.lexicon:
                return [head, tail]
        return [body]

    def analyse(self, text: str, *, trace: bool = False) -> Analysis:
        """Score one post; with ``trace`` also list every term and rule that moved the score."""
        text = text if isinstance(text, str) else ("" if text is None else str(text))
        care = self.care
        cleaned = clean(text, protected=self.lexicon) if care else clean(text)
        words, sentence_of, questions = self._words(cleaned.text)
        n = len(words)
        lows = [w.lower() for w in words]
        result = Analysis(0.0, "neutral", lows, hits=[] if trace else None)
        if not n:
            return result
        scan = Scan(self, words, lows, sentence_of, questions, trace)
        valences = scan.run()
        if care:
            scan.settle_resolved_sentences()
            scan.damp_phatic_thanks()
            self._count_kinds(result, scan.kinds, valences)
            result.question_sentences = len(questions)
            result.asks = scan.asking_sentences()
            result.second_person = sum(1 for w in lows if w in SECOND_PERSON)
            if (result.failures or result.demands) and not result.resolutions:
                scan.scale(lambda i, v: v > 0, IRONY_POSITIVE, "irony: the post reports an unresolved failure")
        if "but" in lows:
            pivot = lows.index("but")
            scan.scale(lambda i, v: i < pivot, 0.5, "before 'but'")
            scan.scale(lambda i, v: i > pivot, 1.5, "after 'but'")
        total = sum(valences)
        if total:
            emphasis = min(cleaned.text.count("!"), 4) * 0.292
            marks = cleaned.text.count("?")
            if marks > 1:
                emphasis += marks * 0.18 if marks <= 3 else 0.96
            total += emphasis if total > 0 else -emphasis
        compound = max(-1.0, min(1.0, total / math.sqrt(total * total + 15)))
        result.score = round(compound, 4)
        result.label = self.label_of(result.score)
        if care:
            result.strong_positive = sum(1 for v, b in zip(valences, scan.base) if v > 0 and b >= STRONG_POSITIVE)
            result.angry_words = sum(1 for v, w in zip(valences, lows) if v < 0 and w not in SADNESS)
        if trace:
            result.hits = scan.hits()
        return result

    @staticmethod
    def _count_kinds(result: Analysis, kinds, valences) -> None:
        for kind, valence in zip(kinds, valences):
            if kind is None:
                continue
            if kind in ("failure", "rhetorical") and valence < 0:
                result.failures += 1
            elif kind == "demand" and valence < 0:
                result.demands += 1
            elif kind == "resolution" and valence > 0:
                result.resolutions += 1
            elif kind == "gratitude" and valence > 0:
                result.gratitude += 1
            elif kind == "compliment" and valence > 0:
                result.compliments += 1
