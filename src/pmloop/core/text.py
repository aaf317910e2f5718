"""Chinese and English text → search terms. Pure functions over jieba (bundled dictionary, offline).

Shared by search (``pmloop.search``) and similarity (``pool/similarity.py``). Nothing here
touches the database or Django.

The pipeline for a text, in this order:

1. ``normalise``: Unicode NFKC (full-width ``ＡＢＣ１２３，`` becomes ``ABC123,``; ``ﬁ`` becomes
   ``fi``), then Latin letters lose their accents (``café`` → ``cafe``).
2. jieba cuts it (``lcut_for_search``: words plus the dictionary words inside longer words,
   e.g. ``中华人民共和国`` → ``中华 华人 人民 共和 共和国 中华人民共和国``).
3. Each piece is lower-cased and split into runs of letters and digits (Unicode ``L*`` and
   ``N*``): whitespace and punctuation disappear, ``e-mail`` gives ``e`` and ``mail``,
   ``v1.2`` gives ``v1`` and ``2``. A run longer than ``MAX_TOKEN_CHARS`` is dropped.
4. Stopwords (a short list of Chinese particles and English function words) are dropped.
5. English plurals are folded with Harman's S-stemmer (``permissions`` → ``permission``,
   ``policies`` → ``policy``); nothing else is stemmed.

Every term is therefore a run of letters and digits, lower-case, without accents: SQLite's
FTS5 ``unicode61`` tokenizer and PostgreSQL's ``simple`` text-search configuration both read
such a term back as exactly one term, so the two databases match the same documents.

``index_terms`` adds, for search, every pair of adjacent CJK characters that jieba did not
produce as a word, because jieba sometimes cuts across a word (``群组成员`` → ``群 组成 成员
组成员``: no ``群组``). ``query_terms`` cuts a query into words and turns each CJK word of three
or more characters into its pairs, so a two-character (or longer) Chinese word that occurs in
a text is always found, however jieba cut that text.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata

import jieba

jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict … Loading model cost …" on stderr

MAX_TOKEN_CHARS = 64
"""Longer runs (hashes, base64, a pasted blob) are dropped: nobody searches for them, and
PostgreSQL refuses to index words above 2 KB."""

MAX_QUERY_CHARS = 200
"""A query is cut to this many characters before tokenising (bounds the cost of hostile input)."""

MAX_QUERY_TERMS = 32
"""At most this many distinct terms of a query are used (all ANDed)."""

# Single-character Chinese function words (particles, copula, conjunctions, common
# prepositions). Only a whole token is dropped: 目的, 得到, 地图, 在线 and 和平 stay, because
# jieba keeps them as words.
STOPWORDS_ZH = frozenset(
    {
        "的",
        "地",
        "得",
        "了",
        "着",
        "过",
        "是",
        "在",
        "和",
        "与",
        "及",
        "或",
        "而",
        "也",
        "都",
        "就",
        "呢",
        "吗",
        "吧",
        "啊",
        "呀",
        "之",
        "其",
        "按",
        "对",
        "把",
        "被",
        "给",
        "从",
        "向",
        "将",
        "为",
        "以",
        "于",
        "等",
    }
)
# English function words. Negations (not, no) and "it" (IT) are kept on purpose.
STOPWORDS_EN = frozenset(
    {
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "from",
        "with",
        "and",
        "or",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "this",
        "that",
        "these",
        "those",
        "as",
    }
)
STOPWORDS = STOPWORDS_ZH | STOPWORDS_EN

_WORD_RE = re.compile(r"[^\W_]+")  # a run of Unicode letters and digits (categories L*, N*)

# CJK: Han (URO, extension A, compatibility ideographs, extensions B+), kana, Hangul syllables.
_CJK_CLASS = (
    "\u3040-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
_CJK_RUN_RE = re.compile(f"[{_CJK_CLASS}]+")
_ALL_CJK_RE = re.compile(f"[{_CJK_CLASS}]+\\Z")


def _latin_fold_table() -> dict[int, str]:
    """Accented Latin letter → its letters without the accent (é → e, Ǆ → DŽ → DZ)."""
    table: dict[int, str] = {}
    for start, end in ((0x00C0, 0x024F), (0x1E00, 0x1EFF)):
        for cp in range(start, end + 1):
            ch = chr(cp)
            bare = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
            if bare != ch:
                table[cp] = bare
    return table


_LATIN_FOLD = _latin_fold_table()

_warm_lock = threading.Lock()
_warmed = False


def warm_up() -> None:
    """Load jieba's dictionary now (about 0.7 s from its cache, 1–2 s the first time).

    Call once at start-up, not per request; later calls return at once. Without it the
    first tokenising call pays the cost.
    """
    global _warmed
    if _warmed:
        return
    with _warm_lock:
        if not _warmed:
            jieba.initialize()
            _warmed = True


def normalise(text: str) -> str:
    """NFKC (full-width → half-width, compatibility forms → plain) and Latin accents removed."""
    return unicodedata.normalize("NFKC", text or "").translate(_LATIN_FOLD)


def is_cjk(term: str) -> bool:
    """True when every character of ``term`` is a CJK character (Han, kana, Hangul)."""
    return bool(term) and _ALL_CJK_RE.match(term) is not None


def s_stem(word: str) -> str:
    """Harman's S-stemmer, for ASCII words of 4+ letters: plural → singular, nothing else.

    ``permissions`` → ``permission``, ``policies`` → ``policy``, ``messages`` → ``message``;
    ``status``, ``access``, ``does`` unchanged. Known misses: ``boxes`` → ``boxe`` (≠ ``box``).
    """
    if len(word) < 4 or not word.isascii() or not word.isalpha():
        return word
    if word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if word.endswith("s") and not word.endswith(("us", "ss")):
        return word[:-1]
    return word


def _terms_of_piece(piece: str, *, keep_stopwords: bool, stem: bool):
    for match in _WORD_RE.finditer(piece.lower()):
        word = match.group()
        if len(word) > MAX_TOKEN_CHARS:
            continue
        if not keep_stopwords and word in STOPWORDS:
            continue
        yield s_stem(word) if stem else word


def tokens(text: str, *, keep_stopwords: bool = False, stem: bool = True) -> list[str]:
    """The terms of ``text``, in order, repeats kept (jieba ``lcut_for_search``; see the module doc).

    >>> tokens("需要按角色配置群组的权限")
    ['需要', '角色', '配置', '群组', '权限']
    >>> tokens("Role-based Permissions，ＡＰＩ！")
    ['role', 'based', 'permission', 'api']
    """
    norm = normalise(text)
    if not norm.strip():
        return []
    out: list[str] = []
    for piece in jieba.lcut_for_search(norm):
        out.extend(_terms_of_piece(piece, keep_stopwords=keep_stopwords, stem=stem))
    return out


def token_string(text: str) -> str:
    """``tokens(text)`` joined by single spaces: the form stored in a database column."""
    return " ".join(tokens(text))


def cjk_pairs(word: str) -> list[str]:
    """Adjacent character pairs: ``管理系统`` → ``['管理', '理系', '系统']``."""
    return [word[i : i + 2] for i in range(len(word) - 1)]


def index_terms(text: str) -> list[str]:
    """What search stores for ``text``: ``tokens(text)``, then for each run of CJK characters
    every pair of adjacent characters and the run's last character, when not already a term.

    The pairs make any Chinese word of two or more characters findable even where jieba cut
    the text across it (``群组成员上限`` gives jieba ``群 组成 成员 组成员 上限``; the pairs add
    ``群组 员上``). With the last character, every character of a run starts some term, so a
    one-character query (matched as a prefix) finds every text that contains it.
    """
    words = tokens(text)
    seen = set(words)
    extra: list[str] = []
    runs = (w for r in _CJK_RUN_RE.findall(normalise(text).lower()) for w in _WORD_RE.findall(r))
    for run in runs:
        for term in (*cjk_pairs(run), run[-1]):
            if term not in seen and term not in STOPWORDS:
                seen.add(term)
                extra.append(term)
    return words + extra


def index_string(text: str) -> str:
    """``index_terms(text)`` joined by single spaces (``SearchDocument.tokens``)."""
    return " ".join(index_terms(text))


def query_tokens(q: str) -> list[str]:
    """The distinct terms a search for ``q`` requires (all of them, ANDed).

    The query is cut with jieba's precise mode. A CJK word of two or more characters becomes
    its pairs (``管理系统`` → ``管理 理系 系统``; ``权限`` stays ``权限``): ``index_terms`` stores
    every pair of every text, so a text that contains the word is always found. Single
    characters that jieba left next to each other are joined first (``信群`` → ``信群``, not
    ``信 群``). A character left alone is kept: search matches it as a prefix, which finds
    every text containing it. Other words go through the same normalising, stopwords and
    stemming as ``tokens``. ``[]`` for an empty, punctuation-only or stopword-only query:
    search then finds nothing.

    >>> query_tokens("群组 权限管理系统")
    ['群组', '权限', '管理', '理系', '系统']
    """
    q = q or ""
    if len(q) > MAX_QUERY_CHARS:  # cut, at a space when there is one near the end
        q = q[:MAX_QUERY_CHARS]
        space = max(q.rfind(" "), q.rfind("\t"), q.rfind("\n"))
        if space > MAX_QUERY_CHARS // 2:
            q = q[:space]
    norm = normalise(q)
    if not norm.strip():
        return []
    out: dict[str, None] = {}  # an ordered set
    chunk: list[str] = []  # adjacent single CJK characters

    def add_cjk(word: str) -> None:
        for term in cjk_pairs(word) if len(word) >= 2 else [word]:
            out.setdefault(term, None)

    def flush() -> None:
        if chunk:
            add_cjk("".join(chunk))
            chunk.clear()

    for piece in jieba.lcut(norm):
        words = list(_terms_of_piece(piece, keep_stopwords=False, stem=True))
        if len(words) == 1 and len(words[0]) == 1 and is_cjk(words[0]) and words[0] == piece:
            chunk.append(words[0])
            continue
        flush()
        for word in words:
            if is_cjk(word):
                add_cjk(word)
            else:
                out.setdefault(word, None)
    flush()
    return list(out)[:MAX_QUERY_TERMS]
