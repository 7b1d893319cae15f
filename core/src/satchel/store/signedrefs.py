"""Signed tags: a ref holds ``<uid>`` (unsigned) or ``<uid> <alg>:<key id>:<hex signature>``.

The signature covers the canonical JSON of the tag's project, key, iteration, tag name and the uid
it points at, so a ref edited to point at another version (an older one, say: a rollback) no
longer matches its signature and a reader with the key refuses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from satchel.uri import is_uid

if TYPE_CHECKING:
    from satchel.signing import SignatureStatus, Signer

__all__ = ["check_ref", "ref_payload", "ref_uid", "ref_value", "split_ref"]


def ref_payload(project: str, key: str, iteration: int, tag: str, uid: str) -> bytes:
    from satchel.signing import canonical_json

    return canonical_json({"project": project, "key": key, "iteration": iteration, "tag": tag, "uid": uid})


def ref_value(signer: Signer | None, project: str, key: str, iteration: int, tag: str, uid: str) -> str:
    """What a ref pointing at *uid* holds: the uid, and its signature when there is a *signer*."""
    if signer is None:
        return uid
    signature = signer.sign(ref_payload(project, key, iteration, tag, uid))
    return f"{uid} {signature['alg']}:{signature['key_id']}:{signature['value']}"


def split_ref(text: str | None) -> tuple[str | None, dict[str, str] | None]:
    """(the uid text, the signature or None) of what a ref holds; (None, None) for no ref."""
    if text is None:
        return None, None
    uid, _sep, rest = text.strip().partition(" ")
    if not rest:
        return uid, None
    parts = rest.strip().split(":")
    if len(parts) != 3:
        return uid, {"alg": "", "key_id": "", "value": rest[:200]}
    return uid, {"alg": parts[0], "key_id": parts[1], "value": parts[2]}


def ref_uid(text: str | None) -> str | None:
    """The uid a ref holds, or None when it holds no uid."""
    uid, _signature = split_ref(text)
    return uid if uid is not None and is_uid(uid) else None


def check_ref(signer: Signer, project: str, key: str, iteration: int, tag: str,
              text: str | None) -> SignatureStatus:
    """What the signature in a ref's *text* says about the tag pointing at the uid it holds."""
    uid, signature = split_ref(text)
    if uid is None:
        return "unsigned"
    status: SignatureStatus = signer.check(ref_payload(project, key, iteration, tag, uid), signature)
    return status
