"""Contact details in free text: the one rule of what is an e-mail address or a phone number.

The same regular expressions run in Python (failure samples, alerts, logs) and in PostgreSQL (the
dbt macro ``redact_contact_details`` and the gate's ``pii`` check); they use only what both
engines read alike (bracket classes, ``(?:)``, look-ahead and fixed-width look-behind).

- **E-mail**: ``name@domain.tld`` and its obfuscated forms: ``name at domain dot com``,
  ``name [at] domain [dot] com``, ``name(at)domain.com``, ``name @ domain.com`` (any case; the
  last label is 2+ letters).
- **Phone**: a run of 7 or more digits, optionally after ``+`` or ``(``, with separators of any
  length between digits (spaces, tabs, dots, dashes, slashes, parentheses, ``+``). A date
  (``2024-05-01``, ``01/05/2024``, ``1.5.2024``) or a time (``10:30``) ends a run, so one next to
  a phone stays readable; shorter numbers (order refs under 7 digits, prices) are not phones. Any
  other number joined to a phone by separators only is redacted with it.
"""

from __future__ import annotations

import re
from typing import Any

# Between two digits of one phone number (not a line break: a number on the next line is another).
SEPARATOR = r"[ \t.()/+\-–—]"
_DAY = r"(?:0?[1-9]|[12][0-9]|3[01])"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_YEAR = r"(?:19|20)[0-9][0-9]"
# A date or a time of day starting here (not followed by another digit): it ends a phone's run.
DATE = (rf"(?:{_YEAR}[-/.]{_MONTH}[-/.]{_DAY}|{_DAY}[-/.]{_DAY}[-/.]{_YEAR}|(?:[01]?[0-9]|2[0-3]):[0-5][0-9])"
        r"(?![0-9])")
# A run starts where no digit (nor a date's digit and its separator) precedes it and no date begins.
PHONE = (rf"(?<![0-9])(?<![0-9][-/.])[+(]*(?!{DATE})[0-9]"
         rf"(?:[0-9]|{SEPARATOR}+(?!{DATE})[0-9]){{6,}}")

AT = r"(?:\s*@\s*|\s*[\[({<]\s*at\s*[\])}>]\s*|\s+at\s+)"
_WORDS_FOR_DOT = r"\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+"
_WORD_DOT = rf"(?:{_WORDS_FOR_DOT})"
DOT = rf"(?:\.|{_WORDS_FOR_DOT})"
_LOCAL = r"[a-z0-9._%+-]+"
_LABEL = r"[a-z0-9-]+"
# The local part may be spelled with words (jane dot doe at ...). A match starts only at the start
# of a word, and no part of the pattern can match what the next one does: a text is read in
# linear time, not once per position.
_TLD = r"[a-z][a-z]+(?![a-z0-9@]|\.[a-z0-9])"  # the address ends here: not run on into '@' or '.x'
EMAIL = rf"(?<![a-z0-9._%+-]){_LOCAL}(?:{_WORD_DOT}{_LOCAL})*{AT}{_LABEL}(?:{DOT}{_LABEL})*{DOT}{_TLD}"

# What the check compares with customers' phones: separators between digits dropped, then runs.
BETWEEN_DIGITS = rf"(?<=[0-9]){SEPARATOR}+(?=[0-9])"
DIGIT_RUN = r"[0-9]{7,}"
PREFIX_DIGITS = 3

EMAIL_MARK = "[email]"
PHONE_MARK = "[phone]"

_EMAIL_RE = re.compile(EMAIL, re.IGNORECASE)
_PHONE_RE = re.compile(PHONE)
_AT_RE = re.compile(AT, re.IGNORECASE)
_DOT_RE = re.compile(DOT, re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with every e-mail address replaced by ``[email]``, then every phone by ``[phone]``."""
    return _PHONE_RE.sub(PHONE_MARK, _EMAIL_RE.sub(EMAIL_MARK, text))


def redact_values(value: Any) -> Any:
    """``value`` with every string in it (in lists, tuples and dicts too) redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_values(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_values(v) for v in value]
    return value


def emails(text: str) -> list[str]:
    """Every e-mail address in ``text``, obfuscated ones spelled plainly, lower case."""
    return [normal_email(m.group(0)) for m in _EMAIL_RE.finditer(text)]


def normal_email(written: str) -> str:
    """An address as written (``Jane [at] example [dot] com``) spelled plainly (``jane@example.com``)."""
    return _DOT_RE.sub(".", _AT_RE.sub("@", written.lower()))


def phone_keys(digits: str) -> set[str]:
    """What identifies a phone number: all its digits and its last 10 (so ``+1 555 ...``,
    ``1-555-...``, ``001 555 ...`` and ``(555) ...`` are one number)."""
    return {digits, digits[-10:]}


def phone_digit_runs(text: str) -> list[str]:
    """The digits of every phone-like run: the runs the redaction replaces, and the runs of 7+
    digits once every separator between digits is dropped (dates included)."""
    runs = [re.sub(r"[^0-9]", "", m.group(0)) for m in _PHONE_RE.finditer(text)]
    return runs + re.findall(DIGIT_RUN, re.sub(BETWEEN_DIGITS, "", text))


def holds_phone(text: str, digits: str) -> bool:
    """Whether ``text`` writes the phone number whose digits are ``digits``, in any format: a run
    ends with one of its keys, after at most ``PREFIX_DIGITS`` more (a country code, a trunk 0).
    A long identifier that merely contains the digits is not the phone."""
    keys = [k for k in phone_keys(digits) if len(k) >= 7]
    return any(run.endswith(k) and len(run) - len(k) <= PREFIX_DIGITS for run in phone_digit_runs(text) for k in keys)
