"""Checkpoint reading (Hugging Face safetensors, TensorFlow 1 without TensorFlow) and strict
assignment to model variables."""

from kexue.checkpoints.loader import CheckpointMismatch, LoadReport, Ref, load_weights
from kexue.checkpoints.sources import CheckpointError, open_checkpoint
from kexue.checkpoints.tf1 import TF1Checkpoint, resolve_tf1_prefix

__all__ = [
    "CheckpointError",
    "CheckpointMismatch",
    "LoadReport",
    "Ref",
    "TF1Checkpoint",
    "load_weights",
    "open_checkpoint",
    "resolve_tf1_prefix",
]
