"""One pass over a post's words: VADER's per-word valence and modifiers, then the care rules.

:class:`Scan` is used by :class:`enrichment.sentiment.SentimentModel`, which builds the lookup
tables it reads; every modifier it applies is recorded for ``Scorer.explain``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from enrichment.care_rules import (
    COMPACT_DURATION,
    CONDITIONALS,
    DESIRES,
    ELONGATED,
    EMPATHY,
    EMPATHY_NEGATIVE,
    EMPATHY_SPAN,
    EXPECTATION_NEEDS_NEXT,
    EXPECTATION_NEGATE,
    EXPECTATIONS,
    FAILED_EXPECTATION,
    FIRST_PERSON_OWNED,
    HYPOTHETICAL,
    INVITATIONS,
    KEEP,
    LIKE_SUBJECTS,
    MIN_UNMARKED_QUESTION,
    NOT_YET,
    NUMBER,
    NUMBER_WORDS,
    PERSONAL,
    PHATIC_THANKS,
    PROCEDURAL_STARTS,
    QUESTION_OPENINGS,
    QUESTION_POSITIVE,
    QUESTION_STARTS,
    RECURRING,
    REQUESTS,
    RESOLVED_NEGATIVE,
    TIME_UNITS,
    WAIT_CONTEXT,
    WAITING_TIME,
    WANTED_FIX,
    WHY_AFTER,
    WHY_QUESTION,
    VaderConstants,
)

if TYPE_CHECKING:
    from enrichment.sentiment import SentimentModel


def is_waiting_time(lows: list[str], i: int) -> bool:
    """'2 hours', 'an hour', '45mins' (not 'every five minutes')."""
    low = lows[i]
    if low in TIME_UNITS:
        if not i or not (lows[i - 1] in NUMBER_WORDS or NUMBER.match(lows[i - 1])):
            return False
        return not (i > 1 and lows[i - 2] == "every")
    return bool(COMPACT_DURATION.match(low)) and not (i and lows[i - 1] == "every")


def elongated(lex: dict[str, float], low: str) -> tuple[float, str]:
    """Valence of a stretched word ("goooood" -> "good"), trying double then single letters."""
    for repl in (r"\1\1", r"\1"):
        shorter = ELONGATED.sub(repl, low)
        if shorter in lex:
            return lex[shorter], shorter
    return 0.0, low


_NOTHING = (0.0, None, None, None, None)


class Scan:
    """One pass over a post's words: each word's valence, its kind, and the rules that moved it."""

    def __init__(self, model: SentimentModel, words, lows, sentence_of, questions, trace: bool) -> None:
        self.m = model
        self.words = words
        self.lows = lows
        self.sentence_of = sentence_of
        self.questions = questions
        self.n = n = len(words)
        self.valences = [0.0] * n
        self.kinds: list[str | None] = [None] * n
        self.base = [0.0] * n  # valence before any modifier
        self.consumed = [False] * n  # inside a matched phrase: not a negator or booster of later words
        self.trace = trace
        self._hit_of: dict[int, dict] = {}
        self._notes: list[dict] = []
        self.skip_until = -1
        self._asking: int | None = None
        caps = sum(1 for w in words if w.isupper())
        self.is_cap_diff = 0 < caps < n
        self.hypothetical: set[int] = set()
        self.first_of: dict[int, int] = {}
        self.personal: set[int] = set()
        self.waiting = False
        self.elongated = False
        if model.care:
            self.elongated = ELONGATED.search(" ".join(lows)) is not None
            self.waiting = not WAIT_CONTEXT.isdisjoint(lows)
            owned: set[int] = set()
            for i, low in enumerate(lows):
                s = sentence_of[i]
                self.first_of.setdefault(s, i)
                if low in PERSONAL:
                    self.personal.add(s)
                    if low in FIRST_PERSON_OWNED:
                        owned.add(s)
            for s in questions:
                first = self.first_of.get(s)
                if first is not None and lows[first] in PROCEDURAL_STARTS and s not in owned:
                    self.hypothetical.add(s)

    def run(self) -> list[float]:
        care = self.m.care
        lows = self.lows
        sentence_of = self.sentence_of
        boosters = self.m.boosters
        special = self.m.special
        lex = self.m.lexicon
        words = self.words
        n = self.n
        # Unknown words need a closer look only for waiting times, elongations or a trace.
        look_at_unknown = (care and (self.waiting or self.elongated)) or self.trace
        empathy_until = -1
        conditional_sentence = -1
        previous_sentence = 0
        for i in range(n):
            low = lows[i]
            if care:
                s = sentence_of[i]
                if low in CONDITIONALS:
                    conditional_sentence = s
                if low == "but" or s != previous_sentence:
                    empathy_until = -1
                    previous_sentence = s
            if i <= self.skip_until:
                continue
            if low not in special and low not in lex and not look_at_unknown and words[i] not in lex:
                continue  # the common case: a word no table or rule knows
            if low in boosters or (low == "kind" and i + 1 < n and lows[i + 1] == "of"):
                continue
            s = sentence_of[i]
            valence, kind, label, source, rule = self._lookup(i)
            if care and low in EMPATHY and not (i + 1 < n and (lows[i + 1] == "but" or lows[i + 1:i + 3] == ["to", "say"])):
                empathy_until = i + EMPATHY_SPAN
            if valence == 0.0 and kind is None:
                if self.trace and (low in self.m.neutralised or rule):
                    self._notes.append({"term": label or low, "valence": 0.0,
                                        "source": rule and "rule" or self.m.source_of.get(low, "care"),
                                        "rules": [rule or "neutralised"]})
                continue
            self.base[i] = valence
            modifiers: list[str] = [rule] if rule else []
            if valence and rule is None and not (care and self.consumed[i] and source != "vader:idiom"):
                # A care phrase is read as a unit: "without asking" is not undone by a "never" before it.
                valence = self._vader_modifiers(i, valence, modifiers)
            if care:
                if kind == "resolution" and valence > 0:
                    valence, kind = self._resolution_claimed(i, valence, modifiers)
                if valence > 0 and s in self.questions:
                    valence *= QUESTION_POSITIVE
                    modifiers.append("in a question")
                elif valence > 0 and s == conditional_sentence:
                    valence *= HYPOTHETICAL
                    modifiers.append("hypothetical")
                elif valence < 0 and kind != "rhetorical" and source != "emoji" and low[0].isalpha():
                    if i <= empathy_until:
                        valence *= EMPATHY_NEGATIVE
                        modifiers.append("after an apology")
                        kind = None if kind in ("failure", "demand") else kind
                    elif s == conditional_sentence or s in self.hypothetical:
                        valence *= HYPOTHETICAL
                        modifiers.append("hypothetical")
                        kind = None if kind in ("failure", "demand") else kind
            self.valences[i] = valence
            self.kinds[i] = kind
            if self.trace:
                self._hit_of[i] = {"term": label, "valence": valence, "source": source, "rules": modifiers}
        return self.valences

    def _lookup(self, i: int):
        """(valence, kind, label, source, rule) of the word at i, or of the phrase that starts there."""
        m = self.m
        lows = self.lows
        low = lows[i]
        lex = m.lexicon
        if low in m.special:
            candidates = m.phrases.get(low)
            if candidates:
                for phrase, valence, kind in candidates:
                    end = i + len(phrase)
                    if lows[i:end] == phrase:
                        for j in range(i, end):
                            self.consumed[j] = True
                        self.skip_until = end - 1
                        source = "vader:idiom" if kind == "idiom" else f"care:{kind}"
                        return valence, kind, " ".join(phrase), source, None
            if m.care:
                if low in EXPECTATIONS and (negator := self._expectation_negator(i)) >= 0 and (
                        low not in EXPECTATION_NEEDS_NEXT
                        or (i + 1 < self.n and lows[i + 1] in EXPECTATION_NEEDS_NEXT[low])):
                    label = " ".join(lows[negator:i + 1])
                    return FAILED_EXPECTATION, "failure", label, "rule", "failed expectation"
                if low in KEEP and i + 1 < self.n and lows[i + 1].endswith("ing") and lows[i + 1] not in lex:
                    self.consumed[i] = self.consumed[i + 1] = True
                    self.skip_until = i + 1
                    return RECURRING, "failure", f"{low} {lows[i + 1]}", "rule", "recurring problem"
                if low == "why" and self._complaining_why(i):
                    return WHY_QUESTION, "rhetorical", "why ...", "rule", "why-question at the brand"
                if low == "like" and not (i and lows[i - 1] in LIKE_SUBJECTS):
                    return 0.0, None, "like", "rule", "'like' not as a verb of liking"
        valence = lex.get(low)
        if valence is not None:
            return valence, m.kind_of.get(low), low, m.source_of.get(low, "vader"), None
        word = self.words[i]
        if word is not low and word in lex:
            return lex[word], None, word, m.source_of.get(word, "vader"), None
        if m.care:
            if self.waiting and (low in TIME_UNITS or low[0].isdigit()) and is_waiting_time(lows, i):
                label = low if low[0].isdigit() else f"{lows[i - 1]} {low}"
                return WAITING_TIME, "failure", label, "rule", "waiting time"
            if self.elongated and len(low) > 3 and ELONGATED.search(low):
                valence, base = elongated(lex, low)
                if valence:
                    return valence, m.kind_of.get(base), base, m.source_of.get(base, "vader"), None
        return _NOTHING

    def _vader_modifiers(self, i: int, valence: float, modifiers: list[str]) -> float:
        """VADER's per-word modifiers as NLTK applies them: caps, boosters, negation, 'least'.

        With the care rules on, they stop at the sentence boundary and words inside a matched
        phrase modify nothing ("can't recommend enough" does not negate "fantastic")."""
        care = self.m.care
        lex = self.m.lexicon
        boosters = self.m.boosters
        words, lows = self.words, self.lows
        if self.is_cap_diff and words[i].isupper():
            valence += VaderConstants.C_INCR if valence > 0 else -VaderConstants.C_INCR
            modifiers.append("ALL CAPS")
        sentence = self.sentence_of[i]
        for back in (1, 2, 3):
            j = i - back
            if j < 0 or (care and (self.sentence_of[j] != sentence)):
                break
            prev = lows[j]
            if prev in lex or (care and self.consumed[j]):
                continue
            scalar = boosters.get(prev, 0.0)
            if scalar:
                if valence < 0:
                    scalar = -scalar
                if self.is_cap_diff and words[j].isupper():
                    scalar += VaderConstants.C_INCR if valence > 0 else -VaderConstants.C_INCR
                valence += scalar * (1.0, 0.95, 0.9)[back - 1]
                modifiers.append(f"booster '{prev}'")
            if back == 2 and prev == "never" and lows[i - 1] in ("so", "this"):
                valence *= 1.5
            elif back == 3 and ((prev == "never" and lows[i - 2] in ("so", "this")) or lows[i - 1] in ("so", "this")):
                valence *= 1.25
            elif self._negates(prev):
                valence *= VaderConstants.N_SCALAR
                modifiers.append(f"negated by '{prev}'")
        if i > 0 and lows[i - 1] == "least" and (i < 2 or lows[i - 2] not in ("at", "very")):
            valence *= VaderConstants.N_SCALAR
            modifiers.append("negated by 'least'")
        return valence

    def _negates(self, low: str) -> bool:
        return low in self.m.negators or "n't" in low

    def _expectation_negator(self, i: int) -> int:
        """Index of a negator up to three words before, in the same sentence with no "if" or
        "hesitate" before it; -1 if none."""
        s = self.sentence_of[i]
        negator = -1
        j = i - 1
        while j >= 0 and self.sentence_of[j] == s:
            prev = self.lows[j]
            if prev in INVITATIONS or prev in CONDITIONALS:
                return -1
            if j >= i - 3 and negator < 0 and (prev in EXPECTATION_NEGATE or "n't" in prev):
                negator = j
            j -= 1
        return negator

    def _complaining_why(self, i: int) -> bool:
        s = self.sentence_of[i]
        opens = self.first_of.get(s) == i or (i and self.lows[i - 1] in WHY_AFTER)
        return bool(opens) and s in self.personal

    def _resolution_claimed(self, i: int, valence: float, modifiers: list[str]):
        """A fix that is wanted ("I want this fixed") is a demand; one promised ("we'll get this
        sorted") is not yet a fix."""
        s = self.sentence_of[i]
        lows = self.lows
        for j in range(i - 1, -1, -1):
            if self.sentence_of[j] != s:
                break
            if lows[j] in DESIRES:
                modifiers.append(f"wanted ('{lows[j]}')")
                return WANTED_FIX, "demand"
            if j >= i - 2 and (lows[j] in NOT_YET or lows[j].endswith("'ll")):
                modifiers.append(f"not done yet ('{lows[j]}')")
                return 0.0, None
        return valence, "resolution"

    def settle_resolved_sentences(self) -> None:
        """In a sentence that reports a fix, the problem it names no longer counts as open."""
        resolved = {self.sentence_of[i] for i, kind in enumerate(self.kinds) if kind == "resolution"}
        if not resolved:
            return
        for i, valence in enumerate(self.valences):
            if valence < 0 and self.sentence_of[i] in resolved:
                self.valences[i] = valence * RESOLVED_NEGATIVE
                if self.kinds[i] in ("failure", "demand", "rhetorical"):
                    self.kinds[i] = None
                if self.trace and i in self._hit_of:
                    self._hit_of[i]["rules"].append("in a sentence reporting the fix")

    def damp_phatic_thanks(self) -> None:
        """Thanks next to a request or a question ("Thanks! Does distance matter?", "please DM us. Thanks")
        is politeness, not praise."""
        if "gratitude" not in self.kinds:
            return
        if not (self.questions or self.asking_sentences() or not REQUESTS.isdisjoint(self.lows)):
            return
        for i, kind in enumerate(self.kinds):
            if kind == "gratitude" and self.valences[i] > 0:
                self.valences[i] *= PHATIC_THANKS
                if self.trace and i in self._hit_of:
                    self._hit_of[i]["rules"].append("thanks next to a request or question")

    def asking_sentences(self) -> int:
        """Sentences that ask: ending in "?" or opening with a question word ("can you ...", "have you ...")."""
        if self._asking is None:
            self._asking = self._count_asking()
        return self._asking

    def _count_asking(self) -> int:
        count = len(self.questions)
        lows = self.lows
        for s, first in self.first_of.items():
            if s in self.questions:
                continue
            end = first
            while end + 1 < self.n and self.sentence_of[end + 1] == s:
                end += 1
            if end - first + 1 >= MIN_UNMARKED_QUESTION and (
                    lows[first] in QUESTION_STARTS or tuple(lows[first:first + 2]) in QUESTION_OPENINGS):
                count += 1
        return count

    def scale(self, predicate, factor: float, note: str) -> None:
        for i, valence in enumerate(self.valences):
            if valence and predicate(i, valence):
                self.valences[i] = valence * factor
                if self.trace and i in self._hit_of:
                    self._hit_of[i]["rules"].append(note)

    def hits(self) -> list[dict]:
        for i, hit in self._hit_of.items():
            hit["valence"] = round(self.valences[i], 3)
        return [self._hit_of[i] for i in sorted(self._hit_of)] + self._notes
