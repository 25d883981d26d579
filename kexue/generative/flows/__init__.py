"""Normalising flows: invertible layers with exact log-determinants and the models built on them.

Every layer follows :class:`~kexue.generative.flows.base.FlowLayer`: ``layer(x)`` returns
``(y, logdet)`` and ``layer(y, inverse=True)`` returns ``x``.
"""

from kexue.generative.flows.actnorm import Actnorm, data_dependent_init
from kexue.generative.flows.base import FlowLayer
from kexue.generative.flows.coupling import Coupling
from kexue.generative.flows.glow import FlowModel
from kexue.generative.flows.invconv import InvertibleConv1x1
from kexue.generative.flows.iresnet import InvertibleResidual, spectral_norm_estimate
from kexue.generative.flows.split import Split
from kexue.generative.flows.squeeze import Flatten, Squeeze

__all__ = ["Actnorm", "Coupling", "Flatten", "FlowLayer", "FlowModel", "InvertibleConv1x1", "InvertibleResidual",
           "Split", "Squeeze", "data_dependent_init",
           "spectral_norm_estimate"]
