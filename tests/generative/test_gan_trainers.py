"""Every GAN-family zoo entry runs end to end for one epoch and writes its files."""

import json

import keras
import numpy as np
import pytest

from kexue.generative.zoo import MODELS, get_trainer

CASES = [("gan", "moons"), ("fgan", "eight_gaussians"), ("cascade_gan", "moons"), ("vi_gan", "moons"),
         ("energy_gan", "moons"), ("ogan", "digits"), ("imle", "eight_gaussians"), ("glann", "digits"),
         ("infomax", "digits")]


@pytest.mark.slow
@pytest.mark.parametrize("name, data", CASES)
def test_trainer_writes_its_outputs(name, data, tmp_path):
    assert name in MODELS
    metrics = get_trainer(name)(data, tmp_path, epochs=1, progress=False)
    assert metrics["model"] == name and metrics["data"] == data
    assert json.loads((tmp_path / "metrics.json").read_text()) == metrics
    assert (tmp_path / "samples.png").stat().st_size > 0
    model = keras.models.load_model(tmp_path / "model.keras")
    if hasattr(model, "sample"):
        assert np.all(np.isfinite(model.sample(4, seed=1)))
