"""Which items have been joined, directly or through others: the segmenter's pieces into digits,
the reader's letters into words. Union-find with path halving; roots are item indices."""

from __future__ import annotations


class Groups:
    def __init__(self, count: int):
        self.parent = list(range(count))

    def find(self, i: int) -> int:
        """The root of i's group."""
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def attach(self, root: int, to_root: int) -> None:
        """Put the group whose root is `root` into the group whose root is `to_root`."""
        self.parent[root] = to_root
