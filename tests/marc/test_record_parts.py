from pymarc import Field, Indicators, Subfield

from marc.record_parts import control_field, data_field, subfield


def test_fast_fields_behave_like_pymarc_fields() -> None:
    slow = Field(
        tag="245",
        indicators=Indicators("1", "0"),
        subfields=[Subfield("a", "Title :"), Subfield("b", "more")],
    )
    fast = data_field("245", "1", "0", [subfield("a", "Title :"), subfield("b", "more")])

    assert str(fast) == str(slow)
    assert fast.indicators == slow.indicators
    assert fast.indicator1 == "1"
    assert fast["a"] == "Title :"
    assert fast.value() == slow.value()
    assert list(fast) == list(slow)
    assert fast.subfields == slow.subfields
    assert not fast.control_field
    assert fast.as_marc("utf-8") == slow.as_marc("utf-8")


def test_fast_control_fields_behave_like_pymarc_fields() -> None:
    slow = Field(tag="001", data="x1")
    fast = control_field("001", "x1")

    assert str(fast) == str(slow)
    assert fast.control_field
    assert fast.value() == "x1"
    assert fast.as_marc("utf-8") == slow.as_marc("utf-8")
