"""kexue.checkpoints."""
