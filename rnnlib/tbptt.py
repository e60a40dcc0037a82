"""Truncated backpropagation through time (TBPTT): training on one long stream.

A long text is cut into consecutive chunks of k steps: `rnnlib.data.batchify` and
`lm_batches` give (x, y) pairs of (k, B) int tensors, y being x shifted by one, where
column b of chunk i+1 continues column b of chunk i. Two ideas make training on them work:

- carry the state: the hidden state at the end of chunk i is the initial state of chunk
  i+1, so the forward pass sees the whole past, not only the last k symbols;
- detach it: gradients stop at the chunk boundary, so a backward pass costs k steps and
  memory for k steps, however long the stream. Dependencies longer than k can still be
  used (through the carried state) but are not learned directly.

`TBPTTLoss` does both and plugs into `rnnlib.train.fit`; `stream_loss` evaluates a model
on a whole stream the same way.
"""
import torch


def detach_state(state):
    """The state cut from the graph that computed it: a tensor (RNN, GRU), a tuple of
    tensors (LSTM: (h, c)), or None."""
    if state is None:
        return None
    if isinstance(state, (tuple, list)):
        return type(state)(s.detach() for s in state)
    return state.detach()


class TBPTTLoss:
    """A loss function for `fit` that carries the hidden state from chunk to chunk.

    chunk_loss(model, batch, state) -> (loss, final_state) or (loss, final_state, metrics)
        runs the model over one chunk starting from `state` (None for the first chunk,
        which torch recurrent layers read as zeros) and returns the loss and the state
        after the chunk's last step.

    Calling the TBPTTLoss with (model, batch) runs chunk_loss from the state the previous
    call left, keeps the new final state detached for the next call, and returns what
    `fit` expects: loss, or (loss, metrics). `state` holds the carried state; `reset()`
    starts again from None.

    Example, a character language model (model(x, h) -> (logits (k, B, V), h_n)):

        def chunk_loss(model, batch, h):
            x, y = (torch.as_tensor(a) for a in batch)    # (k, B) ints each
            logits, h = model(x, h)
            return F.cross_entropy(logits.flatten(0, 1), y.flatten()), h

        chunks = list(data.lm_batches(data.batchify(ids, 32), seq_len=k))
        history = rnnlib.fit(model, TBPTTLoss(chunk_loss), chunks, steps=1000)

    (A list is cycled epoch after epoch; the generator lm_batches itself would stop
    training after one pass.)

    The chunks must come in stream order with the same batch size B. When `fit` cycles a
    list of chunks, the state at the end of the stream flows into its start; that does
    no harm in training, and `reset()` (for instance at the start of each epoch in a
    batches callable) starts from zeros instead.
    """

    def __init__(self, chunk_loss):
        self.chunk_loss = chunk_loss
        self.state = None

    def reset(self):
        """Forget the carried state: the next chunk starts from None (zeros)."""
        self.state = None

    def __call__(self, model, batch):
        out = self.chunk_loss(model, batch, self.state)
        if not isinstance(out, tuple) or len(out) not in (2, 3):
            raise ValueError("chunk_loss must return (loss, final_state) or (loss, final_state, metrics)")
        loss, state = out[0], out[1]
        # forward continues from here, backward stops here
        self.state = detach_state(state)
        return (loss, out[2]) if len(out) == 3 else loss


def stream_loss(model, chunk_loss, batches):
    """Mean loss (and metrics) over all chunks of a stream, carrying the state, without
    gradients: the evaluation that matches `TBPTTLoss` training.

    batches: the chunks in stream order. Returns {"loss": mean, **mean of each metric},
    means over chunks (equal-length chunks make it the mean per time step). Every chunk
    weighs the same: for a ratio such as accuracy, where chunks hold different numbers of
    counted targets (an ignored target, a chunk with none), return the counts as metrics
    (e.g. "correct" and "total") and divide the totals yourself. Use it as
    fit's `evaluate`: `evaluate=lambda m: stream_loss(m, chunk_loss, val_chunks)`.
    """
    carried = TBPTTLoss(chunk_loss)
    totals, n = {}, 0
    with torch.no_grad():
        for batch in batches:
            out = carried(model, batch)
            loss, metrics = out if isinstance(out, tuple) else (out, {})
            for key, value in {"loss": loss, **metrics}.items():
                totals[key] = totals.get(key, 0.0) + float(value)
            n += 1
    if n == 0:
        raise ValueError("stream_loss: no batches")
    return {key: total / n for key, total in totals.items()}
