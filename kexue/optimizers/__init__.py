"""kexue.optimizers."""
