"""The folder archive makes its folders durable: a folder it creates is fsynced in its parent
before a file is renamed into it, so a power cut after `put` cannot lose the file with the
folder that held it. An existing folder costs nothing more."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from gateway.store import archive as archive_module
from gateway.store.archive import FileArchive, archive_key


@pytest.fixture
def fsynced(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    seen: list[Path] = []
    real = archive_module._fsync_folder

    def recording(folder: Path) -> None:
        seen.append(folder)
        real(folder)

    monkeypatch.setattr(archive_module, "_fsync_folder", recording)
    return seen


def test_each_folder_made_for_a_file_is_fsynced_in_its_parent(tmp_path: Path,
                                                              fsynced: list[Path]) -> None:
    root = tmp_path / "var" / "archive"
    digest, key = FileArchive(root).put(b"ISA*00*")
    assert key == archive_key(digest)
    place = root / key
    # Each made folder's parent: tmp_path for "var", var for "archive", the root for "ab",
    # "ab" for "cd"; then the file's own folder, for the rename into it.
    assert fsynced == [tmp_path, tmp_path / "var", root, place.parent.parent, place.parent]
    assert place.read_bytes() == b"ISA*00*"


def test_a_folder_already_there_is_not_fsynced_again(tmp_path: Path,
                                                     fsynced: list[Path]) -> None:
    data = b"second"
    place = tmp_path / archive_key(hashlib.sha256(data).hexdigest())
    place.parent.mkdir(parents=True)  # made earlier (by another file with the same prefix)
    FileArchive(tmp_path).put(data)
    assert fsynced == [place.parent]  # only for the rename into it
    assert place.read_bytes() == data


def test_a_streamed_file_makes_its_folders_durably_too(tmp_path: Path,
                                                       fsynced: list[Path]) -> None:
    root = tmp_path / "archive"
    kept = FileArchive(root).put_stream(lambda sink: sink.write(io.BytesIO(b"ST*856").read()))
    place = root / kept.key
    assert fsynced[0] == tmp_path  # "archive" itself, before the temporary file is made in it
    assert fsynced == [tmp_path, root, place.parent.parent, place.parent]
    assert place.read_bytes() == b"ST*856"
