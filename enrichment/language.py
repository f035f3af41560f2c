"""A cheap language guess for a post: writing system first, then common function words.

Good enough to tell English posts (the only ones VADER's lexicon reads) from the rest. Returns
an ISO 639-1 code, or None when the post has no letters to judge by.
"""

from __future__ import annotations

import re

# Function words frequent in each language and rare in the others (written for Social360).
FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(["the", "and", "is", "are", "was", "were", "to", "of", "in", "it", "my", "you", "your", "for", "on", "with", "this", "that", "have", "has", "not", "i", "me", "we", "our", "be", "been", "will", "can", "just", "what", "why", "how", "when", "they", "at", "from", "but"]),
    "es": frozenset(["el", "la", "los", "las", "es", "y", "que", "de", "en", "un", "una", "por", "para", "con", "mi", "mis", "tu", "pero", "muy", "ya", "lleva", "nadie", "hola", "gracias", "tienen", "está", "esta", "dos", "semanas", "pedido"]),
    "fr": frozenset(["le", "la", "les", "est", "et", "que", "de", "des", "en", "un", "une", "pour", "avec", "mon", "ma", "mes", "votre", "vous", "mais", "très", "pas", "je", "nous", "bonjour", "merci", "ce", "cette", "est-ce"]),
    "de": frozenset(["der", "die", "das", "ist", "und", "nicht", "ein", "eine", "mit", "mein", "meine", "ihr", "sie", "ich", "wir", "aber", "sehr", "noch", "danke", "für", "auf", "kein", "keine"]),
    "pt": frozenset(["o", "os", "as", "é", "e", "que", "de", "em", "um", "uma", "para", "com", "meu", "minha", "você", "mas", "muito", "não", "obrigado", "olá", "está"]),
    "it": frozenset(["il", "lo", "gli", "è", "e", "che", "di", "in", "un", "una", "per", "con", "mio", "mia", "non", "ma", "molto", "grazie", "ciao", "sono"]),
    "nl": frozenset(["de", "het", "een", "is", "en", "niet", "met", "mijn", "jullie", "maar", "zeer", "nog", "dank", "voor", "op", "geen"]),
}
_SCRIPTS = (  # (first code point, last code point, language)
    (0x3040, 0x30FF, "ja"), (0xAC00, 0xD7AF, "ko"), (0x4E00, 0x9FFF, "zh"), (0x0400, 0x04FF, "ru"),
    (0x0600, 0x06FF, "ar"), (0x0590, 0x05FF, "he"), (0x0E00, 0x0E7F, "th"), (0x0900, 0x097F, "hi"),
    (0x0370, 0x03FF, "el"),
)
_NON_LATIN = re.compile("[" + "".join(f"\\u{first:04x}-\\u{last:04x}" for first, last, _ in _SCRIPTS) + "]")
_LANGUAGES_OF: dict[str, tuple[str, ...]] = {}
for _language, _vocabulary in FUNCTION_WORDS.items():
    for _word in _vocabulary:
        _LANGUAGES_OF[_word] = (*_LANGUAGES_OF.get(_word, ()), _language)


def detect(words: list[str], text: str = "") -> str | None:
    """Language of a post from its lowercase word tokens (and its text, for non-Latin scripts)."""
    if text and not text.isascii() and (letters := _NON_LATIN.findall(text)):
        found: dict[str, int] = {}
        for ch in letters:
            code = ord(ch)
            for first, last, language in _SCRIPTS:
                if first <= code <= last:
                    found[language] = found.get(language, 0) + 1
                    break
        # Kana marks Japanese even when Chinese characters outnumber it.
        return "ja" if "ja" in found else max(found, key=found.get)
    hits: dict[str, int] = {}
    for w in words:
        for language in _LANGUAGES_OF.get(w, ()):
            hits[language] = hits.get(language, 0) + 1
    if hits:
        return max(FUNCTION_WORDS, key=lambda language: hits.get(language, 0))  # a tie goes to English
    return "en" if any(w.isalpha() for w in words) else None
