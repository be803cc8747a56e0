"""Shared paths and helpers for the recall tests."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "recall"
CORPUS = Path("/work/shared/corpus/recall")


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def corpus_file(name: str) -> bytes:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"shared corpus not present: {path}")
    return path.read_bytes()
