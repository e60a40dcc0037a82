"""Decoding (chapter 07): greedy decoding in batches (and sampling with a temperature,
chapter 14), beam search for one sentence, the model's log-probability of a given output,
and `predict` over many sources.
"""
import torch
from torch.nn import functional as F

from ..text import BOS_ID, EOS_ID, pad_batch
from .models import Encoded, _check_ids, _select

@torch.no_grad()
def greedy_decode(model, src, lengths, bos_id=BOS_ID, eos_id=EOS_ID, max_len=50):
    """Emit the most probable token at every step, each fed back as the next input.

    src (S, B), lengths (B,). Returns (tokens, weights): tokens a list of B id lists
    without BOS and EOS (cut at the first EOS; max_len ids if none came); weights None
    without attention, else a list of B numpy arrays (len(tokens_b), length_b): the
    attention over the real source positions at each emitted token.
    """
    return _decode(model, src, lengths, lambda logits: logits.argmax(dim=-1), bos_id, eos_id, max_len)


@torch.no_grad()
def sample_decode(model, src, lengths, temperature=1.0, generator=None, bos_id=BOS_ID, eos_id=EOS_ID,
                  max_len=50):
    """Like greedy_decode, but draw each token from softmax(logits / temperature).

    temperature 1 samples the model's own distribution; below 1 sharpens it towards
    greedy decoding, above 1 flattens it. generator: a CPU torch.Generator (draws are
    made on the CPU, so a seed gives the same replies on any device). Returns the token
    lists only (no attention weights).
    """
    if not (isinstance(temperature, (int, float)) and not isinstance(temperature, bool) and temperature > 0):
        raise ValueError(f"temperature: expected a positive number, got {temperature!r}")

    def pick(logits):
        probs = F.softmax(logits.float().cpu() / temperature, dim=-1)
        return torch.multinomial(probs, 1, generator=generator)[:, 0].to(logits.device)
    return _decode(model, src, lengths, pick, bos_id, eos_id, max_len)[0]


def _decode(model, src, lengths, pick, bos_id, eos_id, max_len):
    """The loop of greedy_decode and sample_decode: pick(logits (B, V)) -> tokens (B,)."""
    enc = model.encode(src, lengths)
    B = src.shape[1]
    tokens = torch.full((B,), bos_id, dtype=torch.int64, device=src.device)
    state, done, steps, weights = enc.state, torch.zeros(B, dtype=torch.bool, device=src.device), [], []
    for _ in range(max_len):
        logits, state, w = model.decode_step(tokens, state, enc)
        tokens = pick(logits)
        steps.append(tokens)
        weights.append(w)
        done |= tokens == eos_id
        if bool(done.all()):
            break
    ids = torch.stack(steps, dim=1).tolist()  # (B, steps)
    out = [row[: row.index(eos_id)] if eos_id in row else row for row in ids]
    if weights[0] is None:
        return out, None
    w = torch.stack(weights, dim=1).cpu().numpy()  # (B, steps, S)
    return out, [w[b, : len(out[b]), : int(lengths[b])] for b in range(B)]


@torch.no_grad()
def beam_search(model, src, bos_id=BOS_ID, eos_id=EOS_ID, max_len=50, beam_width=5, length_penalty=1.0):
    """Beam search for one source sentence: keep the beam_width best partial outputs.

    src: (S,) or (S, 1) ids of one sentence (no padding). At each step every kept
    hypothesis is extended by every token, and the beam_width extensions with the
    highest total log-probability sum_i log p(y_i | y_<i, x) are kept; one that ends in
    EOS is finished. The search stops when beam_width hypotheses have finished (or at
    max_len, when the unfinished ones are finished as they are). Finished hypotheses
    are ranked by the length-normalised score
        score = sum_i log p(y_i | y_<i, x) / L^alpha,   alpha = length_penalty,
    L = the number of emitted tokens including EOS (the simple L^alpha form; Wu et al.
    2016 use ((5 + L) / 6)^alpha). alpha = 0 ranks by probability, which favours short
    outputs; alpha = 1 by the mean log-probability per token.
    Returns a list of (tokens without BOS/EOS, score), best first. beam_width = 1 gives
    greedy decoding's tokens.
    """
    if src.dim() == 1:
        src = src[:, None]
    _check_ids("src", src, (None, 1))
    if beam_width < 1:
        raise ValueError(f"beam_width: expected >= 1, got {beam_width}")
    lengths = torch.tensor([src.shape[0]], device=src.device)
    enc = model.encode(src, lengths)
    seqs, scores, state, finished = [[]], torch.zeros(1, device=src.device), enc.state, []
    for _ in range(max_len):
        n = len(seqs)
        # Every hypothesis reads the same source: repeat the encoder's memory n times.
        enc_n = Encoded(enc.state, *(None if x is None else x.expand(n, *x.shape[1:]) for x in enc[1:]))
        last = torch.tensor([s[-1] if s else bos_id for s in seqs], device=src.device)
        logits, state, _ = model.decode_step(last, state, enc_n)
        total = scores[:, None] + F.log_softmax(logits, dim=-1)  # (n, V): log p of each extension
        V = total.shape[1]
        best, index = total.flatten().topk(min(beam_width, total.numel()))
        keep, new_seqs, new_scores = [], [], []
        for value, i in zip(best.tolist(), index.tolist()):
            beam, token = divmod(i, V)
            if token == eos_id:
                finished.append((seqs[beam], value, len(seqs[beam]) + 1))
            else:
                keep.append(beam)
                new_seqs.append(seqs[beam] + [token])
                new_scores.append(value)
        if len(finished) >= beam_width or not new_seqs:
            break
        seqs, scores = new_seqs, torch.tensor(new_scores, device=src.device)
        state = _select(state, torch.tensor(keep, device=src.device))
    else:
        finished += [(s, float(v), len(s)) for s, v in zip(seqs, scores.tolist())]
    ranked = [(tokens, logp / max(length, 1) ** length_penalty) for tokens, logp, length in finished]
    return sorted(ranked, key=lambda r: -r[1])


@torch.no_grad()
def sequence_log_prob(model, src, tgt):
    """log p(tgt | src) = sum_i log p(y_i | y_<i, x) under the model, EOS included.

    src: (S,) ids of one sentence, tgt: a list of ids without BOS/EOS.
    """
    src = src[:, None] if src.dim() == 1 else src
    tgt_in = torch.tensor([BOS_ID] + list(tgt), device=src.device)[:, None]
    tgt_out = torch.tensor(list(tgt) + [EOS_ID], device=src.device)
    logits, _ = model(src, torch.tensor([src.shape[0]], device=src.device), tgt_in)
    logp = F.log_softmax(logits[:, 0], dim=-1)
    return float(logp.gather(1, tgt_out[:, None]).sum())


def predict(model, id_sources, max_len, beam_width=None, length_penalty=1.0, batch_size=512, device="cpu"):
    """Decode many sources (id lists): greedy in batches, or beam search one by one.

    Returns a list of token-id lists (without BOS/EOS), in the order of id_sources.
    """
    was_training = model.training
    model.eval()
    out = []
    if beam_width is None:
        for start in range(0, len(id_sources), batch_size):
            src, lengths = pad_batch(id_sources[start: start + batch_size], device=device)
            out += greedy_decode(model, src, lengths, max_len=max_len)[0]
    else:
        for ids in id_sources:
            src = torch.tensor(ids, dtype=torch.int64, device=device)
            out.append(beam_search(model, src, max_len=max_len, beam_width=beam_width,
                                   length_penalty=length_penalty)[0][0])
    model.train(was_training)
    return out
