"""The one "minus infinity" of kexue: the score written where something must not count.

Masked attention scores, padded CRF potentials, padded multilabel scores, forbidden tokens in
sampling and beam search, and the target column of a margin softmax all take
:data:`LARGE_NEGATIVE`. It is finite on purpose: ``score - max(score)`` over a fully masked row
is 0, not NaN (``-inf - -inf`` would be), float32 sums of masked scores (beam search) stay
finite, and ``exp`` of it is exactly 0 in every float type.

``-1e12`` does not fit in float16 (largest 65504); :func:`large_negative` gives the value for a
dtype, ``-0.7 * finfo(dtype).max`` where that is closer to 0, leaving headroom for a score added
to it. bfloat16 holds ``-1e12`` (as ``-1.00073e12``), float32 and float64 exactly enough.

Example:
    >>> from kexue.masking import LARGE_NEGATIVE, large_negative
    >>> LARGE_NEGATIVE
    -1000000000000.0
    >>> large_negative("bfloat16") == LARGE_NEGATIVE, round(large_negative("float16"))
    (True, -45853)
"""

from __future__ import annotations

from typing import Any

import keras
import ml_dtypes

__all__ = ["LARGE_NEGATIVE", "MASK_THRESHOLD", "large_negative"]

#: The masking value: far below any real score, finite, ``exp`` of it is 0.
LARGE_NEGATIVE = -1e12
#: Scores below this count as masked (e.g. the padded rows a CRF layer writes).
MASK_THRESHOLD = -1e6


def large_negative(dtype: Any = "float32") -> float:
    """:data:`LARGE_NEGATIVE`, or ``-0.7 × the largest finite value`` of ``dtype`` when that is
    closer to 0 (float16), so the value and a score added to it stay finite in ``dtype``.

    ``dtype`` is anything Keras understands (``"bfloat16"``, ``x.dtype`` of a tensor of any
    backend).

    Example:
        >>> large_negative("float32")
        -1000000000000.0
    """
    name = keras.backend.standardize_dtype(dtype)
    if name not in _BY_DTYPE:
        raise ValueError(
            f"a masking value needs a floating dtype ({', '.join(_BY_DTYPE)}), got {name!r}."
        )
    return _BY_DTYPE[name]


# A fixed table, so that the lookup traces into compiled code (torch.compile) without a break.
_BY_DTYPE = {
    name: max(LARGE_NEGATIVE, -0.7 * float(ml_dtypes.finfo(name).max))
    for name in ("float16", "bfloat16", "float32", "float64")
}
