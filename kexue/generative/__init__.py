"""Generative-model zoo: VAEs, flows, GANs and their relatives (see docs/generative/)."""
