"""Weight-decay exclusions that suit Transformers."""

__all__ = ["TRANSFORMER_NO_DECAY"]

#: Variable-name regexes excluded from weight decay in BERT-style training: normalisation
#: scales and offsets and every bias (including the MLM output bias).
TRANSFORMER_NO_DECAY = [r"^gamma$", r"^beta$", r"^bias$", r"norm", r"^scale$"]
