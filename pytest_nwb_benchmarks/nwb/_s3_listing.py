"""What the streaming server may serve, and its S3 ``ListObjectsV2`` listings, paginated.

Two rules decide which files under the served root are visible, over HTTP and S3 alike
(:func:`servable_parts`):

* ``.`` and ``..`` segments are never accepted, and the resolved path must stay inside the root;
* a segment starting with a dot (a hidden file: a lock, a partial generation) is refused, except inside a
  Zarr store -- below a folder whose name ends in ``.zarr`` -- where Zarr v2 keeps its metadata in
  ``.zgroup``, ``.zattrs``, ``.zarray`` and ``.zmetadata``.

:func:`list_objects` answers a listing by walking only the folder the prefix points into (one folder with
``delimiter="/"``, its subtree without), in S3's key order, and stops after one page: a request costs the
page, not the tree. Pages are at most 1,000 keys; a truncated page carries a continuation token (the last
key returned, encoded), and the next request resumes after it. Written here rather than taken from a
library because the server is the standard library's HTTP server and these few rules are the whole need.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

#: The most keys S3 returns in one page, whatever ``max-keys`` asks for.
MAX_KEYS = 1000
_STORE_SUFFIX = ".zarr"


class ListingError(ValueError):
    """A listing request has an argument S3 would reject (the message says which)."""


@dataclass
class ListingPage:
    """One page of a listing.

    Attributes
    ----------
    keys : list of (str, os.stat_result)
        The objects, in key order.
    prefixes : list of str
        The common prefixes (``delimiter`` given), in key order.
    is_truncated : bool
        Whether more entries follow.
    next_token : str or None
        The token to pass as ``continuation-token`` for the next page, when truncated.
    """

    keys: list[tuple[str, os.stat_result]] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    is_truncated: bool = False
    next_token: str | None = None


def servable_parts(parts: list[str]) -> bool:
    """Whether a path, split into its segments, may be served (see the module docstring).

    Parameters
    ----------
    parts : list of str
        The non-empty segments of a path relative to the served root.

    Returns
    -------
    bool
        ``False`` for ``.``/``..`` anywhere and for hidden segments outside a ``*.zarr`` folder.
    """
    if not parts:
        return False
    inside_store = False
    for part in parts:
        if part in (".", "..") or "\x00" in part:
            return False
        if part.startswith(".") and not inside_store:
            return False
        if part.endswith(_STORE_SUFFIX) and not part.startswith("."):
            inside_store = True
    return True


def encode_token(key: str) -> str:
    """The continuation token that resumes a listing after ``key``."""
    return base64.urlsafe_b64encode(key.encode()).decode()


def _decode_token(token: str) -> str:
    try:
        key = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeError, ValueError):
        key = None
    if key is None or encode_token(key) != token:  # the decoder skips stray characters; a real token round-trips
        raise ListingError(f"invalid continuation-token {token[:80]!r}: not one this server issued")
    return key


def _children(folder: Path, relative: str) -> list[tuple[str, os.DirEntry[str]]]:
    """The servable entries of one folder, as (key or key prefix, entry), in S3 key order."""
    base_parts = [part for part in relative.split("/") if part]
    entries = []
    try:
        with os.scandir(folder) as scan:
            for entry in scan:
                if not servable_parts([*base_parts, entry.name]):
                    continue
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                    if not is_dir and not entry.is_file(follow_symlinks=False):
                        continue
                except OSError:
                    continue
                entries.append((relative + entry.name + ("/" if is_dir else ""), entry))
    except OSError:
        return []
    entries.sort(key=lambda item: item[0])
    return entries


def _walk(folder: Path, relative: str, after: str, prefix: str = "") -> Iterator[tuple[str, os.DirEntry[str]]]:
    """File keys under ``folder`` (``relative`` is its key prefix) after ``after`` and starting with ``prefix``.

    In key order. A subtree is entered only if it can hold such keys: every key in it starts with its
    folder's key, so it is skipped when that sorts wholly before ``after`` or cannot match ``prefix``.
    """
    for key, entry in _children(folder, relative):
        if key.endswith("/"):
            if after > key and not after.startswith(key):
                continue
            if not key.startswith(prefix) and not prefix.startswith(key):
                continue
            yield from _walk(folder / entry.name, key, after, prefix)
        elif key > after and key.startswith(prefix):
            yield key, entry


def _has_file(folder: Path, relative: str) -> bool:
    return next(_walk(folder, relative, ""), None) is not None


def list_objects(
    root: Path,
    prefix: str = "",
    delimiter: str = "",
    max_keys: int = MAX_KEYS,
    continuation_token: str = "",
    start_after: str = "",
) -> ListingPage:
    """List the objects under ``root`` as ``ListObjectsV2`` would, one page at a time.

    Parameters
    ----------
    root : pathlib.Path
        The served root (resolved).
    prefix : str
        Only keys starting with it.
    delimiter : str
        ``""`` or ``"/"``: with ``"/"``, keys holding a further ``/`` after the prefix are rolled up into
        common prefixes.
    max_keys : int
        Page size, at most :data:`MAX_KEYS` (larger values are lowered to it, as S3 does).
    continuation_token : str
        A token from an earlier truncated page.
    start_after : str
        Only keys after it (ignored when a continuation token is given, as S3 does).

    Returns
    -------
    ListingPage
        The page.

    Raises
    ------
    ListingError
        If ``max_keys`` is negative, the delimiter is not ``/``, or the token was not issued here.
    """
    if max_keys < 0:
        raise ListingError(f"max-keys must not be negative, got {max_keys}")
    if delimiter not in ("", "/"):
        raise ListingError(f"only the delimiter '/' is supported, got {delimiter!r}")
    max_keys = min(max_keys, MAX_KEYS)
    after = _decode_token(continuation_token) if continuation_token else start_after
    folder_key = prefix[: prefix.rfind("/") + 1]  # the folder the prefix points into, as a key prefix
    folder_parts = [part for part in folder_key.split("/") if part]
    page = ListingPage()
    if folder_parts and not servable_parts(folder_parts):
        return page
    folder = root.joinpath(*folder_parts)
    try:
        folder.resolve().relative_to(root)
    except (OSError, ValueError):
        return page
    if not folder.is_dir():
        return page
    if delimiter:
        candidates: Iterator[tuple[str, os.DirEntry[str]]] = (
            (key, entry) for key, entry in _children(folder, folder_key) if key > after or after.startswith(key)
        )
    else:
        candidates = _walk(folder, folder_key, after, prefix)
    count = 0
    last = ""
    for key, entry in candidates:
        if not key.startswith(prefix):
            if key > prefix and not prefix.startswith(key):
                break  # sorted: nothing later can match
            continue
        if key.endswith("/") and key <= after:
            continue
        if count == max_keys:
            # (a following folder might hold no file: the next page is then empty, which clients accept)
            page.is_truncated = True
            page.next_token = encode_token(last)
            break
        if key.endswith("/") and not _has_file(folder / entry.name, key):
            continue
        if key.endswith("/"):
            page.prefixes.append(key)
        else:
            page.keys.append((key, entry.stat()))
        count += 1
        last = key
    return page
