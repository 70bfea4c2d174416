"""Connected pieces of ink, and the joining of pieces into digits (a 5's hat, a broken stroke)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from digits.edge.core.blob import Box, union
from digits.edge.core.doubts import PAIR_BOW, mask_bracket_bow, square_bracket
from digits.edge.core.groups import Groups
from digits.edge.core.tuning import DEFAULT, SegmentConfig


@dataclass(frozen=True)
class Piece:
    box: Box  # at the working size
    area: int
    label: int  # component label in the label image


def find_pieces(components, strong: np.ndarray, min_side: int,
                max_pieces: int) -> tuple[list[Piece], np.ndarray]:
    """Connected pieces of the weak mask that hold strong ink, specks (< min_side) dropped.

    `components` is OpenCV's connectedComponentsWithStats of the weak mask.
    """
    count, labels, stats, _ = components
    if count <= 1:
        return [], labels
    has_strong = np.zeros(count, bool)
    has_strong[labels[strong > 0]] = True
    x, y, w, h, area = (stats[:, i] for i in range(5))
    keep = has_strong & (np.maximum(w, h) >= min_side) & (area >= 3)
    keep[0] = False
    index = np.flatnonzero(keep)
    if len(index) > max_pieces:  # thousands of specks: keep the largest, bounded work
        index = index[np.argsort(-area[index], kind="stable")[:max_pieces]]
    pieces = [Piece((int(x[i]), int(y[i]), int(w[i]), int(h[i])), int(area[i]), int(i)) for i in index]
    return pieces, labels


def unbridge(pieces: list[Piece], labels: np.ndarray, strict: np.ndarray, text_h: float,
             min_side: int, cfg: SegmentConfig = DEFAULT) -> list[Piece]:
    """Split a piece that holds two digits joined only through a removed rule.

    Re-joining strokes across a rule also joins a digit sitting on the rule to one hanging
    below it (a table's rows, a notebook list). `strict` is the mask with the rules taken
    out and nothing re-joined: a piece that falls apart there into two or more pieces each
    as tall as the writing is those pieces (their labels are written into `labels`); a
    digit crossing the rule falls apart into pieces shorter than the writing, and stays whole.
    """
    if not text_h:
        return pieces
    tall = cfg.whole_digit * text_h
    out: list[Piece] = []
    next_label = int(labels.max()) + 1
    for p in pieces:
        x, y, w, h = p.box
        if h < 2 * tall and w < 2 * cfg.digit_aspect * tall:
            out.append(p)
            continue
        own = ((labels[y : y + h, x : x + w] == p.label) & (strict[y : y + h, x : x + w] > 0)).view(np.uint8)
        count, sub, stats, _ = cv2.connectedComponentsWithStats(own, connectivity=8)
        whole = [i for i in range(1, count) if stats[i, cv2.CC_STAT_HEIGHT] >= tall]
        if len(whole) < 2 or next_label + count >= np.iinfo(labels.dtype).max:
            out.append(p)
            continue
        window = labels[y : y + h, x : x + w]
        for i in range(1, count):
            sx, sy, sw, sh, area = (int(v) for v in stats[i])
            if max(sw, sh) < min_side:
                continue
            window[sub == i] = next_label
            out.append(Piece((x + sx, y + sy, sw, sh), area, next_label))
            next_label += 1
    return out


def join_pieces(pieces: list[Piece], min_h: float = 0.0, cfg: SegmentConfig = DEFAULT,
                text_h: float = 0.0, ruled: bool = False,
                labels: np.ndarray | None = None) -> list[list[Piece]]:
    """Group pieces that sit one above another in the same column: parts of one digit.

    Digits in a number sit side by side, so pieces that share most of their columns and are
    close vertically are one digit broken apart (a 5's hat, a faint join in a 4 or an 8).
    Two pieces that are each as tall as the writing (`text_h`, the typical piece) are two
    digits in a column, one per row, however close the rows.
    """
    whole = cfg.whole_digit * text_h
    n = len(pieces)
    joined = Groups(n)
    find = joined.find

    # the digit-tall pieces in each group: a small piece between two rows (a stroke's end cut
    # off at a rule) must not join them into one group through itself
    tall_in = {i: [pieces[i].box] if ruled and text_h and pieces[i].box[3] >= whole else [] for i in range(n)}

    def two_rows(ra: int, rb: int) -> bool:
        return any(min(y1 + h1, y2 + h2) <= max(y1, y2)
                   for _, y1, _, h1 in tall_in[ra] for _, y2, _, h2 in tall_in[rb])

    order = sorted(range(n), key=lambda i: pieces[i].box[0])
    for a_pos, a in enumerate(order):
        ax, ay, aw, ah = pieces[a].box
        for b in order[a_pos + 1 :]:
            bx, by, bw, bh = pieces[b].box
            if bx >= ax + aw:
                break  # sorted by x: nothing further right overlaps a's columns
            overlap = min(ax + aw, bx + bw) - max(ax, bx)
            gap = max(ay, by) - min(ay + ah, by + bh)  # negative when the rows overlap
            tall = max(ah, bh)
            if text_h and min(ah, bh) >= whole:
                continue  # two rows
            if text_h and max(ay + ah, by + bh) - min(ay, by) > cfg.stacked_tall * text_h:
                continue  # together far taller than the writing: a small digit above another
            if any(is_frame(p.box, p.area, text_h, cfg) for p in (pieces[a], pieces[b])):
                continue
            if overlap >= cfg.column_overlap * min(aw, bw) and gap <= cfg.column_gap * tall:
                small, big = (a, b) if pieces[a].area < pieces[b].area else (b, a)
                # a small piece may join a bigger one; two big side-by-side ones are two digits
                if (overlap >= cfg.column_overlap * max(aw, bw) or gap > 0
                        or pieces[small].area < 0.5 * pieces[big].area):
                    ra, rb = find(a), find(b)
                    if ra != rb and not two_rows(ra, rb):
                        joined.attach(ra, rb)
                        tall_in[rb] = tall_in[rb] + tall_in[ra]
    groups: dict[int, list[Piece]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(pieces[i])
    bow_of = None if labels is None else (lambda p: stroke_bow(p, labels))
    return join_broken(attach_fragments(list(groups.values()), min_h, cfg, text_h), cfg, text_h, bow_of)


def stroke_bow(piece: Piece, labels: np.ndarray) -> float:
    """How far a piece bows as a bracket does (`doubts.bracket_bow`; 0 unless it is one plain
    curved stroke), from its own pixels in the label image; a square bracket counts as bowed
    just enough (its sign says which way it opens)."""
    x, y, w, h = piece.box
    own = (labels[y : y + h, x : x + w] == piece.label).view(np.uint8)
    return mask_bracket_bow(own) or PAIR_BOW * square_bracket(own)


def attach_fragments(groups: list[list[Piece]], min_h: float = 0.0,
                     cfg: SegmentConfig = DEFAULT, text_h: float = 0.0) -> list[list[Piece]]:
    """Give each fragment (under half as tall as a neighbour, and touching or nearly touching
    it) to that neighbour: a detached hat or tail, a stroke broken off at a ruled line.

    Digits of one number are of a height, so something half as tall right beside a digit is
    part of it rather than a digit of its own.
    """
    boxes = [group_box(g) for g in groups]
    order = sorted(range(len(groups)), key=lambda i: -boxes[i][3])
    # only a digit-sized group takes a part, and not a box drawn round the writing
    owners = [j for j in order if boxes[j][3] >= min_h
              and not (len(groups[j]) == 1 and is_frame(groups[j][0].box, groups[j][0].area, text_h, cfg))
              and not (len(groups[j]) == 1 and _band(boxes[j], text_h, cfg))]
    owner = list(range(len(groups)))
    for i in order[::-1]:  # the smallest first
        x, y, w, h = boxes[i]
        best, best_gap = None, None
        for j in owners:
            bx, by, bw, bh = boxes[j]
            if h >= cfg.fragment * bh:
                break  # tallest first: every later one is shorter still
            reach = cfg.fragment_reach * bh
            if bx > x + w + reach or x > bx + bw + reach or by > y + h + reach or y > by + bh + reach:
                continue
            gap = max(bx - (x + w), x - (bx + bw), by - (y + h), y - (by + bh))
            if best_gap is None or gap < best_gap:
                best, best_gap = j, gap
        if best is not None:
            owner[i] = best
    merged: dict[int, list[Piece]] = {}
    for i, g in enumerate(groups):
        root = i
        while owner[root] != root:
            root = owner[root]
        merged.setdefault(root, []).extend(g)
    return list(merged.values())


def _band(box: Box, text_h: float, cfg: SegmentConfig) -> bool:
    """A piece's box that is a band far taller than the writing (a page's dark edge, a shadow's:
    at least half the writing's height wide, at most half its own). It takes nothing: the
    digits beside it stay digits. A rule's remains are thinner, a picture wider."""
    _, _, w, h = box
    tall = bool(text_h) and h > cfg.largest_owner * text_h
    return tall and cfg.band_width * text_h <= w <= cfg.band_width * h


def join_broken(groups: list[list[Piece]], cfg: SegmentConfig = DEFAULT, text_h: float = 0.0,
                bow_of: Callable[[Piece], float] | None = None) -> list[list[Piece]]:
    """Join neighbouring groups whose union is still shaped like one digit: a fine or faint
    stroke broken in two side by side (an open 4, a 2's base apart from its hook).

    Two digits side by side make a union wider than a digit (w > broken_width h), so they
    stay apart; so do two tall strokes side by side (a "11"), each nearly the union's height,
    and two groups each as tall as the writing (`text_h`), one wholly above the other: two rows,
    and a bracket beside what it holds (`_bracket_beside`, when `bow_of` measures a piece's bow).
    """
    whole = cfg.whole_digit * text_h if text_h else float("inf")
    boxes = [group_box(g) for g in groups]
    merged = True
    while merged and len(groups) > 1:
        merged = False
        order = sorted(range(len(groups)), key=lambda i: boxes[i][0])
        for a_pos, a in enumerate(order):
            ax, ay, aw, ah = boxes[a]
            for b in order[a_pos + 1 :]:
                bx, by, bw, bh = boxes[b]
                if bx > ax + aw + cfg.broken_gap * max(ah, bh):
                    break
                ux, uy = min(ax, bx), min(ay, by)
                uw, uh = max(ax + aw, bx + bw) - ux, max(ay + ah, by + bh) - uy
                union = (ux, uy, uw, uh)
                gap = max(bx - (ax + aw), ax - (bx + bw), by - (ay + ah), ay - (by + bh))
                stacked = min(ay + ah, by + bh) <= max(ay, by)  # one wholly above the other
                both_tall = min(ah, bh) >= 0.7 * uh or (stacked and min(ah, bh) >= whole)
                substantial = min(ah, bh) >= 0.3 * uh  # not a speck or a rule's leftover
                one_shape = uw <= cfg.broken_width * uh and gap <= cfg.broken_gap * uh
                if stacked and text_h and uh > cfg.stacked_tall * text_h:
                    one_shape = False  # far taller than the writing: a small digit above another
                if (min(ax + aw, bx + bw) <= max(ax, bx) and min(ah, bh) >= whole
                        and uh > cfg.stacked_tall * text_h and min(aw / ah, bw / bh) >= cfg.tailed_width):
                    one_shape = False  # side by side, each as tall as the writing, together far
                    # taller: two digits, one with a long tail (a 9's, a 7's), not one digit
                if (one_shape and bow_of is not None
                        and _bracket_beside(groups[a], boxes[a], groups[b], boxes[b], bow_of, cfg)):
                    one_shape = False
                if one_shape and substantial and not both_tall:
                    groups[a] = [*groups[a], *groups[b]]
                    boxes[a] = union
                    del groups[b], boxes[b]
                    merged = True
                    break
            if merged:
                break
    return groups


def _bracket_beside(left: list[Piece], left_box: Box, right: list[Piece], right_box: Box,
                    bow_of: Callable[[Piece], float], cfg: SegmentConfig = DEFAULT) -> bool:
    """Whether one of two neighbours is a bracket round the other: one plain stroke, narrow,
    at least as tall as its neighbour and bowed away from it ("(" on the left, ")" on the
    right), beside something at least half its height. A digit broken in two has no such
    side: a 4's stem is straight, a 0's halves are both tall."""
    for group, box, other, away in ((left, left_box, right_box, 1.0), (right, right_box, left_box, -1.0)):
        _, _, w, h = box
        if (len(group) == 1 and w <= cfg.bracket_width * h and cfg.bracket_taller * other[3] <= h
                and other[3] >= cfg.bracket_holds * h and away * bow_of(group[0]) >= PAIR_BOW):
            return True
    return False


def is_frame(box: Box, area: int, text_h: float, cfg: SegmentConfig = DEFAULT) -> bool:
    """Ink of `area` pixels in `box` that is a box drawn round the writing or a table's
    leftover rules: far taller than the writing and mostly empty. It takes no other piece, so
    the digits inside it stay digits."""
    x, y, w, h = box
    return bool(text_h) and h > cfg.frame_height * text_h and area < cfg.frame_fill * w * h


def group_box(group: list[Piece]) -> Box:
    return union(p.box for p in group)
