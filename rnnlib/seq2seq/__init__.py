"""Sequence to sequence (chapters 07-08, and every later chapter that maps one sequence to
another): the encoder-decoder, attention, training batches, decoding, scoring, the
synthetic tasks, and the length experiment both chapters run.

    tasks               date_pairs, reversal_pairs: the synthetic pairs of chapters 00, 07-08
    models              Encoder, Decoder, Seq2Seq, make_model                    (chapter 07)
    attention           additive and multiplicative attention, masked softmax    (chapter 08)
    training            Batch, encode_pairs, make_batch, batch_sampler, teacher_forcing_loss
    decoding            greedy_decode, sample_decode, beam_search, sequence_log_prob, predict
    metrics             exact_match, token_accuracy, accuracy_by_length
    length_experiment   the reversal task against input length (chapters 07 and 08)
    ctc                 CTC in numpy, best-path and prefix beam decoding, edit distance (chapter 11;
                        its names are not re-exported: use rnnlib.seq2seq.ctc.greedy_decode)
    transformer         multi-head attention, positional encoding, the Transformer (chapter 15;
                        its names are not re-exported: use rnnlib.seq2seq.transformer.Transformer)

The package's own names are its modules' public names, so `rnnlib.seq2seq.make_model` and
`rnnlib.seq2seq.models.make_model` are the same function. It builds on the core
(rnnlib.text for vocabularies and padding, rnnlib.train for fit) and never on rnnlib.apps.
"""
from . import attention, ctc, decoding, length_experiment, metrics, models, tasks, training, transformer
from .attention import AdditiveAttention, MultiplicativeAttention, masked_softmax, scaled_dot_product_attention
from .decoding import beam_search, greedy_decode, predict, sample_decode, sequence_log_prob
from .length_experiment import LENGTH_EXPERIMENT, length_experiment_vocab, length_test_set, run_length_experiment
from .metrics import accuracy_by_length, exact_match, token_accuracy
from .models import RNN_TYPES, Decoder, Encoded, Encoder, Seq2Seq, make_model
from .tasks import DATE_FORMATS, date_pairs, reversal_pairs
from .training import Batch, batch_sampler, encode_pairs, make_batch, sequence_loss, teacher_forcing_loss

__all__ = ["attention", "ctc", "decoding", "length_experiment", "metrics", "models", "tasks", "training", "transformer",
           "AdditiveAttention", "MultiplicativeAttention", "masked_softmax", "scaled_dot_product_attention",
           "beam_search", "greedy_decode", "predict", "sample_decode", "sequence_log_prob",
           "LENGTH_EXPERIMENT", "length_experiment_vocab", "length_test_set", "run_length_experiment",
           "accuracy_by_length", "exact_match", "token_accuracy",
           "RNN_TYPES", "Decoder", "Encoded", "Encoder", "Seq2Seq", "make_model",
           "DATE_FORMATS", "date_pairs", "reversal_pairs",
           "Batch", "batch_sampler", "encode_pairs", "make_batch", "sequence_loss", "teacher_forcing_loss"]
