"""The store: SQLite (or any SQLAlchemy URL) plus content-addressed asset files."""

from reelforge.store.store import CachedAsset, Store

__all__ = ["CachedAsset", "Store"]
