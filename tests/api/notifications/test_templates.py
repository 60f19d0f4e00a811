import pytest

from api.notifications import templates


def test_thing_is_shortened_to_twenty_characters():
    value = templates.value_for("thing2", "一" * 30)
    assert len(value) == 20 and value.endswith("…")


@pytest.mark.parametrize("key, value", [
    ("phrase3", "处理中的案件"),  # > 5 characters
    ("phrase3", "ok"),  # not Chinese
    ("time4", "2026-11-24 15:01"),
    ("character_string1", "有中文"),
    ("number1", "12a"),
])
def test_values_that_cannot_be_fixed_are_refused(key, value):
    with pytest.raises(templates.TemplateValueError):
        templates.value_for(key, value)


def test_build_produces_the_wechat_shape():
    data = templates.build({"character_string1": "BY20261124", "phrase3": "已受理", "time4": "2026年11月24日 15:01"})
    assert data == {"character_string1": {"value": "BY20261124"}, "phrase3": {"value": "已受理"},
                    "time4": {"value": "2026年11月24日 15:01"}}
