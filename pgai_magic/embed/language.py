"""Languages: those an embedding model was trained on (its model card) and those texts are written in (py3langid)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

__all__ = ["MULTILINGUAL", "detect_languages", "language_warning", "model_languages"]

MULTILINGUAL = "multilingual"
_MIN_LETTERS = 4  # texts with fewer letters are not classified (too short to tell)


def model_languages(folder: str | Path | None) -> tuple[str, ...] | None:
    """The `language:` of the model card (README.md front matter) in `folder`, as lowercase ISO 639-1 codes
    ("multilingual" kept as is); None when there is no card or it names no language.

    Source: the Hugging Face model card metadata (huggingface_hub.metadata_load).
    """
    if folder is None:
        return None
    card = Path(folder) / "README.md"
    if not card.is_file():
        return None
    from huggingface_hub import metadata_load

    try:
        metadata = metadata_load(card) or {}
    except Exception:  # noqa: BLE001 - a card whose front matter is not YAML says nothing about languages
        return None
    found = metadata.get("language")
    names = [found] if isinstance(found, str) else list(found or [])
    codes = tuple(dict.fromkeys(str(n).strip().lower().replace("_", "-").split("-")[0] for n in names if n))
    return codes or None


def detect_languages(texts: Sequence[str]) -> Counter[str]:
    """How many of `texts` are in each language (ISO 639-1 codes, py3langid's 97 languages); texts with fewer
    than 4 letters are left out. Source: Lui & Baldwin (2012), langid.py, as modernised by py3langid."""
    import py3langid

    counts: Counter[str] = Counter()
    for text in texts:
        if sum(ch.isalpha() for ch in text[:2000]) >= _MIN_LETTERS:
            counts[str(py3langid.classify(text[:2000])[0])] += 1
    return counts


def language_warning(model: str, languages: tuple[str, ...] | None, texts: Sequence[str]) -> str | None:
    """A warning when most of `texts` (a sample of a column) are in languages `model` was not trained on
    (`languages`, from model_languages: None or "multilingual" never warn); None otherwise."""
    if not languages or MULTILINGUAL in languages:
        return None
    counts = detect_languages(texts)
    total = sum(counts.values())
    foreign = {lang: n for lang, n in counts.items() if lang not in languages}
    if not total or sum(foreign.values()) * 2 <= total:
        return None
    shown = ", ".join(f"{lang} {n}" for lang, n in sorted(foreign.items(), key=lambda kv: -kv[1])[:3])
    return (
        f"{sum(foreign.values())} of {total} sampled texts are not in {'/'.join(languages)}, the language(s) "
        f"{model} was trained on ({shown}): similar will rank them poorly; embed with a multilingual model "
        "(--model FOLDER, see docs/embeddings.md)"
    )
