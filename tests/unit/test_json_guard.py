"""Bodies no handler should see are a 400 naming the problem (speakpho.json_guard)."""
from __future__ import annotations

import pytest

from speakpho.errors import BadRequest, Unprocessable
from speakpho.json_guard import check_body


@pytest.mark.parametrize("raw, field", [
    ('{"n": 1' + "0" * 5000 + "}", "body"),                      # over Python's int-string limit
    ("[" * 100_000, "body"),                                      # over the recursion limit
    ('{"topic": "\\ud800"}', "body.topic"),                       # a lone surrogate
    ('{"messages": [{"text": "ok"}, {"text": "a\\udfffb"}]}', "body.messages.1.text"),
    ('{"\\ud800": 1}', "body"),                                   # in a key
    ('{"t": 123456789012345678901234567890123456789}', "body.t"),  # 39 significant digits
    ('{"t": 1e126}', "body.t"),                                   # above DynamoDB's range
    ('{"t": 1e-131}', "body.t"),                                  # below it
    ("[" * 70 + "]" * 70, "body" + ".0" * 65),                   # deeper than ours ever is
])
def test_refused(raw, field):
    with pytest.raises(BadRequest) as refused:
        check_body(raw)
    assert refused.value.code == "invalid_body" and refused.value.details["field"] == field


@pytest.mark.parametrize("raw", [
    None, "", '{"topic": "phở 🍜"}', '{"t": 12345678901234567890123456789012345678}',  # 38 digits
    '{"t": 1e125, "u": 0, "v": -0.0, "w": 1.5e-130}', '{"a": [[[1]]]}',
    "{not json",   # malformed: left to the validator's 422
])
def test_accepted(raw):
    check_body(raw)


@pytest.mark.parametrize("raw", ["[]", "[null]", '[{"topic": "food"}]'])
def test_a_top_level_array_is_the_validators_422(raw):
    """Powertools would validate an array's first element as the body."""
    with pytest.raises(Unprocessable) as refused:
        check_body(raw)
    assert refused.value.details == [{"field": "body", "message": "Input should be an object", "type": "model_type"}]
