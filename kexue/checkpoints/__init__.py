"""Checkpoint reading (Hugging Face safetensors, TensorFlow 1 without TensorFlow), strict
assignment to model variables, and writing Hugging Face folders (``save_pretrained``)."""

from kexue.checkpoints.export import save_pretrained
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
    "save_pretrained",
]
