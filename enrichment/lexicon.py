"""NLTK data shipped with the project instead of downloaded at run time.

VADER's lexicon comes from the ``vadersentiment`` wheel and is placed as
``sentiment/vader_lexicon.zip`` in the project's own nltk_data folder, which is put on
NLTK's search path (NLTK only loads resources from its data folders).
"""

from __future__ import annotations

import os
import zipfile
from importlib import resources
from pathlib import Path

NLTK_DATA = Path(__file__).resolve().parent / "nltk_data"
VADER_ZIP = NLTK_DATA / "sentiment" / "vader_lexicon.zip"


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
