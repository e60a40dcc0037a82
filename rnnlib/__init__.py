"""rnnlib: the library built, chapter by chapter, in "Recurrent Neural Networks from Scratch".

Core (chapter 00): utils (seed_everything, default_device, show), gradcheck, train.fit,
plot, data. Chapters 01-03: numpy_rnn (float64 reference with hand-written backward),
cells and layers (torch modules from the same equations), tbptt, diagnostics.
"""
from . import cells, data, diagnostics, gradcheck, layers, numpy_rnn, plot, tbptt, train, utils
from .cells import RNNCell
from .layers import RNN
from .tbptt import TBPTTLoss
from .train import fit
from .utils import default_device, seed_everything, show

__all__ = ["cells", "data", "diagnostics", "gradcheck", "layers", "numpy_rnn", "plot",
           "tbptt", "train", "utils",
           "RNN", "RNNCell", "TBPTTLoss", "fit", "default_device", "seed_everything", "show"]
