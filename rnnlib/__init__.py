"""rnnlib: the library built, chapter by chapter, in "Recurrent Neural Networks from Scratch".

The folder tree is the book's map. The top level is the recurrent core that chapters 00-06
derive; rnnlib.seq2seq is the encoder-decoder of chapters 07-08; rnnlib.apps holds one
module per application. Imports run one way, down: apps use seq2seq and the core, seq2seq
uses the core, and the core uses neither.

    chapter 00   utils (seed_everything, default_device, show), claims (claim, book_seed),
                 gradcheck, train (fit), plot, data (shipped data, CharVocab, batches,
                 synthetic tasks)
    chapter 01   numpy_rnn (float64 reference, hand-written backward), cells, layers
    chapter 02   tbptt (truncated BPTT)
    chapter 03   diagnostics (gradient norms by lag, spectral radius), experiments (the
                 adding problem shared by chapters 03-05)
    chapter 04   numpy_lstm, the LSTM cell and layer; apps.language_model
    chapter 05   numpy_gru, the GRU cell and layer
    chapter 06   layers (stacked, bidirectional, dropout); apps.forecast
    chapter 07   text (tokens, WordVocab, padding); seq2seq (tasks, models, training,
                 decoding, metrics, length_experiment)
    chapter 08   seq2seq.attention; apps.translation
    chapter 09   apps.sentiment, apps.audio, apps.spoken_digits
    chapter 10   apps.pianoroll, apps.music
    chapter 11   seq2seq.ctc; apps.speech, apps.speech_baseline
    chapter 12   apps.vision, apps.captioner, apps.video
    chapter 13   apps.markets, apps.markets_models
    chapter 14   seq2seq.decoding.sample_decode; apps.dialogue
    chapter 15   seq2seq.transformer; scan (prefix scans, minGRU, linear attention), hopfield
"""
from . import (cells, claims, data, diagnostics, experiments, gradcheck, hopfield, layers, numpy_gru, numpy_lstm,
               numpy_rnn, plot, scan, tbptt, text, train, utils)
from . import seq2seq  # noqa: E402  (after the core it builds on)
from . import apps  # noqa: E402  (after seq2seq and the core)
from .cells import GRUCell, LSTMCell, RNNCell
from .claims import book_seed, claim
from .layers import GRU, LSTM, RNN
from .tbptt import TBPTTLoss
from .train import fit
from .utils import default_device, seed_everything, show

__all__ = ["apps", "cells", "claims", "data", "diagnostics", "experiments", "gradcheck", "hopfield", "layers",
           "numpy_gru", "numpy_lstm", "numpy_rnn", "plot", "scan", "seq2seq", "tbptt", "text", "train", "utils",
           "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNCell", "TBPTTLoss", "fit",
           "book_seed", "claim", "default_device", "seed_everything", "show"]
