"""German-aware text folding for search.

Stored search columns and user queries are folded the same way, so that "führerschein",
"Fuehrerschein" and "FÜHRERSCH" all match "Führerschein …" with a plain substring comparison
(which every database does fast on the catalogue's size, and which needs no extension).
"""

import re
import unicodedata

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss"})
_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case, spell umlauts as ae/oe/ue/ss, drop other accents and squeeze white space."""
    lowered = text.casefold().translate(_UMLAUTS)
    decomposed = unicodedata.normalize("NFKD", lowered)
    without_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACE.sub(" ", without_marks).strip()


def search_terms(query: str) -> list[str]:
    """Split a user's query into folded terms; every term must match (AND)."""
    return [term for term in fold(query).split(" ") if term]
