"""Weight-decay exclusions that suit Transformers.

Example:
    >>> import keras
    >>> from kexue.optimizers.weight_decay import TRANSFORMER_NO_DECAY
    >>> optimizer = keras.optimizers.AdamW(weight_decay=0.01)
    >>> optimizer.exclude_from_weight_decay(var_names=TRANSFORMER_NO_DECAY)
"""

__all__ = ["TRANSFORMER_NO_DECAY"]

#: Variable-name regexes excluded from weight decay in BERT-style training: normalisation
#: scales and offsets and every bias (including the MLM output bias).
TRANSFORMER_NO_DECAY = [r"^gamma$", r"^beta$", r"^bias$", r"norm", r"^scale$"]
