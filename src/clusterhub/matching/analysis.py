"""Korean text analysis for matching: text -> index terms.

One `Analyzer` per process (`get_analyzer()`), holding one Kiwi (kiwipiepy) instance, which
takes about two seconds and 500 MB to load. The steps, in order:

1. NFKC normalisation (full-width letters, ㎜, compatibility jamo).
2. A regex pre-tokeniser finds material, process and part codes and standard grades (SUS304,
   SKD61, ADC12, A356, T6, Al6061-T6, 17-4PH, PC/ABS, KS D 3503, JIS G4051, ASTM A36,
   HX-2041-A) and hands them to Kiwi as pre-tokenised spans, so that they stay whole. Each code
   also yields its parts (6061-T6 -> 6061, T6; SUS304 -> 304; ASTM A36 -> A36). Numbers with a
   unit (0.8mm, 12%) are not codes.
3. Kiwi morphological analysis with a user dictionary of manufacturing terms
   (`data/userdict.tsv`: 다이캐스팅, 사출성형, 박리, 탕구, 염수분무 ...). Kept: nouns (NNG,
   NNP), roots (XR), Chinese characters (SH), Latin words (SL, upper-cased), numbers of three or
   more digits (SN) and verb/adjective stems (VV, VA: symptoms such as 벗겨지, 갈라지) minus a
   short stop list; particles, endings and suffixes are dropped.
4. Compounds both ways: a dictionary compound also yields its parts (사출성형 -> 사출, 성형),
   and adjacent nouns that form a dictionary compound are joined (사출 성형 -> 사출성형), so
   spacing does not change the terms.
5. Queries only: Kiwi's typo model (`typos="basic"`: 용졉 -> 용접, 외않됀대 -> 왜 안 된대) and,
   for terms the index has never seen, a correction to a known term one jamo edit away
   (균녈 -> 균열, 열쳐리 -> 열처리), chosen by how many documents hold it.

`ANALYZER_VERSION` names the output format: a persisted index built with another version is
rebuilt, not mixed.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

DATA_DIR = Path(__file__).resolve().parent / "data"
USERDICT_PATH = DATA_DIR / "userdict.tsv"

KEEP_TAGS = frozenset({"NNG", "NNP", "XR", "SH", "SL", "SN", "VV", "VA"})
NOUN_TAGS = frozenset({"NNG", "NNP", "XR", "SH"})
STEM_TAGS = frozenset({"VV", "VA"})
# Words that say nothing about a problem or a competence.
STOP = frozenset("""
하 되 있 없 않 같 보 이 그 저 것 수 등 및 위 통하 대하 관하 따르 의하 받 주 나 오 가 모르 싶 알
드리 바라 좋 많 크 작 적 길 짧 높 낮 어렵 쉽 새롭 다르 나오 생기 만들 쓰 사용하 들 내 넣 두 놓 맞
문제 경우 때 후 전 중 때문 정도 부분 요청 필요 가능 현재 이후 이상 이하 관련 대상 내용 방법 사항 진행 검토
상황 부탁 문의 지원 해결 회사 당사 저희 업체 제품 관련 최근 계속 자꾸 계속해서 여러 가지 방안 개선
""".split())
LATIN_STOP = frozenset({"MM", "CM", "UM", "NM", "KG", "MPA", "GPA", "HZ", "KHZ", "MHZ", "DB", "KW",
                        "KV", "MA", "PPM", "ML", "RPM", "EA", "PCS", "THE", "AND", "OF", "FOR",
                        "WITH", "IN", "ON", "TO", "A", "AN"})
SINGLE_SYLLABLE_TERMS = frozenset({"휨", "버", "녹", "열", "휘", "금", "홈", "턱", "핀", "날", "캠", "축",
                                   "봉", "관", "판", "선", "망", "팁", "롤", "링", "틀", "형", "빔"})

STANDARD_RE = re.compile(
    r"(?<![A-Za-z0-9])(KS|JIS|ASTM|AISI|SAE|DIN|EN|ISO|IEC|ANSI|GB|UL)\s?([A-Za-z]{0,2})\s?"
    r"-?(\d+(?:[-.]\d+)*[A-Za-z]?)(?![A-Za-z0-9])")
CODE_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]+(?:[-/.][A-Za-z0-9]+)*(?![A-Za-z0-9])")
UNIT_RE = re.compile(
    r"\d+(?:\.\d+)?(?:mm|cm|m|um|μm|nm|kg|g|t|kn|n|mpa|gpa|hz|khz|mhz|db|w|kw|v|kv|a|ma|ppm|l|ml|"
    r"h|hr|min|s|sec|ea|rpm|x|pcs|g/cm3|gf|kgf|m/s|mm/s)", re.IGNORECASE)
PREFIX_NUMBER_RE = re.compile(r"([A-Z]{1,4})(\d{3,})")
# A number with a counter that makes a term: 5축 (5-axis), 3차원, 6가(크롬), 2단.
COUNTER_RE = re.compile(r"(?<![0-9A-Za-z.])\d{1,2}(?:축|차원|가|단|층)(?=[가-힣\s]|$)")
# One-syllable verb stems that describe a defect (휘다, 새다, 깨지다, 타다, 뜨다, 닳다...).
STEM_SINGLES = frozenset({"휘", "새", "깨", "타", "뜨", "녹", "닳", "갈", "튀", "끊", "붙", "굽"})
PARTS_CACHE_SIZE = 200_000  # words whose compound parts are remembered
KIWI_UNKNOWN_IDS = 64  # Kiwi gives out-of-vocabulary tokens a reserved id below this
NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
HANGUL_RE = re.compile(r"[가-힣]")


class Term(NamedTuple):
    """One index term and the position of the word it came from (shared by a compound and its
    parts, and by a code and its parts)."""

    form: str
    pos: int
    oov: bool = False  # a noun Kiwi's dictionary does not know (typo candidates)


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


ASCII_ALNUM_RE = re.compile(r"[A-Za-z0-9]")


def code_spans(text: str) -> list[tuple[int, int, list[str]]]:
    """Spans of codes and grades in normalised text, each with the terms it stands for."""
    spans: list[tuple[int, int, list[str]]] = []
    if not ASCII_ALNUM_RE.search(text):
        return spans
    taken: list[tuple[int, int]] = []
    for m in STANDARD_RE.finditer(text):
        body, letters, number = m.group(1).upper(), m.group(2).upper(), m.group(3).upper()
        grade = letters + number
        numbers = [number] if len(number) >= 3 else []
        spans.append((m.start(), m.end(), _unique([body + grade, grade, *numbers])))
        taken.append((m.start(), m.end()))
    for m in COUNTER_RE.finditer(text):
        spans.append((m.start(), m.end(), [m.group(0)]))
        taken.append((m.start(), m.end()))
    for m in CODE_RE.finditer(text):
        start, end = m.start(), m.end()
        if any(s <= start < e for s, e in taken):
            continue
        token = m.group(0)
        has_digit = any(c.isdigit() for c in token)
        has_alpha = any(c.isalpha() for c in token)
        joined = bool(re.search(r"[A-Za-z]+[/-][A-Za-z]+", token))
        if not ((has_digit and has_alpha) or (joined and has_alpha)):
            continue
        if UNIT_RE.fullmatch(token) or NUMBER_RE.fullmatch(token):
            continue
        upper = token.upper()
        terms = [upper]
        for part in re.split(r"[-/.]", upper):
            if part.isdigit() and len(part) < 3:
                continue
            if len(part) >= 2 and not UNIT_RE.fullmatch(part):
                terms.append(part)
            pm = PREFIX_NUMBER_RE.fullmatch(part)
            if pm:
                terms.append(pm.group(2))
        spans.append((start, end, _unique(terms)))
    spans.sort()
    return spans


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


# ---------------------------------------------------------------------------------------------
# Jamo edit distance (typo correction)
# ---------------------------------------------------------------------------------------------

_CHO = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_JUNG = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_JONG = " ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"


def jamo(word: str) -> str:
    """Hangul syllables decomposed into jamo (other characters as they are)."""
    out: list[str] = []
    for ch in word:
        code = ord(ch) - 0xAC00
        if 0 <= code < 11172:
            out.append(_CHO[code // 588])
            out.append(_JUNG[(code % 588) // 28])
            if code % 28:
                out.append(_JONG[code % 28])
        else:
            out.append(ch)
    return "".join(out)


def _deletes(s: str) -> set[str]:
    return {s[:i] + s[i + 1:] for i in range(len(s))}


class TypoIndex:
    """Known terms by their jamo strings with one jamo deleted (symmetric-delete lookup): finds
    the known terms within one jamo edit (substitution, insertion, deletion, transposition of
    neighbours is two) of an unknown word."""

    def __init__(self, terms: Iterable[tuple[str, int]]) -> None:
        self.freq: dict[str, int] = {}
        self.by_key: dict[str, list[str]] = {}
        for term, freq in terms:
            if len(term) < 2 or not HANGUL_RE.search(term):
                continue
            self.freq[term] = freq
            j = jamo(term)
            for key in {j, *_deletes(j)}:
                self.by_key.setdefault(key, []).append(term)

    def correct(self, word: str) -> str | None:
        j = jamo(word)
        if len(j) < 4:  # two short syllables: too many neighbours to guess
            return None
        found: set[str] = set()
        for key in {j, *_deletes(j)}:
            for term in self.by_key.get(key, ()):
                tj = jamo(term)
                if tj == j or _one_edit(j, tj):
                    found.add(term)
        if not found:
            return None
        return max(sorted(found), key=lambda t: self.freq.get(t, 0))


def _one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    if len(a) > len(b):
        a, b = b, a
    return any(b[:i] + b[i + 1:] == a for i in range(len(b)))


# ---------------------------------------------------------------------------------------------
# The analyser
# ---------------------------------------------------------------------------------------------


def _read_userdict(path: Path) -> list[tuple[str, str, float]]:
    words: list[tuple[str, str, float]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        form = normalise(parts[0].strip())
        tag = parts[1].strip() if len(parts) > 1 and parts[1].strip() else "NNG"
        score = float(parts[2]) if len(parts) > 2 and parts[2].strip() else 0.0
        words.append((form, tag, score))
    return words


def analyzer_version(userdict: Path = USERDICT_PATH) -> str:
    """Changes whenever the terms an unchanged text yields may change."""
    digest = hashlib.sha1(userdict.read_bytes()).hexdigest()[:10]
    return f"a4-{digest}"


ANALYZER_VERSION = analyzer_version()


class Analyzer:
    """Text -> terms. Thread-safe for reading; build it once (`get_analyzer`)."""

    def __init__(self, userdict: Path = USERDICT_PATH, num_workers: int = -1) -> None:
        from kiwipiepy import Kiwi

        self.kiwi = Kiwi(num_workers=num_workers)
        words = _read_userdict(userdict)
        # Parts of each dictionary compound, from Kiwi's analysis before the word is added.
        self.parts: dict[str, list[str]] = {}
        # Two adjacent nouns that make a dictionary compound (사출 + 성형 -> 사출성형).
        self.joins: dict[tuple[str, str], str] = {}
        forms = [form for form, _tag, _score in words]
        for form, analysed in zip(forms, self.kiwi.tokenize(forms), strict=True):
            tokens = [t.form for t in analysed if t.tag in NOUN_TAGS]
            if len(tokens) < 2 or "".join(tokens) != form:
                continue
            # A part is a word of two syllables or more; only the last may be a one-syllable
            # suffix (수축공 -> 수축), else the split is not trusted (시작품 -> 시 + 작품).
            if any(len(t) < 2 and t not in SINGLE_SYLLABLE_TERMS for t in tokens[:-1]):
                continue
            self.parts[form] = [t for t in tokens if len(t) >= 2 or t in SINGLE_SYLLABLE_TERMS]
            if len(tokens) == 2:
                self.joins[(tokens[0], tokens[1])] = form
        for form, tag, score in words:
            self.kiwi.add_user_word(form, tag, score)
        self.lexicon = frozenset(form for form, _tag, _score in words)
        self._parts_cache: dict[str, list[str]] = {}

    # -- documents -----------------------------------------------------------------------------

    def terms(self, text: str) -> list[Term]:
        """Terms of one text, with word positions."""
        text = normalise(text)
        spans = code_spans(text)
        tokens = self.kiwi.tokenize(text, pretokenized=[(s, e, "SL") for s, e, _t in spans])
        return self._terms(tokens, spans)

    def tokens(self, text: str) -> list[str]:
        """The index terms of one document text."""
        return [t.form for t in self.terms(text)]

    def tokens_many(self, texts: Iterable[str]) -> Iterator[list[str]]:
        """Index terms of many texts (any iterable, read as Kiwi's worker threads need more),
        in order."""
        spans_of: dict[str, list[tuple[int, int, list[str]]]] = {}

        def pretokenized(text: str) -> list[tuple[int, int, str]]:
            spans = spans_of[text] = code_spans(text)  # the results loop takes them back
            return [(s, e, "SL") for s, e, _t in spans]

        results = self.kiwi.tokenize((normalise(t) for t in texts), pretokenized=pretokenized,
                                     echo=True)
        for tokens, text in results:
            spans = spans_of.pop(text, None)
            if spans is None:  # the same text twice in flight: the first took them
                spans = code_spans(text)
            yield [t.form for t in self._terms(tokens, spans)]

    # -- queries -------------------------------------------------------------------------------

    def query_terms(self, text: str, known: Callable[[str], bool] | None = None,
                    typos: TypoIndex | None = None) -> list[Term]:
        """Terms of a query: typo-tolerant. `known` says whether the index has a term;
        unknown Hangul terms are corrected through `typos` when a close known term exists."""
        text = normalise(text)
        spans = code_spans(text)
        pre = [(s, e, "SL") for s, e, _t in spans]
        try:
            tokens = self.kiwi.tokenize(text, pretokenized=pre, typos="basic")
        except Exception:  # noqa: BLE001 - the typo model is optional; analyse without it
            tokens = self.kiwi.tokenize(text, pretokenized=pre)
        terms = self._terms(tokens, spans)
        if known is None or typos is None:
            return terms
        out: list[Term] = []
        for term in terms:
            out.append(term)
            if not term.oov or known(term.form) or not HANGUL_RE.search(term.form):
                continue
            fixed = typos.correct(term.form)
            if fixed is not None:  # kept beside the word as written (로터 is not 로트)
                out.append(Term(fixed, term.pos))
                out.extend(Term(p, term.pos) for p in self.parts.get(fixed, ()))
        return out

    def affixes(self, form: str) -> list[str]:
        """Dictionary words a compound the dictionary lacks begins or ends with (도금층 -> 도금,
        열처리로 -> 열처리), longest first."""
        if len(form) < 3 or not HANGUL_RE.match(form):
            return []
        lexicon = self.lexicon
        found: list[str] = []
        for n in range(len(form) - 1, 1, -1):
            if form[:n] in lexicon:
                found.append(form[:n])
                break
        for n in range(len(form) - 1, 1, -1):
            if form[-n:] in lexicon:
                found.append(form[-n:])
                break
        return found

    # -- the common part -----------------------------------------------------------------------

    def _terms(self, tokens: Sequence[Any], spans: list[tuple[int, int, list[str]]]) -> list[Term]:
        by_start = {s: t for s, _e, t in spans}
        out: list[Term] = []
        pos = 0
        prev: tuple[str, int, int] | None = None  # (form, end offset, pos) of the last noun
        for tok in tokens:
            tag = tok.tag
            if tag.startswith("SL") and tok.start in by_start:
                pos += 1
                out.extend(Term(f, pos) for f in by_start[tok.start])
                prev = None
                continue
            if tag not in KEEP_TAGS:
                if not (tag.startswith("XS") or tag.startswith("J") or tag.startswith("E")):
                    prev = None
                continue
            form = tok.form
            if tag == "SL":
                form = form.upper()
                if len(form) < 2 or form in LATIN_STOP:
                    prev = None
                    continue
            elif tag == "SN":
                if len(form) < 3 or not form.isdigit():
                    prev = None
                    continue
            elif tag in STEM_TAGS:
                if form in STOP or (len(form) == 1 and form not in STEM_SINGLES):
                    prev = None
                    continue
            elif form in STOP:
                prev = None
                continue
            pos += 1
            if tag in NOUN_TAGS and prev is not None and prev[1] <= tok.start:
                joined = self.joins.get((prev[0], form))
                if joined is not None:
                    out.append(Term(joined, prev[2]))
            oov = tag in NOUN_TAGS and tok.id < KIWI_UNKNOWN_IDS
            out.append(Term(form, pos, oov))
            parts = self._parts_cache.get(form)
            if parts is None:
                parts = self.parts.get(form) or self.affixes(form)
                if len(self._parts_cache) < PARTS_CACHE_SIZE:
                    self._parts_cache[form] = parts
            for part in parts:
                out.append(Term(part, pos))
            prev = (form, tok.start + tok.len, pos) if tag in NOUN_TAGS else None
        return out


_analyzer: Analyzer | None = None
_lock = threading.Lock()


def get_analyzer() -> Analyzer:
    """The process's analyser (Kiwi loads on first use, about two seconds)."""
    global _analyzer
    if _analyzer is None:
        with _lock:
            if _analyzer is None:
                _analyzer = Analyzer()
    return _analyzer


def whitespace_tokens(text: str) -> list[str]:
    """The plain baseline's tokens: whitespace-separated words, punctuation stripped."""
    words = (w.strip(".,;:!?()[]{}\"'“”‘’·") for w in normalise(text).split())
    return [w.lower() for w in words if w]
