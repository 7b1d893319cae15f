"""Tests for log hints: every form, errors with their carets, and round trips through the text form."""

from __future__ import annotations

import keyword
import math
import operator
import string
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from satchel.errors import LogHintError
from satchel.loghints import LogHint, format_log_hint, parse_log_hint
from satchel.names import NAME_PATTERN, is_valid_name

# -- Every form ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("model", LogHint("model")),
        ("  model  ", LogHint("model")),
        ("my-data.v2", LogHint("my-data.v2")),
        ("3d", LogHint("3d")),
        ("model : file", LogHint("model", "file")),
        ("model:file", LogHint("model", "file")),
        ("model\t:  dataset", LogHint("model", "dataset")),
        ("model : file[]", LogHint("model", "file")),
        ("model : file[ ]", LogHint("model", "file")),
        ("model : file[format=jpeg]", LogHint("model", "file", {"format": "jpeg"})),
        ("model:file[format='jpeg',quality=90]", LogHint("model", "file", {"format": "jpeg", "quality": 90})),
        (
            "model : file[ format = 'jpeg' , quality = 90 , ]",
            LogHint("model", "file", {"format": "jpeg", "quality": 90}),
        ),
        ("model[format=jpeg]", LogHint("model", options={"format": "jpeg"})),
        ("*frames", LogHint("frames", unbundle=True)),
        ("* frames : file", LogHint("frames", "file", unbundle=True)),
        ("3*frames : file[format=png]", LogHint("frames", "file", {"format": "png"}, unbundle=True, count=3)),
        (" 12 * frames", LogHint("frames", unbundle=True, count=12)),
        ("2*3d", LogHint("3d", unbundle=True, count=2)),
    ],
)
def test_text_forms(text: str, expected: LogHint) -> None:
    assert expected == parse_log_hint(text)


@pytest.mark.parametrize(
    ("value_text", "expected"),
    [
        ("'a:b, c[d]'", "a:b, c[d]"),
        ('"it\'s: [1, 2]"', "it's: [1, 2]"),
        ("'say \"hi\"'", 'say "hi"'),
        (r"'tab\there\nnew \\ \' \x41\u00e9\U0001F600'", "tab\there\nnew \\ ' A\u00e9\U0001f600"),
        ("''", ""),
        ("'日本語'", "日本語"),
        ("90", 90),
        ("-7", -7),
        ("+7", 7),
        ("0.5", 0.5),
        (".5", 0.5),
        ("-1.5e3", -1500.0),
        ("2E-2", 0.02),
        ("1e+16", 1e16),
        ("True", True),
        ("true", True),
        ("False", False),
        ("false", False),
        ("None", None),
        ("null", None),
        ("jpeg", "jpeg"),
        ("image/png", "image/png"),
        ("v1.2-rc_3", "v1.2-rc_3"),
        ("_private", "_private"),
        ("Nonesuch", "Nonesuch"),
        ("[]", []),
        ("[1, 'a', None]", [1, "a", None]),
        ("[1, [2, [3]],]", [1, [2, [3]]]),
        ("{}", {}),
        ("{'a': 1, b: [True, {'c': null}]}", {"a": 1, "b": [True, {"c": None}]}),
        ("{1: 'one', None: 0, 'x:y': 'p,q'}", {1: "one", None: 0, "x:y": "p,q"}),
        ("[ 1 ,\n 2 ]", [1, 2]),
    ],
)
def test_option_values(value_text: str, expected: Any) -> None:
    hint = parse_log_hint(f"out : result[value={value_text}]")

    assert {"value": expected} == dict(hint.options)
    assert type(expected) is type(hint.options["value"])


def test_options_keep_their_order_and_compare_by_content() -> None:
    hint = parse_log_hint("out : file[b=1, a=2]")

    expected_order = ["b", "a"]
    assert expected_order == list(hint.options)
    assert parse_log_hint("out : file[a=2, b=1]") == hint
    assert parse_log_hint("out : file[a=2, b=3]") != hint


def test_options_are_read_only() -> None:
    hint = parse_log_hint("out : file[format=png]")

    with pytest.raises(TypeError):
        hint.options["format"] = "jpeg"  # type: ignore[index]


def test_a_log_hint_passes_through() -> None:
    hint = LogHint("model", "file", {"format": "jpeg"})

    assert hint is parse_log_hint(hint)


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        ({"key": "x"}, LogHint("x")),
        ({"key": "x", "artifact_type": "file", "format": "jpeg"}, LogHint("x", "file", {"format": "jpeg"})),
        ({"key": "x", "artifact_type": None, "format": "jpeg"}, LogHint("x", options={"format": "jpeg"})),
        ({"key": "x", "unbundle": True}, LogHint("x", unbundle=True)),
        ({"key": "x", "unbundle": True, "count": 3}, LogHint("x", unbundle=True, count=3)),
        ({"key": "x", "count": 3}, LogHint("x", unbundle=True, count=3)),
        (
            {"key": "x", "columns": ["a", "b"], "index": False},
            LogHint("x", options={"columns": ["a", "b"], "index": False}),
        ),
    ],
)
def test_dict_form(mapping: dict[str, Any], expected: LogHint) -> None:
    assert expected == parse_log_hint(mapping)


def test_dict_form_does_not_change_the_callers_dict() -> None:
    mapping = {"key": "x", "artifact_type": "file", "format": "jpeg"}

    expected = dict(mapping)

    parse_log_hint(mapping)

    assert expected == mapping


# -- Formatting ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        (LogHint("model"), "model"),
        (LogHint("model", "file"), "model : file"),
        (
            LogHint("model", "file", {"format": "jpeg", "quality": 90}),
            "model : file[format=jpeg, quality=90]",
        ),
        (LogHint("model", options={"format": "jpeg"}), "model[format=jpeg]"),
        (LogHint("frames", unbundle=True), "*frames"),
        (LogHint("frames", "file", unbundle=True, count=3), "3*frames : file"),
        (
            LogHint("x", "result", {"a": "it's", "b": "True", "c": "1.5", "d": "a b"}),
            "x : result[a=\"it's\", b='True', c='1.5', d='a b']",
        ),
        (
            LogHint("x", "result", {"a": [1, None, {"k": 1.5}], "b": {}}),
            "x : result[a=[1, None, {k: 1.5}], b={}]",
        ),
    ],
)
def test_format(hint: LogHint, expected: str) -> None:
    assert expected == format_log_hint(hint)
    assert expected == str(hint)


# -- Errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("", 0, "a key like 'model'"),
        ("   ", 3, "a key like 'model'"),
        ("Model", 0, "lowercase letters"),
        ("moDel : file", 2, "lowercase letters"),
        ("a..b", 1, "a key without '..'"),
        ("-model", 0, "a key that starts with a lowercase letter or digit"),
        ("model.", 5, "a key that ends with a lowercase letter or digit"),
        ("m" * 201, 0, "a shorter key"),
        ("0*key", 0, "a positive count of items before '*'"),
        ("00 * key", 0, "a positive count"),
        ("*", 1, "a key like 'model'"),
        ("3*", 2, "a key like 'model'"),
        ("**key", 1, "a key like 'model'"),
        ("my key", 3, "':' and an artifact type, '[' and options, or the end of the hint"),
        ("model!", 5, "the end of the hint"),
        ("model :", 7, "an artifact type like 'file'"),
        ("model : File", 8, "an artifact type like 'file'"),
        ("model : fiLe", 10, "an artifact type like 'file'"),
        ("model : 2file", 8, "an artifact type like 'file'"),
        ("model : file junk", 13, "'[' to open the options of 'file', or the end of the hint"),
        ("model : file[format=jpeg", 24, "']' to close the options of 'file'"),
        ("model : file[", 13, "']' to close the options of 'file'"),
        ("model[format=jpeg", 17, "']' to close the options"),
        ("model : file[format=]", 20, "a value after '='"),
        ("model : file[format=, a=1]", 20, "a value after '='"),
        ("model : file[format=", 20, "a value after '='"),
        ("model : file[format jpeg]", 20, "'=' after the option name 'format'"),
        ("model : file[format=jpeg quality=1]", 25, "',' between options, or ']'"),
        ("model : file[format=png, format=jpeg]", 25, "duplicate option 'format'"),
        ("model : file[=1]", 13, "an option name like 'format'"),
        ("model : file[1=1]", 13, "an option name like 'format'"),
        ("model : file[class=1]", 13, "not a Python keyword"),
        ("model : file[key='x']", 13, "an option name other than 'key'"),
        ("model : file[count=2]", 13, "an option name other than"),
        ("model : file[a=1] junk", 18, "the end of the hint after the options"),
        ("model : file[a=1]]", 17, "the end of the hint"),
        ("model : file[a='abc]", 15, "a closing ' to end this string"),
        ('model : file[a="abc]', 15, 'a closing " to end this string'),
        (r"model : file[a='\q']", 16, "an escape like"),
        (r"model : file[a='\x4']", 16, "an escape like"),
        (r"model : file[a='\U00110000']", 16, "a code point no larger than"),
        ("model : file[a=90px]", 15, "quotes around '90px'"),
        ("model : file[a=1.2.3]", 15, "quotes around '1.2.3'"),
        ("model : file[a=@]", 15, "a value: a quoted string, a number"),
        ("model : file[a=-inf]", 15, "a value: a quoted string, a number"),
        ("model : file[a=1e999]", 15, "a number small enough for a float"),
        ("model : file[a=" + "9" * 5000 + "]", 15, "an int with fewer digits"),
        ("model : file[a=[1, 2]", 21, "']' to close the options of 'file'"),
        ("model : file[a=[1, 2", 20, "']' to close the list"),
        ("model : file[a=[1 2]]", 18, "',' between items, or ']' to close the list"),
        ("model : file[a=[1,,2]]", 18, "a value: a quoted string"),
        ("model : file[a={'b' 1}]", 20, "':' after the dict key"),
        ("model : file[a={'b':}]", 20, "a value after ':'"),
        ("model : file[a={'b': 1", 22, "'}' to close the dict"),
        ("model : file[a={'b': 1 'c': 2}]", 23, "',' between items, or '}' to close the dict"),
        ("model : file[a={[1]: 2}]", 16, "a str, number, True, False or None as a dict key"),
        ("model : file[a={b: 1, 'b': 2}]", 22, "duplicate key 'b'"),
        ("model : file[a=" + "[" * 101 + "]" * 101 + "]", 115, "at most 100 levels"),
    ],
)
def test_error_points_at_the_fault(text: str, position: int, fragment: str) -> None:
    with pytest.raises(LogHintError) as caught:
        parse_log_hint(text)

    assert (text, position) == (caught.value.hint, caught.value.position)
    assert fragment in caught.value.expected


def test_error_message_shows_the_hint_with_a_caret() -> None:
    with pytest.raises(LogHintError) as caught:
        parse_log_hint("model : file[format=jpeg")

    expected = (
        "invalid log hint: expected ']' to close the options of 'file'\n"
        "  model : file[format=jpeg\n"
        "                          ^"
    )
    assert expected == str(caught.value)


def test_the_deepest_nesting_allowed_parses() -> None:
    text = "x[a=" + "[" * 100 + "]" * 100 + "]"

    assert text == format_log_hint(parse_log_hint(text))


@pytest.mark.parametrize(
    ("mapping", "fragment"),
    [
        ({}, "a 'key' entry"),
        ({"artifact_type": "file"}, "a 'key' entry"),
        ({"key": 3}, "a str for 'key', not int"),
        ({"key": "Model"}, "a key like 'model'"),
        ({"key": "x", "artifact_type": "File"}, "an artifact type like 'file'"),
        ({"key": "x", "artifact_type": 3}, "an artifact type like 'file'"),
        ({"key": "x", "unbundle": "yes"}, "True or False for 'unbundle'"),
        ({"key": "x", "count": 0}, "a positive int for 'count'"),
        ({"key": "x", "count": True}, "a positive int for 'count'"),
        ({"key": "x", "count": 2, "unbundle": False}, "'unbundle': True with 'count'"),
        ({"key": "x", 1: "a"}, "an option name like 'format'"),
        ({"key": "x", "bad-name": 1}, "an option name like 'format'"),
        ({"key": "x", "lambda": 1}, "not a Python keyword"),
        ({"key": "x", "codec": object()}, "a str, int, float, bool, None, list or dict, not object"),
        ({"key": "x", "codec": (1, 2)}, "not tuple"),
        ({"key": "x", "ratio": math.inf}, "a finite float"),
        ({"key": "x", "ratio": [math.nan]}, "a finite float"),
        ({"key": "x", "mapping": {(1, 2): 3}}, "as a dict key, not tuple"),
    ],
)
def test_dict_form_errors(mapping: dict[Any, Any], fragment: str) -> None:
    with pytest.raises(LogHintError) as caught:
        parse_log_hint(mapping)

    expected = (repr(mapping), 0)
    assert expected == (caught.value.hint, caught.value.position)
    assert fragment in caught.value.expected


@pytest.mark.parametrize("hint", [None, 3, ["model"], b"model"])
def test_other_types_are_refused(hint: Any) -> None:
    with pytest.raises(LogHintError, match="a log hint: a str like 'model : file'"):
        parse_log_hint(hint)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"key": "Model"}, "a key like 'model'"),
        ({"key": "x", "artifact_type": "File"}, "an artifact type like 'file'"),
        ({"key": "x", "count": 3}, "unbundle=True with a count"),
        ({"key": "x", "unbundle": True, "count": 0}, "a positive int or None for count"),
        ({"key": "x", "options": {"key": 1}}, "an option name other than"),
        ({"key": "x", "options": {"a": {1, 2}}}, "not set"),
    ],
)
def test_log_hint_refuses_invalid_fields(kwargs: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValueError, match="invalid LogHint") as caught:
        LogHint(**kwargs)

    assert fragment in str(caught.value)


# -- Caching ---------------------------------------------------------------------------------------


def test_text_hints_are_cached() -> None:
    assert parse_log_hint("model : file[format=jpeg]") is parse_log_hint("model : file[format=jpeg]")


def test_mutable_option_values_are_not_shared_between_callers() -> None:
    first = parse_log_hint("x : result[columns=['a'], meta={'b': 1}]")
    first.options["columns"].append("changed")
    first.options["meta"]["b"] = 2

    second = parse_log_hint("x : result[columns=['a'], meta={'b': 1}]")

    expected = {"columns": ["a"], "meta": {"b": 1}}
    assert expected == dict(second.options)


# -- Properties ------------------------------------------------------------------------------------

_RESERVED = {"key", "artifact_type", "unbundle", "count"}

_LOWER = string.ascii_lowercase


def _words(first: str, rest: str) -> st.SearchStrategy[str]:
    # Plain text strategies generate far faster than from_regex, which keeps the CI profile quick.
    return st.builds(operator.add, st.sampled_from(first), st.text(alphabet=rest, max_size=12))


keys = st.from_regex(NAME_PATTERN, fullmatch=True).filter(is_valid_name)
artifact_types = st.none() | _words(_LOWER, _LOWER + string.digits + "_")
option_names = _words(string.ascii_letters + "_", string.ascii_letters + string.digits + "_").filter(
    lambda name: not keyword.iskeyword(name) and name not in _RESERVED
)
tricky_texts = st.sampled_from(
    [
        "",
        "jpeg",
        "True",
        "null",
        "None",
        "1.5",
        "-3",
        "a b",
        "a:b",
        "a,b",
        "[x]",
        "{y}",
        "it's",
        'say "hi"',
        "\\",
        "\n",
        "é",
        "\x00",
    ]
)
texts = st.text() | tricky_texts
scalars = texts | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.booleans() | st.none()
dict_keys = texts | st.integers() | st.booleans() | st.none()
option_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(dict_keys, children, max_size=4),
    max_leaves=12,
)


@st.composite
def log_hints(draw: st.DrawFn) -> LogHint:
    unbundle = draw(st.booleans())
    count = draw(st.none() | st.integers(min_value=1, max_value=10**6)) if unbundle else None
    return LogHint(
        key=draw(keys),
        artifact_type=draw(artifact_types),
        options=draw(st.dictionaries(option_names, option_values, max_size=4)),
        unbundle=unbundle,
        count=count,
    )


@given(log_hints())
def test_format_then_parse_gives_the_same_hint(hint: LogHint) -> None:
    text = format_log_hint(hint)

    assert hint == parse_log_hint(text)
    assert text == format_log_hint(parse_log_hint(text))


@given(log_hints())
def test_dict_form_gives_the_same_hint(hint: LogHint) -> None:
    mapping = {
        "key": hint.key,
        "artifact_type": hint.artifact_type,
        "unbundle": hint.unbundle,
        **hint.options,
    }
    if hint.count is not None:
        mapping["count"] = hint.count

    assert hint == parse_log_hint(mapping)


def _parses_or_says_why(text: str) -> None:
    """Parse *text*; anything but a LogHint or a LogHintError pointing into the text fails the test."""
    try:
        outcome: LogHint | LogHintError = parse_log_hint(text)
    except LogHintError as error:
        outcome = error
    if isinstance(outcome, LogHintError):
        assert 0 <= outcome.position <= len(text)
    else:
        assert isinstance(outcome, LogHint)


@given(st.text())
def test_any_text_parses_or_raises_log_hint_error(text: str) -> None:
    _parses_or_says_why(text)


@given(st.text(alphabet="ab9_.-*:[]{}=,'\"\\ eTN\t"))
def test_text_made_of_the_grammars_characters_parses_or_raises_log_hint_error(text: str) -> None:
    _parses_or_says_why(text)


@given(log_hints(), st.data())
def test_damaged_hints_parse_or_raise_log_hint_error(hint: LogHint, data: st.DataObject) -> None:
    text = format_log_hint(hint)
    start = data.draw(st.integers(min_value=0, max_value=len(text)))
    end = data.draw(st.integers(min_value=start, max_value=len(text)))
    inserted = data.draw(st.text(alphabet="[]{}'\",:=*\\ x1", max_size=2))

    _parses_or_says_why(text[:start] + inserted + text[end:])


def test_a_bare_key_parses_to_the_same_hint_as_one_built_by_hand() -> None:
    quick = parse_log_hint("model-v2.final")
    assert quick == LogHint(key="model-v2.final") and hash(quick) == hash(LogHint(key="model-v2.final"))
    assert (quick.artifact_type, dict(quick.options), quick.unbundle, quick.count) == (None, {}, False, None)
    assert str(quick) == "model-v2.final"
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        quick.key = "other"  # type: ignore[misc]
