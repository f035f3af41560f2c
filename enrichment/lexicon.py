"""Lexicons: NLTK's VADER lexicon (shipped offline) and the project's customer-care additions.

VADER's lexicon comes from the ``vadersentiment`` wheel and is placed as
``sentiment/vader_lexicon.zip`` in the project's own nltk_data folder, which is put on
NLTK's search path (NLTK only loads resources from its data folders). The customer-care
lexicon and the emoji valences are the project's own files under ``enrichment/data``.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

NLTK_DATA = Path(__file__).resolve().parent / "nltk_data"
VADER_ZIP = NLTK_DATA / "sentiment" / "vader_lexicon.zip"
DATA = Path(__file__).resolve().parent / "data"
CARE_LEXICON = DATA / "care_lexicon.tsv"
EMOJI_VALENCE = DATA / "emoji_valence.tsv"
KINDS = frozenset({"failure", "rhetorical", "demand", "resolution", "gratitude", "compliment", "service", "tone"})


def ensure_nltk_data() -> Path:
    """Build the lexicon zip if missing and point NLTK at the project's data folder."""
    if not VADER_ZIP.exists():
        source = resources.files("vaderSentiment").joinpath("vader_lexicon.txt")
        VADER_ZIP.parent.mkdir(parents=True, exist_ok=True)
        tmp = VADER_ZIP.with_suffix(f".{os.getpid()}.tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("vader_lexicon/vader_lexicon.txt", source.read_bytes())
        tmp.replace(VADER_ZIP)
    paths = os.environ.get("NLTK_DATA", "").split(os.pathsep)
    if str(NLTK_DATA) not in paths:
        os.environ["NLTK_DATA"] = os.pathsep.join([str(NLTK_DATA), *[p for p in paths if p]])
    import nltk.data


    if str(NLTK_DATA) not in nltk.data.path:
        nltk.data.path.insert(0, str(NLTK_DATA))
    return NLTK_DATA


@dataclass(frozen=True)
class CareTerm:
    """One line of the care lexicon: a word or phrase, its valence (None keeps VADER's), its kind."""

    words: tuple[str, ...]
    valence: float | None
    kind: str


def vader_lexicon() -> dict[str, float]:
    """NLTK's VADER lexicon, loaded by NLTK's own ``SentimentIntensityAnalyzer``."""
    ensure_nltk_data()
    from nltk.sentiment.vader import SentimentIntensityAnalyzer

    return dict(SentimentIntensityAnalyzer().lexicon)


def _rows(path: Path):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip() and not line.startswith("#"):
            fields = line.split("\t")
            if len(fields) != 3:
                raise ValueError(f"{path.name}:{number}: expected 3 tab-separated fields, got {len(fields)}")
            yield number, fields


def care_terms(path: Path = CARE_LEXICON) -> list[CareTerm]:
    """The customer-care lexicon; a malformed line raises ValueError naming it."""
    terms = []
    for number, (term, valence, kind) in _rows(path):
        if kind not in KINDS:
            raise ValueError(f"{path.name}:{number}: unknown kind {kind!r}")
        value = None if valence == "=" else float(valence)
        if value is not None and not -4 <= value <= 4:
            raise ValueError(f"{path.name}:{number}: valence {value} outside -4..4")
        terms.append(CareTerm(tuple(term.split()), value, kind))
    return terms


def emoji_valences(path: Path = EMOJI_VALENCE) -> dict[str, float]:
    """Emoji -> valence in VADER units."""
    return {emoji: float(valence) for _, (emoji, valence, _name) in _rows(path)}
