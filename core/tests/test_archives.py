"""safe_extract refuses odd and hostile archives with UnsafeArchiveError, and bounds what they expand to."""

from __future__ import annotations

import contextlib
import io
import os
import pathlib
import stat
import tarfile
import warnings
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from satchel.archives import (
    ARCHIVE_FORMATS,
    DEFAULT_MAX_ENTRIES,
    RATIO_FREE_BYTES,
    ArchiveLimits,
    extraction_limits,
    make_archive,
    safe_extract,
)
from satchel.errors import SatchelError, UnpackingError, UnsafeArchiveError

MiB = 1024**2


def _files(folder: pathlib.Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _zip(path: pathlib.Path, members: list[tuple[str | zipfile.ZipInfo, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> pathlib.Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about the duplicate names some tests write
        with zipfile.ZipFile(path, "w", compression=compression) as archive:
            for name, data in members:
                archive.writestr(name, data)
    return path


def _tar(path: pathlib.Path, members: list[tarfile.TarInfo | tuple[str, bytes]], mode: str = "w") -> pathlib.Path:
    with tarfile.open(path, mode) as archive:  # type: ignore[call-overload]
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                archive.addfile(member)
            else:
                name, data = member
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return path


def _entry(name: str, kind: bytes, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


def test_unsafe_archive_error_is_satchels_own_unpacking_error() -> None:
    assert issubclass(UnsafeArchiveError, UnpackingError)
    assert issubclass(UnsafeArchiveError, SatchelError)
    assert issubclass(UnsafeArchiveError, ValueError)  # what it was before; callers catching that still do


@pytest.mark.parametrize("archive_format", list(ARCHIVE_FORMATS))
def test_every_format_round_trips_its_tree_and_the_execute_bit(tmp_path: pathlib.Path, archive_format: str) -> None:
    source = tmp_path / "src"
    (source / "sub").mkdir(parents=True)
    (source / "a.txt").write_bytes(b"alpha")
    (source / "sub" / "run.sh").write_bytes(b"#!/bin/sh\n")
    (source / "sub" / "run.sh").chmod(0o755)
    archive = make_archive(str(source), str(tmp_path / f"out{ARCHIVE_FORMATS[archive_format]}"), archive_format)
    for given_format in (archive_format, None):
        target = tmp_path / f"out-{given_format}"
        safe_extract(archive, str(target), archive_format=given_format)
        assert {"a.txt": b"alpha", "sub/run.sh": b"#!/bin/sh\n"} == _files(target)
        assert os.stat(target / "sub" / "run.sh").st_mode & 0o100


# -- Bombs and limits ------------------------------------------------------------------------------


def test_a_small_zip_of_zeros_is_refused_by_the_ratio_before_anything_is_written(tmp_path: pathlib.Path) -> None:
    bomb = _zip(tmp_path / "bomb.zip", [("zeros.bin", bytes(64 * MiB))])
    assert os.path.getsize(bomb) < 100_000
    target = tmp_path / "out"
    with pytest.raises(UnsafeArchiveError, match=r"compression ratio of 200:1.*raise max_ratio"):
        safe_extract(str(bomb), str(target))
    assert {} == _files(target)


def test_the_ratio_limit_is_the_callers_to_raise_per_call_or_around_an_unpack(tmp_path: pathlib.Path) -> None:
    bomb = _zip(tmp_path / "bomb.zip", [("zeros.bin", bytes(16 * MiB))])
    safe_extract(str(bomb), str(tmp_path / "per-call"), max_ratio=10_000)
    assert 16 * MiB == os.path.getsize(tmp_path / "per-call" / "zeros.bin")
    with extraction_limits(max_ratio=10_000) as limits:
        assert ArchiveLimits(max_ratio=10_000) == limits
        safe_extract(str(bomb), str(tmp_path / "around"))
    assert 16 * MiB == os.path.getsize(tmp_path / "around" / "zeros.bin")
    with pytest.raises(UnsafeArchiveError):  # the block ended: the default applies again
        safe_extract(str(bomb), str(tmp_path / "after"))


def test_a_few_mib_of_zeros_are_no_bomb(tmp_path: pathlib.Path) -> None:
    small = _zip(tmp_path / "small.zip", [("zeros.bin", bytes(RATIO_FREE_BYTES))])
    safe_extract(str(small), str(tmp_path / "out"))
    assert RATIO_FREE_BYTES == os.path.getsize(tmp_path / "out" / "zeros.bin")


def test_a_tar_gz_of_zeros_is_refused_by_the_ratio(tmp_path: pathlib.Path) -> None:
    bomb = _tar(tmp_path / "bomb.tar.gz", [("zeros.bin", bytes(64 * MiB))], "w:gz")
    target = tmp_path / "out"
    with pytest.raises(UnsafeArchiveError, match=r"compression ratio"):
        safe_extract(str(bomb), str(target))
    assert {} == _files(target)


def test_a_tar_whose_headers_are_a_bomb_is_stopped_while_it_is_read(tmp_path: pathlib.Path) -> None:
    # A pax header is read into memory whole, before any member is seen: the stream itself is bounded.
    member = tarfile.TarInfo("small.txt")
    member.pax_headers = {"comment": "0" * (32 * MiB)}
    bomb = _tar(tmp_path / "headers.tar.gz", [member], "w:gz")
    assert os.path.getsize(bomb) < 200_000
    with pytest.raises(UnsafeArchiveError, match=r"compression ratio"):
        safe_extract(str(bomb), str(tmp_path / "out"))


def test_the_size_limit_counts_what_the_members_expand_to(tmp_path: pathlib.Path) -> None:
    for archive in (_zip(tmp_path / "a.zip", [("a", b"x" * 600), ("b", b"y" * 600)]),
                    _tar(tmp_path / "a.tar", [("a", b"x" * 600), ("b", b"y" * 600)])):
        with pytest.raises(UnsafeArchiveError, match=r"at least 1200 bytes, over the limit of 1000.*raise max_bytes"):
            safe_extract(str(archive), str(tmp_path / "out"), max_bytes=1000)
        with extraction_limits(max_bytes=1000), pytest.raises(UnsafeArchiveError, match="limit of 1000"):
            safe_extract(str(archive), str(tmp_path / "out"))


def test_a_zip_of_more_entries_than_the_default_limit_is_refused(tmp_path: pathlib.Path) -> None:
    assert 100_000 == DEFAULT_MAX_ENTRIES
    many = _zip(tmp_path / "many.zip", [(str(i), b"") for i in range(DEFAULT_MAX_ENTRIES + 1)], zipfile.ZIP_STORED)
    target = tmp_path / "out"
    with pytest.raises(UnsafeArchiveError, match=r"more than \d+ entries.*max_entries"):
        safe_extract(str(many), str(target))
    assert [] == os.listdir(target)


def test_a_small_zip_may_not_make_fifty_thousand_files_by_default(tmp_path: pathlib.Path) -> None:
    small = _zip(tmp_path / "small.zip", [(f"{i}", b"") for i in range(50_000)], zipfile.ZIP_STORED)
    assert os.path.getsize(small) < 5_000_000
    with pytest.raises(UnsafeArchiveError, match=r"more than \d+ entries \(files and folders\) for its \d+ bytes"):
        safe_extract(str(small), str(tmp_path / "out"))
    # The caller may allow it.
    assert 50_000 == len(os.listdir(safe_extract(str(small), str(tmp_path / "allowed"), max_entries=50_000)))


@pytest.mark.parametrize("archive_format", ["zip", "tar.gz"])
def test_the_entry_limit_is_settable_per_call_and_around_an_unpack(tmp_path: pathlib.Path, archive_format: str) -> None:
    members = [(f"d/{i}.txt", b"") for i in range(1001)]
    archive = (_zip(tmp_path / "many.zip", list(members)) if archive_format == "zip"
               else _tar(tmp_path / "many.tar.gz", list(members), "w:gz"))
    with pytest.raises(UnsafeArchiveError, match="more than 1000 entries"):
        safe_extract(str(archive), str(tmp_path / "a"), max_entries=1000)
    with extraction_limits(max_entries=500), pytest.raises(UnsafeArchiveError, match="more than 500 entries"):
        safe_extract(str(archive), str(tmp_path / "b"))
    safe_extract(str(archive), str(tmp_path / "c"), max_entries=1001)
    assert 1001 == len(_files(tmp_path / "c"))


@pytest.mark.parametrize("bad", [0, -1, float("nan"), "100", True, None])
def test_limits_are_positive_numbers(bad: object) -> None:
    for name in ("max_bytes", "max_ratio", "max_entries"):
        if bad is None:
            continue  # None means "not given"
        with pytest.raises(ValueError, match=name):
            ArchiveLimits(**{name: bad})  # type: ignore[arg-type]


# -- Members that would land outside the target, or on each other ----------------------------------


@pytest.mark.parametrize("name", ["/etc/passwd", "../escape.txt", "a/../../escape.txt", "..\\escape.txt", "C:/x.txt", "bad\x1bname", "a\nb"])
def test_absolute_dot_dot_and_control_character_members_are_refused(tmp_path: pathlib.Path, name: str) -> None:
    for archive in (_zip(tmp_path / "evil.zip", [("ok.txt", b"ok"), (name, b"evil")]),
                    _tar(tmp_path / "evil.tar", [("ok.txt", b"ok"), (name, b"evil")])):
        target = tmp_path / "deep" / "out"
        with pytest.raises(UnsafeArchiveError, match=r"member .* (is absolute|has a '\.\.' part|contains a control character)"):
            safe_extract(str(archive), str(target))
        assert {} == _files(target)
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "deep" / "escape.txt").exists()


def test_a_member_name_too_long_for_a_filesystem_is_refused(tmp_path: pathlib.Path) -> None:
    archive = _zip(tmp_path / "long.zip", [("x" * 300, b"")])
    with pytest.raises(UnsafeArchiveError, match="longer than 255 bytes"):
        safe_extract(str(archive), str(tmp_path / "out"))


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.FIFOTYPE])
def test_tar_links_and_special_files_are_refused(tmp_path: pathlib.Path, kind: bytes) -> None:
    archive = _tar(tmp_path / "links.tar", [_entry("link", kind, "/etc/passwd")])
    with pytest.raises(UnsafeArchiveError, match="link or special file"):
        safe_extract(str(archive), str(tmp_path / "out"))
    assert not (tmp_path / "out" / "link").exists()


def test_a_zip_symlink_member_is_refused(tmp_path: pathlib.Path) -> None:
    info = zipfile.ZipInfo("link")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = _zip(tmp_path / "link.zip", [(info, b"/etc/passwd")])
    with pytest.raises(UnsafeArchiveError, match="symbolic link"):
        safe_extract(str(archive), str(tmp_path / "out"))


@pytest.mark.parametrize("make", ["zip", "tar"])
def test_a_name_given_twice_is_refused_not_overwritten(tmp_path: pathlib.Path, make: str) -> None:
    members = [("model/weights.bin", b"first"), ("model/weights.bin", b"second")]
    archive = _zip(tmp_path / "twice.zip", members) if make == "zip" else _tar(tmp_path / "twice.tar", members)
    with pytest.raises(UnsafeArchiveError, match=r"'model/weights\.bin' is given twice"):
        safe_extract(str(archive), str(tmp_path / "out"))
    assert {} == _files(tmp_path / "out")


def test_names_that_differ_only_by_dot_segments_are_the_same_name(tmp_path: pathlib.Path) -> None:
    archive = _tar(tmp_path / "dots.tar", [("a/b.txt", b"1"), ("./a//b.txt", b"2")])
    with pytest.raises(UnsafeArchiveError, match="given twice"):
        safe_extract(str(archive), str(tmp_path / "out"))


@pytest.mark.parametrize("make", ["zip", "tar"])
def test_a_file_where_a_folder_is_is_refused(tmp_path: pathlib.Path, make: str) -> None:
    for members in ([("a/b.txt", b"inside"), ("a", b"file")], [("a", b"file"), ("a/b.txt", b"inside")]):
        archive = _zip(tmp_path / "clash.zip", members) if make == "zip" else _tar(tmp_path / "clash.tar", members)
        with pytest.raises(UnsafeArchiveError, match=r"'a' is a file, but"):
            safe_extract(str(archive), str(tmp_path / "out"))
    folder_then_file = _zip(tmp_path / "dir.zip", [("a/", b""), ("a", b"file")])
    with pytest.raises(UnsafeArchiveError, match=r"'a' is a file, but it is also a folder"):
        safe_extract(str(folder_then_file), str(tmp_path / "out2"))


def test_an_existing_file_in_the_target_is_never_replaced(tmp_path: pathlib.Path) -> None:
    archive = _zip(tmp_path / "a.zip", [("keep.txt", b"from the archive")])
    target = tmp_path / "out"
    target.mkdir()
    (target / "keep.txt").write_bytes(b"mine")
    with pytest.raises(UnsafeArchiveError, match="nothing was replaced"):
        safe_extract(str(archive), str(target))
    assert b"mine" == (target / "keep.txt").read_bytes()


def test_a_link_already_in_the_target_is_not_followed(tmp_path: pathlib.Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    target = tmp_path / "out"
    target.mkdir()
    (target / "sub").symlink_to(outside)
    archive = _zip(tmp_path / "a.zip", [("sub/planted.txt", b"x")])
    with pytest.raises(UnsafeArchiveError, match="outside the target"):
        safe_extract(str(archive), str(target))
    assert [] == os.listdir(outside)


# -- Unreadable archives ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def valid_archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Each format's archive of a small tree, as bytes."""
    tmp_path = tmp_path_factory.mktemp("valid")
    source = tmp_path / "valid-src"
    (source / "sub").mkdir(parents=True, exist_ok=True)
    (source / "a.txt").write_bytes(b"alpha" * 100)
    (source / "sub" / "b.bin").write_bytes(bytes(range(256)) * 4)
    made = {}
    for archive_format, suffix in ARCHIVE_FORMATS.items():
        path = make_archive(str(source), str(tmp_path / f"valid{suffix}"), archive_format)
        made[archive_format] = pathlib.Path(path).read_bytes()
    return made


def test_truncated_and_garbage_archives_are_unsafe_archive_errors(tmp_path: pathlib.Path, valid_archives: dict[str, bytes]) -> None:
    cases: list[tuple[str, bytes, str | None]] = [
        ("empty", b"", None), ("garbage", b"this is not an archive at all" * 40, None),
        ("zip-magic-only", b"PK\x03\x04" + bytes(40), None),
    ]
    for archive_format, data in valid_archives.items():
        # A plain tar is mostly end-of-archive padding: cut it inside a member's header or data.
        cuts = (300, 700, 1800) if archive_format == "tar" else (len(data) // 2, len(data) - 30, 100)
        for cut in cuts:
            cases.append((f"{archive_format}-cut-{cut}", data[:cut], archive_format))
            cases.append((f"{archive_format}-cut-{cut}-sniffed", data[:cut], None))
    cases.append(("zip-read-as-tar.gz", valid_archives["zip"], "tar.gz"))
    for label, data, archive_format in cases:
        path = tmp_path / f"{label}.bin"
        path.write_bytes(data)
        with pytest.raises(UnsafeArchiveError) as raised:
            safe_extract(str(path), str(tmp_path / f"out-{label}"), archive_format=archive_format)
        assert f"{label}.bin" in str(raised.value), label


def test_a_corrupted_member_is_refused_by_its_checksum(tmp_path: pathlib.Path) -> None:
    data = bytearray(_zip(tmp_path / "ok.zip", [("a.txt", b"alpha" * 1000)], zipfile.ZIP_STORED).read_bytes())
    start = data.index(b"alpha")
    data[start : start + 5] = b"ALPHA"
    (tmp_path / "bad.zip").write_bytes(bytes(data))
    with pytest.raises(UnsafeArchiveError, match="not a readable zip archive"):
        safe_extract(str(tmp_path / "bad.zip"), str(tmp_path / "out"))


def test_an_unknown_archive_format_and_a_missing_file_are_refused(tmp_path: pathlib.Path) -> None:
    archive = _zip(tmp_path / "a.zip", [("a.txt", b"a")])
    with pytest.raises(UnsafeArchiveError, match=r"unknown archive format 'rar'; satchel extracts zip, tar"):
        safe_extract(str(archive), str(tmp_path / "out"), archive_format="rar")
    with pytest.raises(UnsafeArchiveError, match="is not an archive file"):
        safe_extract(str(tmp_path / "missing.zip"), str(tmp_path / "out"))
    with pytest.raises(UnsafeArchiveError, match="is not an archive file"):
        safe_extract(str(tmp_path), str(tmp_path / "out"))


def test_the_label_names_the_archive_in_every_error(tmp_path: pathlib.Path) -> None:
    archive = _zip(tmp_path / "a.zip", [("../x", b"a")])
    with pytest.raises(UnsafeArchiveError, match=r"^artifact 'model': member '\.\./x'"):
        safe_extract(str(archive), str(tmp_path / "out"), label="artifact 'model'")


_MUTATIONS = st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), min_size=1, max_size=8)


@settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(archive_format=st.sampled_from(list(ARCHIVE_FORMATS)), mutations=_MUTATIONS, cut=st.none() | st.integers(min_value=0), sniff=st.booleans())
def test_damaged_archives_raise_only_unsafe_archive_error_and_write_only_inside(
    tmp_path_factory: pytest.TempPathFactory, valid_archives: dict[str, bytes], archive_format: str,
    mutations: list[tuple[int, int]], cut: int | None, sniff: bool,
) -> None:
    root = tmp_path_factory.mktemp("fuzz")
    data = bytearray(valid_archives[archive_format])
    for position, value in mutations:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    path = root / "damaged.bin"
    path.write_bytes(bytes(data))
    (root / "box").mkdir()
    target = root / "box" / "out"
    before = sorted(p.name for p in root.iterdir())
    with contextlib.suppress(UnsafeArchiveError):  # refusing is fine; any other error is not
        safe_extract(str(path), str(target), archive_format=None if sniff else archive_format)
    assert before == sorted(p.name for p in root.iterdir())
    assert ["out"] == os.listdir(root / "box")
    for found in target.rglob("*"):
        assert found.is_dir() or found.is_file()
        assert not found.is_symlink()



@pytest.mark.parametrize("archive_format", ["zip", "tar", "tar.gz"])
def test_a_folder_with_a_symlink_archives_its_content_and_extracts(tmp_path: pathlib.Path, archive_format: str) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "real.txt").write_text("content")
    (source / "alias.txt").symlink_to(source / "real.txt")
    archive = make_archive(str(source), str(tmp_path / f"a.{archive_format}"), archive_format)
    out = pathlib.Path(safe_extract(archive, str(tmp_path / "out")))
    assert ("content", False) == ((out / "alias.txt").read_text(), (out / "alias.txt").is_symlink())
