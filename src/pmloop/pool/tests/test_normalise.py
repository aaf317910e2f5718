"""Tags and derived titles: pure."""

from __future__ import annotations

import pytest

from pmloop.core.errors import InvalidInput
from pmloop.pool.normalise import (
    clean_text,
    clean_title,
    derive_title,
    normalise_tag,
    normalise_tags,
    tag_list,
)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (None, ""),
        ("", ""),
        (" , ,", ""),
        ("API, 群聊", ",api,群聊,"),
        (["API", " 群聊 ", "api"], ",api,群聊,"),
        ("a；b、c\nd，e", ",a,b,c,d,e,"),
        ("#urgent,  big   deal ", ",urgent,big deal,"),
    ],
)
def test_normalise_tags(given, stored):
    assert normalise_tags(given) == stored
    assert tag_list(stored) == [t for t in stored.split(",") if t]


def test_tag_limits():
    with pytest.raises(InvalidInput) as exc:
        normalise_tags(["x" * 31])
    assert exc.value.field == "tags"
    with pytest.raises(InvalidInput, match="At most 20 tags"):
        normalise_tags([f"t{i}" for i in range(21)])
    assert len(normalise_tags(["x" * 30 for _ in range(1)])) == 32


def test_normalise_tag_for_filters():
    assert normalise_tag(" #API ") == "api"
    assert normalise_tag("a,b") == "ab"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("群聊支持 10000 人。并且消息必达！", "群聊支持 10000 人"),
        ("Support v1.2 of the API. Also docs.", "Support v1.2 of the API"),
        ("Why can't I export?\nPlease help", "Why can't I export"),
        ("one line only", "one line only"),
        ("   \n  leading blank\nsecond", "leading blank"),
    ],
)
def test_derive_title_takes_the_first_sentence(text, title):
    assert derive_title(text) == title


def test_derive_title_is_bounded():
    title = derive_title("字" * 500)
    assert len(title) == 200 and title.endswith("…")


def test_clean_text_and_title():
    with pytest.raises(InvalidInput, match="text is required") as exc:
        clean_text("   ")
    assert exc.value.field == "text"
    with pytest.raises(InvalidInput) as exc:
        clean_text("x" * 20001)
    assert exc.value.field == "text"
    assert clean_text(" x " * 1) == "x"
    assert clean_title("", "Hello. World") == "Hello"
    assert clean_title("  A   title ", "ignored") == "A title"
    with pytest.raises(InvalidInput) as exc:
        clean_title("t" * 201, "x")
    assert exc.value.field == "title"
