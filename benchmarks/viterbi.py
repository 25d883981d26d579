"""Viterbi decoding of a padded batch: kexue (NumPy and in-graph) vs bert4keras's ViterbiDecoder.

A batch of random potentials (BIO tags for 4 entity types: 9 labels) with random lengths is
decoded three ways, and every result is checked against the others:

* bert4keras 0.11.5 ``snippets.ViterbiDecoder.decode``, one sequence at a time (NumPy);
* ``kexue.decoding.viterbi.ViterbiDecoder.decode``, one sequence at a time (NumPy);
* ``kexue.decoding.viterbi.viterbi_decode`` on the whole batch, compiled (``jax.jit`` on JAX;
  on torch the eager ops, as a Keras model runs them).

    KERAS_BACKEND=jax   nice -n 10 .venv/bin/python benchmarks/viterbi.py
    KERAS_BACKEND=torch nice -n 10 .venv/bin/python benchmarks/viterbi.py
"""

from __future__ import annotations

import argparse
import os
import sys
import types

import numpy as np
from _timing import best_time


def bert4keras_decoder():
    """bert4keras's ViterbiDecoder; its snippets module imports a TensorFlow backend it does
    not need for decoding, so that module is stubbed first."""
    stub = types.ModuleType("bert4keras.backend")
    stub.K = stub.keras = stub.tf = None
    sys.modules.setdefault("bert4keras.backend", stub)
    from bert4keras.snippets import ViterbiDecoder

    return ViterbiDecoder



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--length", type=int, default=64)
    parser.add_argument("--labels", type=int, default=9)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import keras

    from kexue.decoding.viterbi import ViterbiDecoder, viterbi_decode

    rng = np.random.default_rng(0)
    potentials = rng.normal(size=(args.batch, args.length, args.labels)).astype(
        "float32"
    )
    trans = rng.normal(size=(args.labels, args.labels)).astype("float32")
    lengths = rng.integers(args.length // 2, args.length + 1, args.batch)
    mask = np.arange(args.length)[None] < lengths[:, None]
    tokens = int(lengths.sum())

    peer = bert4keras_decoder()(trans)
    ours = ViterbiDecoder(trans)

    def per_sequence(decoder):
        # bert4keras's decode writes into its argument: hand it a copy.
        return [
            decoder.decode(potentials[b, : lengths[b]].copy())
            for b in range(args.batch)
        ]

    decode = viterbi_decode
    if keras.backend.backend() == "jax":
        import jax

        decode = jax.jit(viterbi_decode)
    decode(potentials, trans, mask)  # compile / warm up

    def batched():
        return keras.ops.convert_to_numpy(decode(potentials, trans, mask)[0])

    t_peer, peer_paths = best_time(lambda: per_sequence(peer), args.repeats)
    t_numpy, numpy_paths = best_time(lambda: per_sequence(ours), args.repeats)
    t_graph, graph_paths = best_time(batched, args.repeats)
    for b in range(args.batch):
        n = lengths[b]
        assert (np.asarray(peer_paths[b]) == numpy_paths[b]).all()
        assert (graph_paths[b, :n] == numpy_paths[b]).all()

    backend = keras.backend.backend()
    print(
        f"{args.batch} sequences, lengths {args.length // 2}-{args.length}, {args.labels} labels, "
        f"{tokens} tokens; backend {backend}; best of {args.repeats}"
    )
    print("| decoder | seconds | tokens/s | vs bert4keras |")
    print("| --- | --- | --- | --- |")
    rows = [
        ("bert4keras 0.11.5 `ViterbiDecoder` (per sequence)", t_peer),
        ("kexue `ViterbiDecoder` (NumPy, per sequence)", t_numpy),
        (f"kexue `viterbi_decode` (batched, {backend})", t_graph),
    ]
    for name, seconds in rows:
        print(
            f"| {name} | {seconds:.4f} | {tokens / seconds:,.0f} | {t_peer / seconds:.2f}× |"
        )


if __name__ == "__main__":
    os.environ.setdefault("KERAS_BACKEND", "jax")
    main()
