"""kexue: the working system of the Scientific Spaces (kexue.fm) blog for Keras 3.

Subpackages (import what you need; nothing heavy happens at ``import kexue``):

- ``kexue.models``       one parameterised Transformer, ``build_transformer_model``
- ``kexue.checkpoints``  Hugging Face safetensors and TensorFlow 1 checkpoints, strict loading
- ``kexue.tokenizers``   ``Tokenizer`` (WordPiece on HF ``tokenizers``), ``SpTokenizer``
- ``kexue.data``         ``sequence_padding``, ``DataGenerator`` and friends
- ``kexue.layers``       Keras layers (attention, positions, norms, CRF, pointers, ...)
- ``kexue.decoding``     ``AutoRegressiveDecoder``, KV-cached generation, Viterbi
- ``kexue.optimizers``, ``kexue.callbacks``, ``kexue.losses``  training extensions
- ``kexue.generative``   VAE, flows, GANs and relatives
- ``kexue.text``         new-word discovery, domain terms, GloVe, NCE
- ``kexue.sim``, ``kexue.geometry``  Gillespie simulation, random-vector geometry

Importing kexue makes JAX the Keras backend when none is configured (see
``kexue._default_backend``); an explicit ``KERAS_BACKEND`` always wins.
"""

from kexue._default_backend import select_default_backend as _select_default_backend

_select_default_backend()

__version__ = "0.1.0"
