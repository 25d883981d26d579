"""Image recipes of the small posts: the capsule two-digit test (:mod:`kexue.vision.two_digits`)
and the fine-tuning recipe with a GLU head, center loss, staged unfreezing and pseudo-labels
(:mod:`kexue.vision.finetune`, data in :mod:`kexue.vision.transfer_data`). Import from the
modules (this package imports nothing, so it stays cheap)."""
