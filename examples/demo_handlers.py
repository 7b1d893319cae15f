"""Example handlers: plain functions with type hints; satchel packs what they return."""

from __future__ import annotations

import numpy as np
import pandas as pd
from langchain_core.prompts import ChatPromptTemplate
from PIL import Image


def generate_gradient(width: int = 256, height: int = 256) -> Image.Image:
    """A red-green gradient image (the MLRun pack-only tutorial's handler, vectorised)."""
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :].repeat(height, axis=0)
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None].repeat(width, axis=1)
    pixels = np.stack([x, y, np.full_like(x, 50)], axis=-1).astype(np.uint8)
    return Image.fromarray(pixels, "RGB")


def thumbnail(img: Image.Image, size: int = 64) -> Image.Image:
    """A copy of ``img`` shrunk to fit ``size`` x ``size``."""
    small = img.copy()
    small.thumbnail((size, size))
    return small


def prepare(rows: int = 1000, seed: int = 7) -> tuple[Image.Image, np.ndarray, pd.DataFrame, ChatPromptTemplate, float]:
    """Several outputs of different kinds: an image, an array, a table, a prompt and a score."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(rows, 8)).astype(np.float32)
    frame = pd.DataFrame({
        "id": pd.array(range(rows), dtype="Int64"),
        "city": pd.Categorical(rng.choice(["Lisbon", "Oslo", "Quito"], size=rows)),
        "when": pd.date_range("2026-01-01", periods=rows, freq="h", tz="UTC"),
        "value": features[:, 0].astype("float64"),
    })
    prompt = ChatPromptTemplate.from_messages([
        ("system", "You summarise tables about {topic}."),
        ("human", "Describe these rows: {rows}"),
    ])
    return generate_gradient(128, 96), features, frame, prompt, float(features.mean())


def summarise(image: Image.Image, features: np.ndarray, table: pd.DataFrame, prompt: ChatPromptTemplate) -> dict[str, object]:
    """Consume all four outputs of ``prepare`` as typed objects."""
    message = prompt.format_messages(topic="cities", rows=len(table))
    return {
        "image_size": list(image.size),
        "features_shape": list(features.shape),
        "rows_per_city": {str(k): int(v) for k, v in table["city"].value_counts().sort_index().items()},
        "prompt": message[-1].content,
    }
