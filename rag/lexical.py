"""Lexical retrieval: BM25 (Okapi) over jieba tokens, with an inverted index so a query costs
time in proportion to its terms' postings, not to the size of the knowledge base."""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter, defaultdict

import jieba
import numpy as np

jieba.setLogLevel(logging.WARNING)
_lock = threading.Lock()
_initialised = False

# Words patients use that carry no topic: asking, politeness, pronouns, question words. Asking when or
# where ("几点", "what time", "hours", "nearest") is a question type, not a topic; synonyms.py maps
# a question type to the label the documents write it under where there is one ("在哪" -> "位置").
STOPWORDS = set(
    """的 了 吗 呢 吧 啊 呀 么 嘛 是 在 有 和 与 及 或 要 会 能 可以 可 不 没 没有 去 来 到 给 让 把 被 就 都 也 还 又 很 太 请 请问
    问 问一下 一下 想 想问 我 我们 你 你们 您 他 她 它 他们 这 那 这个 那个 哪 哪个 哪里 哪儿 什么 怎么 怎么样 怎样 如何 多少 几 几点
    吗? 谁 为什么 是否 需要 应该 得 地 着 过 个 一 些 一个 上 下 里 中 吗？ 呢？ 医院 你们医院 贵院 咱们 一般 现在 今天 啥 咋 能不能
    可不可以 是不是 有没有 要不要 告诉 知道 麻烦 谢谢 好 的话 时候 怎么办 办 做 看 该 多 多久 时间
    钱 交 付 花 费用 能 还 还能 下 找 拿 拿到 用 给我 帮 帮我 行 行不行 吗 一天 一次 一般般 之前 前 后 期间 多长 长 内 要求
    地方 情况 问题 事情 东西 儿 呗 哦 嗯 先 再 才 只 最 比较 几天 几岁 几楼 多久能 能够 允许 可否 需不需要 注意 注意事项 什么样
    看病 看上 专门 特别 一直 马上 还要 再交 以后 然后 这边 那边 完 还有 后来
    几号 几月 几点钟 星期几 今天 明天 后天 昨天
    爸 爸爸 我爸 妈 妈妈 我妈 老妈 老爸 父亲 母亲 家里人 家人 亲戚 朋友 自己 别人 人家 一点 有点 还是 然后 但是 因为 所以 已经 之前 以后
    a an the is are am was were be been do does did can could would should will shall may might i me my we our you your
    he she it they them his her their what when where which who how why there here this that these those to of in on at
    for from with by about as and or not no if please tell know want need any some get go much many
    father mother dad mom cost costs much money back get long take takes open there any hospital hospitals near nearby your you're i'm my's does doe has have just like ok okay
    time times hour hours close closest nearest ready find""".split()
)
_TOKEN_OK = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)


def init_jieba(words: list[str] | tuple[str, ...] = ()) -> None:
    """Load jieba's dictionary once per process and teach it the hospital's vocabulary."""
    global _initialised
    with _lock:
        if not _initialised:
            jieba.initialize()
            for w in ("胃镜", "肠镜", "胃肠镜", "发热门诊", "诊察费", "挂号费", "爽约", "加号", "建档", "探视", "陪护", "押金",
                      "医保", "起付线", "报告回诊", "互联网医院", "复诊", "续方", "停车场", "接驳车", "长者专线", "转人工",
                      "病案", "复印", "磁共振", "增强CT", "夜间门诊", "抽血", "空腹", "憋尿", "护工", "异地就医", "备案",
                      "电子票据", "退费", "危急值", "互认", "轮椅", "无障碍", "小滨", "Wi-Fi", "ICU", "门诊", "出报告",
                      "线上", "网上"):
                jieba.add_word(w)
            _initialised = True
        for w in words:
            jieba.add_word(w)


def _stem(word: str) -> str:
    for suf in ("ing", "ed", "es", "s"):
        if len(word) > len(suf) + 2 and word.endswith(suf):
            return word[: -len(suf)]
    return word


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens, lower-cased, English lightly stemmed, stop words and punctuation dropped."""
    if not _initialised:
        init_jieba()
    out = []
    for tok in jieba.lcut_for_search(text.lower()):
        tok = tok.strip()
        if not tok or not _TOKEN_OK.search(tok) or tok in STOPWORDS:
            continue
        if tok.isascii():
            tok = _stem(tok)
            if tok in STOPWORDS:  # "opens", "opening"
                continue
        out.append(tok)
    return out


_Q_PREFIX = re.compile(r"^[哪几多怎啥](?=..)")
_A_NOT_A = re.compile(r"^(.)不\1$")
_FUNCTION_CHARS = set("前后要内办在的了里上下去来能会还就都也再才哪几多么栋个些该得着过把被给让从向对跟和与或及很更最")
_WEAK_CHARS = set("人比时次天点位样种项下上里后前边面方路")
_Q_SUFFIX = re.compile(r"(?<=..)[吗呢么啊呀吧]$")


def query_terms(text: str) -> list[str]:
    """The informative words of a question (jieba's accurate mode, question words trimmed), used to
    judge how much of a question the retrieved text actually covers."""
    if not _initialised:
        init_jieba()
    out: list[str] = []
    for raw in jieba.lcut(text.lower()):
        raw = raw.strip()
        if not raw or raw in STOPWORDS:
            continue
        tok = _Q_SUFFIX.sub("", _Q_PREFIX.sub("", raw))
        tok = _A_NOT_A.sub(r"\1", tok)  # 认不认 -> 认
        pieces = [tok]
        # jieba glues a function character onto a word it does not know ("前要", "内办", "栋楼"): split it
        if (len(tok) == 2 and not tok.isascii() and (tok[0] in _FUNCTION_CHARS or tok[1] in _FUNCTION_CHARS)
                and not jieba.dt.FREQ.get(tok)):
            pieces = [c for c in tok if c not in _FUNCTION_CHARS]
        for p in pieces:
            if not p or not _TOKEN_OK.search(p) or p in STOPWORDS or p in _WEAK_CHARS:
                continue
            if p.isascii():
                if len(p) == 1 and p.isalpha():  # the "m" of "I'm", the "s" of "it's": no topic
                    continue
                p = _stem(p)
                if p in STOPWORDS:
                    continue
            if p not in out:
                out.append(p)
    return out


class BM25Index:
    """Okapi BM25 over a growing list of documents, keyed by chunk id."""

    def __init__(self, k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.ids: list[str] = []
        self._pos: dict[str, int] = {}
        self._lengths: list[int] = []
        self._postings: dict[str, dict[int, int]] = defaultdict(dict)
        self._alive: list[bool] = []
        self._live = 0
        self._total_len = 0

    def __len__(self) -> int:
        return self._live

    def add(self, chunk_id: str, text: str) -> None:
        if chunk_id in self._pos:
            self.remove(chunk_id)
        toks = tokenize(text)
        i = len(self.ids)
        self.ids.append(chunk_id)
        self._pos[chunk_id] = i
        self._lengths.append(len(toks))
        self._alive.append(True)
        self._live += 1
        self._total_len += len(toks)
        for term, tf in Counter(toks).items():
            self._postings[term][i] = tf

    def remove(self, chunk_id: str) -> None:
        i = self._pos.pop(chunk_id, None)
        if i is None:
            return
        self._alive[i] = False
        self._live -= 1
        self._total_len -= self._lengths[i]
        # postings are cleaned lazily: dead entries are skipped at query time

    def idf(self, term: str) -> float:
        n = sum(1 for i in self._postings.get(term, {}) if self._alive[i])
        return math.log(1 + (self._live - n + 0.5) / (n + 0.5))

    def document_frequency(self, term: str) -> int:
        return sum(1 for i in self._postings.get(term, {}) if self._alive[i])

    def search(self, query: str, k: int = 20) -> list[tuple[str, float]]:
        terms = tokenize(query)
        if not terms or not self._live:
            return []
        avg = self._total_len / max(self._live, 1)
        scores: dict[int, float] = defaultdict(float)
        for term in set(terms):
            post = self._postings.get(term)
            if not post:
                continue
            idx = np.fromiter(post.keys(), dtype=np.int64, count=len(post))
            tf = np.fromiter(post.values(), dtype=np.float64, count=len(post))
            alive = np.asarray([self._alive[i] for i in idx], dtype=bool)
            idx, tf = idx[alive], tf[alive]
            if not len(idx):
                continue
            n = len(idx)
            idf = math.log(1 + (self._live - n + 0.5) / (n + 0.5))
            lens = np.asarray([self._lengths[i] for i in idx], dtype=np.float64)
            s = idf * tf * (self.k1 + 1) / (tf + self.k1 * (1 - self.b + self.b * lens / avg))
            for i, v in zip(idx.tolist(), s.tolist(), strict=True):
                scores[i] += v
        best = sorted(scores.items(), key=lambda kv: -kv[1])[:k]
        return [(self.ids[i], s) for i, s in best]
