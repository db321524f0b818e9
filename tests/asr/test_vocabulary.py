"""Hospital words respelled by sound in transcripts (asr/vocabulary.py), and the real recognizer using it."""

from __future__ import annotations

import pytest

from asr.vocabulary import Vocabulary, hospital_vocabulary

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def vocab(hospital) -> Vocabulary:  # noqa: ANN001
    return hospital_vocabulary(hospital)


@pytest.mark.parametrize("heard,meant", [
    ("我想挂新血管内科的号。", "我想挂心血管内科的号。"),  # Whisper's usual homophone
    ("我要找沈知恒主任看看", "我要找沈知衡主任看看"),  # a doctor's name with the wrong character
    ("后天下午星内科还有号吗", "后天下午心内科还有号吗"),  # an alias
    ("我要转人功", "我要转人工"),
    ("去发热门珍要排队吗", "去发热门诊要排队吗"),
])
def test_hospital_words_are_respelled_by_sound(vocab, heard, meant):
    assert vocab.correct(heard) == meant


@pytest.mark.parametrize("text", [
    "我老伴突然说话说不清楚了，嘴也歪了。",
    "孩子发烧三十八度五，精神还可以。",
    "医保报销要带什么材料？",
    "",
    "I want to see a cardiologist",
])
def test_ordinary_speech_is_left_alone(vocab, text):
    assert vocab.correct(text) == text


def test_southern_fuzzy_sounds_and_ambiguous_terms():
    v = Vocabulary.from_terms(["神经内科", "沈知衡", "申知恒"])
    assert v.correct("森经内科") == "神经内科"  # sh/s
    assert v.correct("神金内科") == "神经内科"  # -ing/-in
    # two terms that sound the same: neither is forced on the text
    assert v.correct("深知横") == "深知横"
    assert Vocabulary.from_terms(["心内", "ab"]).terms == ()  # under three characters: too many ordinary words


@pytest.mark.integration
def test_the_recognizer_respells_what_whisper_hears(recognizer):
    import asyncio

    from eval.voice import speak

    audio = asyncio.run(speak("我想挂心血管内科的号。"))
    assert recognizer.vocabulary is not None
    text = recognizer.transcribe_sync(audio).text
    assert "心血管内科" in text, text


@pytest.mark.integration
def test_a_long_voice_message_goes_through_whisper_s_own_windows(recognizer):
    """WeChat voice messages can run past one 30 s window (asr.whisper.LONG_AUDIO_S): the long path is
    deterministic too (no sampled fallback) and keeps every part."""
    import numpy as np
    from voice_helpers import FIXTURES, read_wav

    from asr.audio import pcm16_to_float

    clips = [pcm16_to_float(read_wav(p)[0]) for p in sorted(FIXTURES.glob("*.wav"))]
    pause = np.zeros(12800, np.float32)  # 0.8 s between sentences, as people pause in a voice message
    audio = np.concatenate([x for c in clips * 2 for x in (c, pause)])
    assert len(audio) / 16000 > 30
    first, again = recognizer.transcribe_sync(audio), recognizer.transcribe_sync(audio)
    assert first.text == again.text
    for words in ("广州市", "达摩院", "跑步", "富士康", "肯德基"):  # every sentence, both times
        assert first.text.count(words) == 2, (words, first.text)
