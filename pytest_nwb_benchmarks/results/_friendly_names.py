"""Friendly, anonymous machine names such as ``HappySun``.

Result files never carry the host name; a machine is known by a random adjective and noun
chosen once and kept in the benchmarks home.
"""

from __future__ import annotations

import os
import random
import re
import tempfile
from pathlib import Path

from pytest_nwb_benchmarks.utils._paths import benchmarks_home

MACHINE_NAME_FILE = "machine_name.txt"

_ADJECTIVES: tuple[str, ...] = tuple(
    """
    Agile Amber Ancient Arctic Azure Bold Brave Breezy Bright Brisk Calm Candid Cheerful Clever Cobalt
    Cosmic Cozy Crimson Crisp Curious Daring Dapper Dazzling Eager Earnest Electric Emerald Fancy
    Fearless Fluffy Frosty Gentle Giant Gleaming Golden Graceful Grand Happy Hardy Hasty Honest Humble
    Icy Jolly Jovial Keen Kind Lively Lucky Lunar Mellow Merry Mighty Misty Modest Nimble Noble Olive
    Patient Peaceful Polite Proud Quick Quiet Radiant Rapid Rosy Rustic Scarlet Serene Shiny Silent
    Silver Sleek Smooth Snowy Solar Spry Steady Stormy Sturdy Sunny Swift Tidy Tranquil Velvet Vivid
    Warm Wise Witty Zesty
    """.split()
)
_NOUNS: tuple[str, ...] = tuple(
    """
    Acorn Anchor Apple Aurora Badger Beacon Bear Birch Bison Breeze Brook Canyon Cedar Cliff Cloud
    Comet Coral Crane Creek Dawn Delta Dolphin Dune Eagle Ember Falcon Fern Field Finch Fjord Forest
    Fox Galaxy Garden Glacier Grove Harbor Hawk Heron Hill Island Jaguar Lagoon Lake Lantern Leaf Lily
    Lion Lotus Maple Meadow Meteor Moon Moose Mountain Nebula Oak Ocean Orchid Otter Owl Panda Pebble
    Pine Planet Prairie Quartz Rabbit Raven River Robin Sail Sequoia Shore Sky Sparrow Spruce Star
    Stone Summit Sun Thunder Tiger Trail Valley Wave Willow Wolf Wren
    """.split()
)
_FRIENDLY_NAME = re.compile(r"[A-Z][a-z]+[A-Z][a-z]+")


def random_friendly_name(rng: random.Random | None = None) -> str:
    """Return a random CamelCase adjective and noun, such as ``"HappySun"``.

    Parameters
    ----------
    rng : random.Random, optional
        The random generator to draw from (for reproducible names); a fresh system-seeded one by
        default.

    Returns
    -------
    str
        The name.
    """
    rng = rng if rng is not None else random.SystemRandom()
    return rng.choice(_ADJECTIVES) + rng.choice(_NOUNS)


def machine_friendly_name() -> str:
    """Return this machine's friendly name, choosing and storing it on first use.

    The name is kept in ``benchmarks_home()/machine_name.txt`` and is the same on every later call.

    Returns
    -------
    str
        The name.

    Raises
    ------
    ValueError
        When the stored file holds something that is not a friendly name (the file is left as is).
    """
    path = benchmarks_home() / MACHINE_NAME_FILE
    if not path.exists():
        _create_name_file(path, random_friendly_name())
    name = path.read_text(encoding="utf-8").strip()
    if not _FRIENDLY_NAME.fullmatch(name):
        raise ValueError(
            f"{path} holds {name[:60]!r}, which is not a friendly machine name (CamelCase letters such as "
            "'HappySun'); fix or delete the file"
        )
    return name


def _create_name_file(path: Path, name: str) -> None:
    """Write the name to a temporary file and link it into place, so a racing process keeps the first name."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".machine_name-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(name + "\n")
            stream.flush()
            os.fsync(stream.fileno())
        try:
            os.link(temporary, path)  # fails if another process created the name first
        except FileExistsError:
            pass
        except OSError:
            # File systems without hard links: fall back to an exclusive create.
            try:
                with open(path, "x", encoding="utf-8") as stream:
                    stream.write(name + "\n")
            except FileExistsError:
                pass
    finally:
        os.unlink(temporary)
