"""Every tuning value of the segmenter in one place, each with a line on what it means.

Heights are fractions of the frame's height at the working size unless a line says pixels;
shapes are ratios of a box's width to its height.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SegmentConfig:
    # --- what is looked for
    work_width: int = 320  # frames wider than this are searched at this width
    polarity: str = "auto"  # "dark" ink on light paper, "light" ink on a dark board, or "auto"
    ink_floor: float = 0.14  # least ink strength (fraction of the paper's brightness) counted as ink
    min_height: float = 0.012  # smallest digit, as a fraction of the frame's height (6 px of 480) ...
    min_height_unsure: float = 0.045  # ... with a model that cannot say "not a digit" (10 outputs) ...
    min_px: float = 4.0  # ... and in working pixels, whatever the frame ...
    text_share: float = 0.3  # ... and of the writing's typical height (dust is smaller than the digits)
    zoom_below: float = 12.0  # writing under this many working pixels tall is looked at again, closer ...
    zoom_to: float = 20.0  # ... at the working size that makes it about this tall ...
    zoom_agree: float = 1.5  # ... kept if the writing seen there is at most this much taller than foreseen
    max_work_width: int = 1600  # the closest look: frames are never searched wider than this
    max_height: float = 0.98  # largest digit, as a fraction of the frame's height: close-ups fill it
    max_pieces: int = 400  # a frame with more pieces than this is noise: keep the largest
    max_blobs: int = 256  # at most this many blobs go to the classifier (a dense page holds 200)
    # --- the sheet on a desk
    page_min: float = 0.03  # a sheet covers at least this share of the frame ...
    page_max: float = 0.97  # ... and at most this (more is a frame of paper)
    page_convexity: float = 0.85  # of its convex hull a sheet fills at least this
    page_contrast: float = 0.35  # the surround is at most this bright, relative to the paper ...
    page_dim: float = 0.7  # ... or, with a sharp step at the sheet's edge, at most this (dim light)
    page_margin: float = 0.02  # of the frame's shorter side kept off the sheet's edge
    page_crop: float = 0.5  # a sheet whose box covers less of the frame than this is read at its own size
    page_grain: float = 0.04  # grain (mean local deviation) above this share of the paper level is no paper
    # --- reading the ink
    min_side: int = 8  # frames smaller than this many working pixels hold no digit
    noisy: float = 2.0  # sensor noise (grey levels) above which blocks are averaged, not min-pooled
    paper_digit: float = 0.7  # the paper level closes over the strokes of a digit this tall (of the height)
    polarity_window: int = 15  # working pixels of the local mean that ink is told apart from
    weak: float = 0.75  # the hysteresis low threshold, as a fraction of the strong one
    otsu_cap: float = 0.22  # ink this strong is ink whatever Otsu says: bold pens must not hide fine ones
    # --- ruled and graph-paper lines
    line_x: float = 0.25  # a horizontal run this fraction of the frame's width is a line, not a stroke
    line_y: float = 0.45  # a vertical run this fraction of the frame's height is a line
    busy: float = 0.3  # ink on more than this share of the frame is a texture, not writing on lines
    ruled: int = 3  # a page where this many lines were found has lines ...
    line_rest: float = 0.5  # ... and there runs this share of a line's length are lines too
    line_thickness: float = 0.02  # ... no thicker than this (of the shorter side): a rule, not a pen's stroke
    # --- pieces into digits
    column_overlap: float = 0.6  # pieces sharing this much of the narrower's columns are one digit ...
    column_gap: float = 0.25  # ... when no further apart vertically than this of the taller
    whole_digit: float = 0.7  # ... unless both are this tall for the writing: two rows, not one digit
    stacked_tall: float = 1.5  # ... or together taller than this for the writing
    fragment: float = 0.5  # a piece under this fraction of a neighbour's height beside it is part of it
    fragment_reach: float = 0.08  # how far beside (of the neighbour's height) a fragment may be
    largest_owner: float = 2.5  # a blob taller than this times the writing is no row of digits
    band_width: float = 0.5  # ... and one this wide for the writing, and for its own height, is a
    # page's dark edge: it takes no fragment beside it
    frame_height: float = 1.5  # a piece taller than this times the writing ...
    frame_fill: float = 0.15  # ... and filling less of its box is a frame round digits: it takes none
    broken_width: float = 0.9  # pieces whose union is at most this wide for its height may be one digit
    broken_gap: float = 0.2  # ... and at most this far apart (of the union's height)
    tailed_width: float = 0.2  # ... unless side by side, each a digit tall and at least this wide
    # for its height (no letter's stem, no rule), together far taller than the writing: two digits
    bracket_width: float = 0.5  # ... or one is a plain stroke bowed away from the other (a bracket),
    bracket_taller: float = 0.9  # at most this wide for its height, at least this share of the
    bracket_holds: float = 0.4  # other's height, the other at least this share of its own
    # --- what cannot be a digit
    max_width: float = 0.98  # of the frame's width: wider is a page edge or a shadow
    max_aspect: float = 4.0  # wider than this: a dash or the rest of a line
    rule_width: float = 0.2  # narrower than this for its height and far taller than the writing: a rule
    solid_fill: float = 0.75  # ink filling this much of a box ...
    solid_min_px: float = 24.0  # ... and at least this many working pixels tall (a small 8 fills in)
    solid_width: float = 0.35  # ... wider than this is a blot, a thumb or a shadow's edge (a "1" is thin)
    # --- touching digits and the crops
    split_width: float = 1.1  # blobs wider than this may be touching digits
    side_overlap: float = 0.5  # pieces joined side by side, sharing at most this share of the
    # narrower side's columns, are offered apart too
    alone_width: float = 0.5  # a digit offered without a short mark beside it is this share of the width
    alone_mark: float = 0.35  # ... and the mark at most this share of the height
    digit_aspect: float = 0.7  # a digit's usual width, to count the digits in a wide blob
    max_parts: int = 6  # the most digits a wide blob is cut into
    max_cuts: int = 10  # a second look at a blob read poorly cuts it at most at this many valleys ...
    span_width: float = 1.3  # ... into spans at most this wide for the blob's height ...
    span_height: float = 0.35  # ... and at least this tall for it (shorter is a piece of a stroke;
    # the small 0s of a "400" written beside a tall 4 are 0.4 of it) ...
    look_again: float = 0.6  # ... when the blob is at least this wide for its height
    big_blob: int = 36  # blobs this many working pixels tall are cut from the working size, not the frame
    thin_stroke: float = 0.076  # strokes thinner than this fraction of the digit's size are widened ...
    target_stroke: float = 0.11  # ... to this, MNIST's median (measured on its test set)


DEFAULT = SegmentConfig()
