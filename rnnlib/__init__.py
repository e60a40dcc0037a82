"""rnnlib: the library built, chapter by chapter, in "Recurrent Neural Networks from Scratch".

Core (chapter 00): utils (seed_everything, default_device, show), claims (claim, book_seed:
the checked numbers of the prose and the seed the ledger varies), gradcheck, train.fit,
plot, data. Chapters 01-03: numpy_rnn (float64 reference with hand-written backward),
cells and layers (torch modules from the same equations), tbptt, diagnostics,
experiments (the adding-problem set-up shared by chapters 03-05). Chapters 04-05:
numpy_lstm, numpy_gru, the LSTM/GRU cells and layers, language_model (character
models, bits per character, sampling with temperature). Chapter 06: stacked and
bidirectional layers (num_layers, bidirectional, dropout), forecast. Chapters 07-08:
seq2seq, attention, translation, translator (the shipped English-French models).
Chapters 09-10: sentiment, audio, music.
"""
from . import (attention, audio, cells, claims, data, diagnostics, experiments, forecast, gradcheck,
               language_model, layers, music, numpy_gru, numpy_lstm, numpy_rnn, plot, sentiment,
               seq2seq, tbptt, train, translation, translator, utils)
from .cells import GRUCell, LSTMCell, RNNCell
from .claims import book_seed, claim
from .layers import GRU, LSTM, RNN
from .tbptt import TBPTTLoss
from .train import fit
from .utils import default_device, seed_everything, show

__all__ = ["attention", "audio", "cells", "claims", "data", "diagnostics", "experiments", "forecast", "gradcheck",
           "language_model", "layers", "music", "numpy_gru", "numpy_lstm", "numpy_rnn", "plot",
           "sentiment", "seq2seq", "tbptt", "train", "translation", "translator", "utils",
           "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNCell", "TBPTTLoss", "fit",
           "book_seed", "claim", "default_device", "seed_everything", "show"]
