"""Chunking: long texts split at sentence boundaries (sentencex) into windows of the model's tokens, with overlap."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pgai_magic.embed.base import Embedder
from pgai_magic.errors import ConfigError

__all__ = ["DEFAULT_CHUNK_TOKENS", "Chunk", "ChunkSizes", "chunk_sizes", "chunk_texts", "sentence_language", "split"]

DEFAULT_CHUNK_TOKENS = 64  # tokens per small chunk (bench/bench_retrieval.py and BENCHMARKS.md: 64, 96, 128, 254)
DEFAULT_OVERLAP = 32  # tokens shared by consecutive chunks (at most a quarter of the chunk)
# full-text configurations of PostgreSQL -> the language codes of the sentence splitter (others: English rules,
# which also end sentences at the CJK full stops 。！？)
_LANGUAGES = {
    "arabic": "ar", "armenian": "hy", "basque": "eu", "catalan": "ca", "danish": "da", "dutch": "nl",
    "english": "en", "finnish": "fi", "french": "fr", "german": "de", "greek": "el", "hindi": "hi",
    "hungarian": "hu", "indonesian": "id", "irish": "ga", "italian": "it", "lithuanian": "lt", "nepali": "ne",
    "norwegian": "no", "portuguese": "pt", "romanian": "ro", "russian": "ru", "serbian": "sr", "spanish": "es",
    "swedish": "sv", "tamil": "ta", "turkish": "tr", "yiddish": "yi",
}  # fmt: skip


@dataclass(frozen=True)
class Chunk:
    """One window of a text: its ordinal, its character range, and its text (`whole`: the text was not split)."""

    number: int
    start: int
    end: int
    text: str
    whole: bool


@dataclass(frozen=True)
class ChunkSizes:
    """Tokens per chunk and tokens shared by neighbours; `size` None: the embedder cannot count tokens.
    `window` (the model's window, when larger than `size`): a long text also gets chunks of that many tokens."""

    size: int | None
    overlap: int
    window: int | None = None


def sentence_language(text_search: str) -> str:
    """The sentence splitter's language code for a full-text configuration ("english" -> "en"; unknown: "en")."""
    return _LANGUAGES.get(text_search.rsplit(".", 1)[-1].strip('"').lower(), "en")


def chunk_sizes(embedder: Embedder, size: int | None = None, overlap: int | None = None) -> ChunkSizes:
    """The chunk sizes for `embedder`: `size` defaults to DEFAULT_CHUNK_TOKENS (its window if smaller), `overlap`
    to min(32, size // 4).

    Raises ConfigError for a size over the window (the model would cut the chunk: silent truncation),
    below 8 tokens, or an overlap not smaller than half the size.
    """
    window = getattr(embedder, "max_tokens", None)
    if window is None or not hasattr(embedder, "token_spans"):
        if size is not None or overlap is not None:
            raise ConfigError(f"embedder {embedder.name!r} cannot count tokens, so it cannot split long texts")
        return ChunkSizes(None, 0)
    chosen = min(DEFAULT_CHUNK_TOKENS, window) if size is None else size
    if not 8 <= chosen <= window:
        raise ConfigError(
            f"--chunk-tokens {chosen} must be between 8 and {window}, the window of {embedder.name!r} "
            "(a longer chunk would be cut by the model)"
        )
    shared = min(DEFAULT_OVERLAP, chosen // 4) if overlap is None else overlap
    if not 0 <= shared < chosen / 2:
        raise ConfigError(f"--chunk-overlap {shared} must be at least 0 and less than half of {chosen} tokens")
    return ChunkSizes(chosen, shared, window if window > chosen else None)


def _windows(first: int, last: int, size: int, overlap: int) -> list[tuple[int, int]]:
    """Token ranges [a, b) of `size` tokens over [first, last), `overlap` tokens shared by neighbours."""
    out: list[tuple[int, int]] = []
    for a in range(first, last, size - overlap):
        out.append((a, min(a + size, last)))
        if a + size >= last:
            break
    return out


def _units(
    text: str, spans: Sequence[tuple[int, int]], size: int, overlap: int, language: str
) -> list[tuple[int, int]]:
    """Token ranges [a, b) of the sentences of `text` (sentencex), each at most `size` tokens (a longer sentence is
    cut into windows); a token belongs to the sentence its first character is in."""
    from sentencex import get_sentence_boundaries

    ends = [int(s["end_index"]) for s in get_sentence_boundaries(language, text) if str(s["text"]).strip()]
    units: list[tuple[int, int]] = []
    token = 0
    for end in ends:
        first = token
        while token < len(spans) and spans[token][0] < end:
            token += 1
        if token > first:
            units += _windows(first, token, size, overlap) if token - first > size else [(first, token)]
    if token < len(spans):  # text after the last boundary the splitter reported
        units += _windows(token, len(spans), size, overlap)
    return units


def _pack(
    text: str, spans: Sequence[tuple[int, int]], units: list[tuple[int, int]], size: int, overlap: int
) -> list[Chunk]:
    """Consecutive `units` (token ranges) packed into chunks of at most `size` tokens; each chunk starts with
    the last units of the one before it that fit in `overlap` tokens."""
    chunks: list[Chunk] = []
    first = 0
    while first < len(units):
        last = first  # units[first:last + 1] go into this chunk
        while last + 1 < len(units) and units[last + 1][1] - units[first][0] <= size:
            last += 1
        start, end = spans[units[first][0]][0], spans[units[last][1] - 1][1]
        chunks.append(Chunk(len(chunks), start, end, text[start:end], False))
        if last == len(units) - 1:
            break
        following = last + 1  # the next chunk starts with the sentences of this one that fit in `overlap`
        while following - 1 > first and units[last][1] - units[following - 1][0] <= overlap:
            following -= 1
        first = following
    return chunks


def split(
    text: str,
    spans: Sequence[tuple[int, int]],
    size: int,
    overlap: int,
    language: str = "en",
    window: int | None = None,
) -> list[Chunk]:
    """Chunks of whole sentences of `text` (character spans `spans` of its tokens) of at most `size` tokens; each
    chunk repeats the last sentences of the one before it, up to `overlap` tokens. A sentence longer than `size`
    tokens is cut into windows of `size` tokens sharing `overlap`. A text of at most `size` tokens is one chunk.
    With `window` (larger than `size`), the same sentences are also packed into chunks of up to `window` tokens
    (the whole text when it fits), numbered first: a question about the gist of a passage matches those, one
    about a single sentence matches the small ones. Sentences: sentencex's rules for `language` (an ISO 639-1
    code), Wikimedia's segmenter for ~300 languages.
    """
    if len(spans) <= size:
        return [Chunk(0, 0, len(text), text, True)]
    units = _units(text, spans, size, overlap, language)
    small = _pack(text, spans, units, size, overlap)
    if window is None or window <= size:
        return small
    large = _pack(text, spans, units, window, overlap)
    return [Chunk(n, c.start, c.end, c.text, False) for n, c in enumerate(large + small)]


def _surely_short(text: str, size: int) -> bool:
    """True when `text` cannot exceed `size` tokens: a token covers at least one byte, plus a word marker."""
    return len(text.encode("utf-8")) + len(text.split()) <= size


def chunk_texts(embedder: Embedder, texts: Sequence[str], sizes: ChunkSizes, language: str = "en") -> list[list[Chunk]]:
    """The chunks of each text (one whole chunk for texts within `sizes.size` tokens; `language`: see split)."""
    out = [[Chunk(0, 0, len(t), t, True)] for t in texts]
    if sizes.size is None:
        return out
    size = sizes.size
    longer = [i for i, t in enumerate(texts) if not _surely_short(t, size)]
    if longer:
        spans = embedder.token_spans([texts[i] for i in longer])  # type: ignore[attr-defined]
        for i, text_spans in zip(longer, spans):
            out[i] = split(texts[i], text_spans, size, sizes.overlap, language, sizes.window)
    return out
