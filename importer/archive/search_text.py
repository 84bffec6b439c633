"""The text the search index holds, so that words inside Japanese, Chinese and Korean text are found.

FTS5's unicode61 tokenizer makes one token of an unbroken run of CJK letters ("コントローラーの役割とは"),
so no word inside it can be found. The index holds a derived text instead: every CJK run written as
its overlapping two-letter pairs, each pair a token ("コン ント トロ ... とは"), everything else as it
was (words, case-folded, no stemming). A query is rewritten the same way: a CJK word becomes the
phrase of its pairs, which matches where those pairs stand next to each other — the word itself,
anywhere in the run, from two letters up. The pairs are joined by U+001F, a control character
unicode61 treats as a separator and XML cannot carry, so the derived text maps back to the original
(`readable`) and a snippet FTS5 cuts from it can show the original words.

The index is written from Python (archive/search_index.py), which also stores the derived text of
the rows holding CJK, so that the index's content views (schema/fts.sql) are plain SQL any SQLite
client can read. A CJK query typed into such a client must be written in pairs as `match_query`
does ("コントローラー" is "コン ント トロ ロー ーラ ラー" as one phrase).
"""
import re

JOIN = "\x1f"
MARK_OPEN, MARK_CLOSE, ELLIPSIS = "\x02", "\x03", "\x04"  # what snippet() is asked to insert
# Letters unicode61 counts as token characters, in the scripts written without spaces between words:
# Hiragana, Katakana (with ー and the phonetic extensions), Bopomofo, Hangul, the CJK ideographs
# and their marks (々 〆 〇 〻), half-width Katakana. Punctuation (、。「」・) stays a separator.
CJK = ("\u3005-\u3007\u303b\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u3105-\u312f"
       "\u3131-\u318e\u31a0-\u31bf\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97c\uac00-\ud7a3"
       "\uf900-\ufaff\uff66-\uff9d\U00020000-\U0003134f")
CJK_RUN = re.compile(f"[{CJK}]+")
_PIECES = re.compile(f"[{MARK_OPEN}{MARK_CLOSE}{ELLIPSIS}{JOIN}]|[{CJK}]+|[^{MARK_OPEN}{MARK_CLOSE}{ELLIPSIS}{JOIN}{CJK}]+")
_QUERY_BITS = re.compile(r'\s+|(".*?")')
_CONTROLS = re.compile(f"[{MARK_OPEN}{MARK_CLOSE}{ELLIPSIS}{JOIN}]")
_SPECIAL = re.compile(f"[{MARK_OPEN}{MARK_CLOSE}{ELLIPSIS}{JOIN}{CJK}]")


def indexed(text: str | None) -> str | None:
    """The derived text of one column value."""
    if text is None or not _SPECIAL.search(text):  # most text: one scan, returned as it is
        return text
    text = _CONTROLS.sub(" ", text)  # never in XML; kept out so that the derived text maps back
    return CJK_RUN.sub(_pairs, text)


def _pairs(run: re.Match) -> str:
    letters = run.group()
    pairs = [letters[i:i + 2] for i in range(len(letters) - 1)] or [letters]
    return JOIN + JOIN.join(pairs) + JOIN  # apart from Latin letters touching the run, too


def match_query(query: str) -> str:
    """A user's query as an FTS5 MATCH expression against the derived text: each word and each
    "quoted phrase" a phrase of its own (all must match), CJK in pairs. Datasette's escape_fts,
    CJK-aware; FTS5's operators are not interpreted. A query of no words matches nothing (instead
    of being an FTS5 syntax error)."""
    if query.count('"') % 2:
        query += '"'
    bits = [bit.strip('"') for bit in _QUERY_BITS.split(query) if bit and bit != '""']
    return " ".join('"' + indexed(bit).replace('"', '""') + '"' for bit in bits if bit) or '""'  # "": no row


def readable(snippet: str) -> list[tuple[str, bool]]:
    """A snippet or highlight of the derived text back as the original text: (text, marked) parts.
    A pair token stands for its first letter, the last of a run for both; a marked pair marks both
    its letters, since a query's pairs overlap by one."""
    parts: list[tuple[str, bool]] = []
    marked = False
    run: list[tuple[str, bool]] = []
    for piece in _PIECES.findall(snippet):
        if piece == MARK_OPEN or piece == MARK_CLOSE:
            marked = piece == MARK_OPEN
        elif piece == JOIN:
            continue
        elif CJK_RUN.fullmatch(piece):
            run.append((piece, marked))
        else:
            parts += _letters(run)
            run = []
            parts.append(("…" if piece == ELLIPSIS else piece, marked))
    return _merged(parts + _letters(run))


def _letters(run: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """The original letters of one run of pair tokens."""
    letters = []
    for i, (token, marked) in enumerate(run):
        before = i > 0 and run[i - 1][1] and len(run[i - 1][0]) > 1
        letters.append((token[0], marked or before))
        if i == len(run) - 1 and len(token) > 1:
            letters.append((token[1:], marked))
    return letters


def _merged(parts: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    merged: list[tuple[str, bool]] = []
    for text, marked in parts:
        if merged and merged[-1][1] == marked:
            merged[-1] = (merged[-1][0] + text, marked)
        elif text:
            merged.append((text, marked))
    return merged
