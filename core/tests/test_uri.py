"""store:// URIs: canonical round trip, and every malformed or hostile URI refused clearly."""

from __future__ import annotations

import contextlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from satchel.errors import InvalidURIError
from satchel.names import NAME_PATTERN, is_valid_name
from satchel.uri import URI_FORM, URI_KIND_NAMES, ArtifactURI, is_store_uri, parse_uri

UID = "01a2025f288f6d59cf93906f4a4d4d7f"

names = st.from_regex(f"\\A{NAME_PATTERN}\\Z").filter(is_valid_name)
uris = st.builds(
    ArtifactURI,
    kind=st.sampled_from(URI_KIND_NAMES),
    project=names,
    key=names,
    iteration=st.none() | st.integers(min_value=0, max_value=999_999_999),
    tag=st.none() | names,
    uid=st.none() | st.from_regex(r"\A[0-9a-f]{32}\Z"),
)


@given(uris)
def test_canonical_form_parses_back_to_the_same_uri(uri: ArtifactURI) -> None:
    assert parse_uri(str(uri)) == uri


@given(st.text())
def test_arbitrary_text_only_ever_raises_invalid_uri(text: str) -> None:
    with contextlib.suppress(InvalidURIError):
        parse_uri(text)


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_arbitrary_text_after_the_scheme_parses_or_raises_invalid_uri(rest: str) -> None:
    try:
        uri = parse_uri("store://" + rest)
    except InvalidURIError:
        return
    assert parse_uri(str(uri)) == uri


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("store://artifacts/demo/gradient", ArtifactURI("artifacts", "demo", "gradient")),
        (
            f"store://models/demo/clf#3:prod@{UID}",
            ArtifactURI("models", "demo", "clf", iteration=3, tag="prod", uid=UID),
        ),
        ("store://datasets/p/k#0", ArtifactURI("datasets", "p", "k", iteration=0)),
        ("store://code/p/k:v1.2", ArtifactURI("code", "p", "k", tag="v1.2")),
        (f"store://artifacts/p/k@{UID}", ArtifactURI("artifacts", "p", "k", uid=UID)),
        # Percent-escapes are decoded before validation; what they decode to must be valid.
        ("store://artifacts/my%2Dproject/k%5Fv2", ArtifactURI("artifacts", "my-project", "k_v2")),
    ],
)
def test_parse(text: str, expected: ArtifactURI) -> None:
    assert parse_uri(text) == expected


def test_str_is_the_canonical_form() -> None:
    uri = parse_uri(f"store://models/demo/clf#3:prod@{UID}")
    assert str(uri) == f"store://models/demo/clf#3:prod@{UID}"
    assert str(parse_uri("store://artifacts/my%2Dproject/k")) == "store://artifacts/my-project/k"


def test_latest_is_the_default_tag_only_without_tag_and_uid() -> None:
    assert parse_uri("store://artifacts/p/k").effective_tag == "latest"
    assert parse_uri("store://artifacts/p/k:v1").effective_tag == "v1"
    assert parse_uri(f"store://artifacts/p/k@{UID}").effective_tag is None


@pytest.mark.parametrize(
    ("text", "bad_part"),
    [
        ("store://artifacts/../etc/passwd", "'..' path segment"),
        ("store://artifacts/p/..", "'..' path segment"),
        ("store://artifacts/p/k..x", "invalid key 'k..x'"),
        ("store://artifacts/p/%2e%2e", "'..' path segment"),
        ("store://artifacts/p/%2E%2E", "'..' path segment"),
        ("store://artifacts/p/a%2Fb", "3 '/' separators"),
        ("store://artifacts/p/a/b", "3 '/' separators"),
        ("store://artifacts/p/k\x00", "control character '\\x00'"),
        ("store://artifacts/p/k%00", "control character '\\x00'"),
        ("store://artifacts/p/k\n", "control character '\\n'"),
        ("store:///abs/p/k", "absolute path"),
        ("store://artifacts/p\\k/x", "backslash"),
        ("store://artifacts/p/a%5Cb", "backslash"),
        ("store://artifacts/Demo/k", "invalid project 'Demo'"),
        ("store://artifacts/demo/Key", "invalid key 'Key'"),
        ("store://artifacts/demo/k:Latest", "invalid tag 'Latest'"),
        (f"store://artifacts/demo/k@{UID.upper()}", "32 lowercase hex characters"),
        ("store://artifacts/demo/k@abc", "the uid 'abc'"),
        ("store://Artifacts/demo/k", "the kind 'Artifacts'"),
        ("store://files/demo/k", "the kind 'files'"),
        ("store://artifacts//k", "the project is empty"),
        ("store://artifacts/p/", "the key is empty"),
        ("store://artifacts/p/k:", "the tag is empty"),
        ("store://artifacts/p/k#", "the iteration ''"),
        ("store://artifacts/p/k#-1", "the iteration '-1'"),
        ("store://artifacts/p/k#01", "the iteration '01'"),
        ("store://artifacts/p/k#1e3", "the iteration '1e3'"),
        ("store://artifacts/p", "2 of the 3 parts"),
        ("store://artifacts/p/k%ff", "do not decode to UTF-8"),
        ("STORE://artifacts/p/k", "does not start with 'store://'"),
        ("s3://bucket/p/k", "does not start with 'store://'"),
        ("", "does not start with 'store://'"),
    ],
)
def test_hostile_and_malformed_uris_are_refused(text: str, bad_part: str) -> None:
    with pytest.raises(InvalidURIError) as caught:
        parse_uri(text)
    message = str(caught.value)
    assert message.startswith(f"invalid store URI {text!r}: ")
    assert bad_part in message
    assert message.endswith(f"expected {URI_FORM}")
    assert "kind one of artifacts, models, datasets, code" in message


def test_non_strings_are_refused() -> None:
    with pytest.raises(InvalidURIError, match="a store URI is a string"):
        parse_uri(42)  # type: ignore[arg-type]


def test_constructing_an_invalid_uri_is_refused() -> None:
    with pytest.raises(InvalidURIError, match=re.escape("invalid key '../x'")):
        ArtifactURI("artifacts", "p", "../x")
    with pytest.raises(InvalidURIError, match="iteration -1"):
        ArtifactURI("artifacts", "p", "k", iteration=-1)


def test_is_store_uri_is_a_prefix_test() -> None:
    assert is_store_uri("store://artifacts/p/k")
    assert is_store_uri("store://whatever")  # cheap: parse_uri validates
    assert not is_store_uri("/data/file.csv")
    assert not is_store_uri(b"store://artifacts/p/k")
    assert not is_store_uri(None)
