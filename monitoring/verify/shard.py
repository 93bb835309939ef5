"""`monitoring test --shard K/N`: a deterministic 1/N of the files, so CI machines can split an estate."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Shard:
    index: int = 1  # 1-based, as users write it
    count: int = 1

    @property
    def first(self) -> bool:
        return self.index == 1

    def take(self, items: list, name) -> list:
        """Every N-th item in name order, starting at the K-th: balanced, and the same on every machine."""
        ordered = sorted(items, key=name)
        return ordered[self.index - 1 :: self.count]

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


ALL = Shard()  # no sharding: every file


def parse_shard(text: str) -> Shard:
    found = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not found or not 1 <= int(found.group(1)) <= int(found.group(2)):
        raise ValueError(f"{text!r} is not K/N with 1 <= K <= N (e.g. 2/4: the second of four shards)")
    return Shard(int(found.group(1)), int(found.group(2)))
