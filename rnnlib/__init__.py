"""rnnlib: the library built, chapter by chapter, in "Recurrent Neural Networks from Scratch".

Core (chapter 00): utils (seed_everything, default_device, show), gradcheck, train.fit,
plot, data. Later chapters add the numpy reference models and the torch layers.
"""
from . import data, gradcheck, plot, train, utils
from .train import fit
from .utils import default_device, seed_everything, show

__all__ = ["data", "gradcheck", "plot", "train", "utils",
           "fit", "default_device", "seed_everything", "show"]
