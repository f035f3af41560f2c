"""Clean and tokenize a social post once, for both sentiment and intent.

Cleaning removes what carries no sentiment of the author's own: @mentions (including the
anonymised ``@115712`` of the twcs data), URLs, anonymisation placeholders such as
``__email__``, support agents' sign-offs (``^MM``, ``/AY``, ``- Paige``) and a last word cut
off by the platform (``as we ass...``). HTML entities, curly apostrophes, emoji variation
selectors and skin tones are normalised. Tokens are NLTK ``TweetTokenizer``'s (emoticons,
hashtags and contractions stay whole).
"""

from __future__ import annotations

import html
import re
from collections.abc import Container
from dataclasses import dataclass

import regex
from nltk.tokenize import TweetTokenizer, casual

_URL = re.compile(r"(?:https?://|www\.)\S+?(?=[.,!?;:'\")\]]*(?:\s|$))")  # trailing punctuation stays
_MENTION = re.compile(r"(?<![\w@])@\w+")
_PLACEHOLDER = re.compile(r"__[A-Za-z]+__")
# An agent's sign-off at the very end of a brand reply: "^MM", "/AY", "*TS", "-AD", "- Paige", "2/2 ^JR".
_SIGN_OFF = re.compile(r"(?:\s+\d/\d)?\s+(?:[\^/*~]|-\s?)[A-Z][A-Za-z.]{0,14}(?:\s+\d/\d)?\s*$")
# A tweet cut off by the platform: "... as we ass... https://t.co/x" (the last word is a fragment).
TRUNCATED_FROM = 120  # characters: only a long tweet is cut off
_TRUNCATED = re.compile(r"\S+(?:\.\.\.|\u2026)\s+https?://\S+\s*$")
_EMOJI_MODIFIERS = re.compile("[\ufe0f\ufe0e\u200d\U0001f3fb-\U0001f3ff]")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})

_tokenizer = TweetTokenizer(preserve_case=True, reduce_len=False, match_phone_numbers=False)
# NLTK's TweetTokenizer pattern (nltk.tokenize.casual.REGEXPS) on the standard-library engine. NLTK runs
# it on the `regex` engine under a wall-clock timeout as a ReDoS backstop, which costs ~5x; posts up to
# FAST_PATH_MAX characters take this path (tokens identical, see tests/test_sentiment_rules.py), longer
# ones go through TweetTokenizer itself with its timeout.
_WORDS = re.compile(f"({'|'.join(casual.REGEXPS)})", re.VERBOSE | re.I | re.UNICODE)
_HANG = re.compile(r"([\W_])\1{3,}")
FAST_PATH_MAX = 2_000
_SPACED_DOTS = re.compile(r"\.[^\S\r\n]+\.")
# Unicode marks (Mn, Mc, Me): `regex` counts them in \w, `re` does not, so a post with one takes
# NLTK's own path. A one-character class cannot backtrack: no timeout needed.
_MARKS = regex.compile(r"\p{M}")

# Punctuation tokens that end a sentence; a sentence ending in "?" is a question.
SENTENCE_ENDS = frozenset({".", "!", "?", "...", "…"})


@dataclass(frozen=True)
class Cleaned:
    """A post after cleaning: the text that is scored and what was removed from it."""

    text: str
    mentions: int
    urls: int
    placeholders: int


def clean(text: str, protected: Container[str] = ()) -> Cleaned:
    """Remove mentions, URLs, placeholders and sign-offs; normalise entities, quotes and emoji.

    A trailing "- Word" is kept when ``word`` is in ``protected`` (a sentiment word, not a name).
    """
    mentions = urls = placeholders = 0
    if "&" in text:
        text = html.unescape(text)
    if "http" in text or "www." in text:
        if len(text) >= TRUNCATED_FROM and (truncated := _TRUNCATED.search(text)):
            text = text[:truncated.start()] + "..."
            urls = 1
        text, more_urls = _URL.subn(" ", text)
        urls += more_urls
    if "@" in text:
        text, mentions = _MENTION.subn(" ", text)
    if "__" in text:
        text, placeholders = _PLACEHOLDER.subn(" ", text)
    text = text.translate(_QUOTES)
    if not text.isascii():
        text = _EMOJI_MODIFIERS.sub("", text)
    tail = text.rstrip()[-32:]
    sign_off = ("^" in tail or "/" in tail or "*" in tail or "~" in tail or "-" in tail) and _SIGN_OFF.search(text)
    if sign_off and sign_off.group().strip(" ^/*~-").split()[0].lower() not in protected:
        text = text[:sign_off.start()]
    return Cleaned(text, mentions, urls, placeholders)


def tokenize(text: str) -> list[str]:
    """NLTK TweetTokenizer tokens, case preserved (VADER reads ALL CAPS as emphasis)."""
    if len(text) > FAST_PATH_MAX or (not text.isascii() and _MARKS.search(text)):
        return _tokenizer.tokenize(text)
    if "&" in text:
        text = casual._replace_html_entities(text)
    if _SPACED_DOTS.search(text):  # ". . ." is one token across the spaces
        return _WORDS.findall(_HANG.sub(r"\1\1\1", text))
    tokens: list[str] = []
    for chunk in text.split():
        if chunk.isalpha():  # letters only: the pattern yields the chunk itself
            tokens.append(chunk)
        else:
            tokens += _WORDS.findall(_HANG.sub(r"\1\1\1", chunk))
    return tokens


def tweet_tokenize(text: str) -> list[str]:
    """NLTK's TweetTokenizer as NLTK runs it (the reference for :func:`tokenize`)."""
    return _tokenizer.tokenize(text)
