"""Applications: one module per application chapter, each with its corpus's loader next to
its models. They build on the core (rnnlib) and the encoder-decoder (rnnlib.seq2seq); nothing
outside rnnlib.apps imports them.

    language_model   character language models, bits per character, sampling   (chapters 04-05)
    forecast         time series: loading, windows, splits in time, forecasters   (chapter 06)
    translation      Tatoeba English-French: split, BLEU, the shipped models     (chapter 08)
    sentiment        labelled review sentences, RNN and bag-of-words classifiers (chapter 09)
    audio            spoken-digit recordings (FSDD) and spectrogram features     (chapter 09 on)
    spoken_digits    the isolated-digit classifier's batches, loss, confusion    (chapter 09)
    pianoroll        JSB Chorales as piano rolls, plots, synthesis              (chapter 10)
    music            next-step note models, baselines, sampling                  (chapter 10)
    speech           connected-digit utterances, the CTC acoustic model          (chapter 11)
    speech_baseline  cut on energy, then classify each piece                     (chapter 11)
    vision           digit scenes, captions, held-out compositions, BLEU          (chapter 12)
    captioner        CNN + LSTM captioners with or without attention, weights    (chapter 12)
    video            moving-digit clips, gestures (.ts), DTW, 1-NN, classifiers   (chapter 12)
    markets          S&P 500 returns, rolling-origin protocol, MASE, DM, QLIKE   (chapter 13)
    markets_models   AR, GARCH(1,1), the returns, volatility and price RNNs      (chapter 13)
    dialogue         the chatterbot corpus, retrieval, the chatbot, distinct-n    (chapter 14)
"""
from . import (audio, dialogue, forecast, language_model, music, pianoroll, sentiment, speech, speech_baseline,
               spoken_digits, translation)
from . import vision, captioner, video  # chapter 12
from . import markets, markets_models  # chapter 13

__all__ = ["audio", "forecast", "language_model", "music", "pianoroll", "sentiment", "speech", "speech_baseline",
           "spoken_digits", "translation", "vision", "captioner", "video", "markets", "markets_models", "dialogue"]
