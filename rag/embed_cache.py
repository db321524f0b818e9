"""A persistent cache of passage embeddings, keyed by the passage text's hash.

Embedding the sample hospital takes tens of seconds on two cores; every fresh data directory (a new
install, each test, each evaluation run) would pay it again. Vectors are pure functions of model and
text, so they are cached in one SQLite file outside the data directory (``PA_EMBED_CACHE``, default
``~/.cache/patient-assistant/embeddings.sqlite``; set it empty to disable).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

_lock = threading.Lock()
_conn: sqlite3.Connection | None = None
_path: str | None = None


def cache_path() -> Path | None:
    raw = os.environ.get("PA_EMBED_CACHE")
    if raw is not None:
        return Path(raw) if raw.strip() else None
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "patient-assistant" / "embeddings.sqlite"


def _db() -> sqlite3.Connection | None:
    global _conn, _path
    path = cache_path()
    if path is None:
        return None
    if _conn is not None and _path == str(path):
        return _conn
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS vec (key TEXT PRIMARY KEY, dim INTEGER, data BLOB)")
    except (OSError, sqlite3.Error):
        return None
    _conn, _path = conn, str(path)
    return conn


def _key(model: str, text: str) -> str:
    return hashlib.sha256(f"{model}\x00{text}".encode()).hexdigest()


def cached_embed(model: str, texts: Sequence[str], embed: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """Vectors for ``texts``: from the cache where known, computed (and stored) for the rest."""
    texts = list(texts)
    if not texts:
        return embed(texts)
    with _lock:
        conn = _db()
        if conn is None:
            return embed(texts)
        keys = [_key(model, t) for t in texts]
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            rows = conn.execute(f"SELECT key, dim, data FROM vec WHERE key IN ({','.join('?' * len(part))})", part)
            for key, dim, data in rows:
                found[key] = np.frombuffer(data, dtype=np.float32, count=dim)
    missing = [i for i, k in enumerate(keys) if k not in found]
    if missing:
        fresh = np.asarray(embed([texts[i] for i in missing]), dtype=np.float32)
        with _lock:
            conn = _db()
            if conn is not None:
                try:
                    conn.executemany(
                        "INSERT OR REPLACE INTO vec (key, dim, data) VALUES (?, ?, ?)",
                        [(keys[i], int(v.shape[0]), v.astype(np.float32).tobytes()) for i, v in zip(missing, fresh, strict=True)],
                    )
                except sqlite3.Error:
                    pass
        for i, v in zip(missing, fresh, strict=True):
            found[keys[i]] = v
    return np.stack([found[k] for k in keys]).astype(np.float32)
