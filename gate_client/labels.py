"""QR label images of code texts (LG1:<KIND>:<ID>), for printing and for demos."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np
import zxingcpp


def label_image(text: str, scale: int = 8) -> np.ndarray:
    """A grayscale QR code of `text` with a white quiet zone of four modules."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode)
    image = np.asarray(barcode.to_image(scale=scale))
    margin = 4 * scale
    return cv2.copyMakeBorder(image, margin, margin, margin, margin, cv2.BORDER_CONSTANT,
                              value=255)


def write_labels(texts: Iterable[str], folder: str | os.PathLike[str], scale: int = 8
                 ) -> list[Path]:
    """One PNG per text in `folder`, named by position and a hash (texts hold any characters)."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, text in enumerate(texts, 1):
        digest = hashlib.sha256(text.encode()).hexdigest()[:8]
        path = out / f"{number:02d}-{digest}.png"
        ok, data = cv2.imencode(".png", label_image(text, scale))
        if not ok:
            raise ValueError(f"cannot encode a label for {text!r}")
        path.write_bytes(data.tobytes())
        paths.append(path)
    return paths
