"""Callbacks: best-weights evaluator, linear warm-up, EMA swapping, loss-weight schedules."""

from kexue.callbacks.ema import EMAWeights
from kexue.callbacks.evaluator import Evaluator
from kexue.callbacks.loss_weight import LossWeightScheduler, WeightedLoss
from kexue.callbacks.warmup import LinearWarmup

__all__ = ["EMAWeights", "Evaluator", "LinearWarmup", "LossWeightScheduler", "WeightedLoss"]
