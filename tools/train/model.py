"""earshot's acoustic model in PyTorch: the network the C++ runtime executes.

    features (T x 40, Q8 dB) -> per-band normalisation -> stack 3 frames (x3 subsampling)
    -> unidirectional LSTM encoder (streaming) -> CTC head (joint CTC-attention)
                                               -> LSTM decoder with *local* attention

The decoder attends to a window of 2W+1 encoder frames around a centre that only moves
forward: p_t = p_{t-1} + A * sigmoid(w . h_t). During training the centre can be
teacher-forced from the CTC head's forced alignment (the decoder then learns to predict
the advance with an auxiliary loss); at inference it uses its own prediction, so memory and
compute per output character are bounded and decoding follows the audio as it arrives.
Inside the window the scores are plain scaled dot products (the runtime's attn_dot kernel).
"""
import math

import torch
import torch.nn as nn

VOCAB = ["<eos>", " ", "'"] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
EOS = 0    # end of utterance for the decoder, and its start symbol
BLANK = 0  # CTC blank shares index 0: neither is ever a character
CHAR_TO_ID = {c: i for i, c in enumerate(VOCAB) if i > 0}


def encode_text(text):
    """Text -> ids; characters outside the alphabet are an error (normalise first)."""
    return [CHAR_TO_ID[c] for c in text]


def decode_ids(ids):
    return "".join(VOCAB[i] for i in ids if i > 0)


# About 1.2 M parameters: 3 x 192 encoder LSTM, 192 decoder LSTM (int8 image ~1.2 MB, under
# the 2 MB flash budget; ~35 M MAC per second of audio).
DEFAULT_CONFIG = dict(
    n_mels=40, stack=3, enc_hidden=192, enc_layers=3,
    dec_hidden=192, emb=32, att_half_window=8, max_advance=12.0,
)


class Encoder(nn.Module):
    def __init__(self, n_mels, stack, hidden, layers):
        super().__init__()
        self.stack = stack
        self.lstms = nn.ModuleList(
            nn.LSTM(n_mels * stack if i == 0 else hidden, hidden, batch_first=True) for i in range(layers))

    def forward(self, x, lengths):
        b, t, d = x.shape
        t2 = t // self.stack
        x = x[:, : t2 * self.stack].reshape(b, t2, d * self.stack)
        for lstm in self.lstms:
            x, _ = lstm(x)
        return x, torch.div(lengths, self.stack, rounding_mode="floor")


class LocalAttentionDecoder(nn.Module):
    def __init__(self, vocab, emb, hidden, enc_dim, half_window, max_advance):
        super().__init__()
        self.W, self.A = half_window, max_advance
        self.enc_dim = enc_dim
        self.emb = nn.Embedding(vocab, emb)
        self.cell = nn.LSTMCell(emb + enc_dim, hidden)
        self.query = nn.Linear(hidden, enc_dim, bias=False)
        self.advance = nn.Linear(hidden, 1)
        self.out = nn.Linear(hidden + enc_dim, vocab)
        # Start near 2.5 frames (75 ms) per character, the typical speaking rate.
        nn.init.constant_(self.advance.bias, math.log(2.5 / (max_advance - 2.5)))

    def init_state(self, batch, device):
        h = torch.zeros(batch, self.cell.hidden_size, device=device)
        return h, h.clone(), torch.zeros(batch, self.enc_dim, device=device)

    def attend(self, enc, enc_len, h, centre):
        """Attention over frames [floor(centre) - W, floor(centre) + W]."""
        b, t, d = enc.shape
        offs = torch.arange(-self.W, self.W + 1, device=enc.device)
        idx = centre.detach().floor().long()[:, None] + offs[None, :]           # B x (2W+1)
        valid = (idx >= 0) & (idx < enc_len[:, None])
        idx_c = idx.clamp(0, t - 1)
        keys = enc.gather(1, idx_c[..., None].expand(-1, -1, d))                  # B x (2W+1) x D
        q = self.query(h)
        scores = (keys * q[:, None, :]).sum(-1) / math.sqrt(d)
        scores = scores.masked_fill(~valid, -1e4)
        att = torch.softmax(scores, dim=-1)
        return (att[..., None] * keys).sum(1), att, idx

    def forward(self, enc, enc_len, targets_in, centres=None, start=None):
        """Teacher-forced decoding. targets_in: B x L (EOS then the text). centres: optional
        B x L teacher-forced window centres (frames). Returns logits B x L x V and the
        predicted centres B x L."""
        b, L = targets_in.shape
        h, c, ctx = self.init_state(b, enc.device)
        pos = start if start is not None else torch.zeros(b, device=enc.device)
        logits, preds = [], []
        emb = self.emb(targets_in)
        for i in range(L):
            h, c = self.cell(torch.cat([emb[:, i], ctx], -1), (h, c))
            pred = pos + self.A * torch.sigmoid(self.advance(h)).squeeze(-1)
            preds.append(pred)
            centre = centres[:, i] if centres is not None else pred
            ctx, _, _ = self.attend(enc, enc_len, h, centre)
            logits.append(self.out(torch.cat([h, ctx], -1)))
            pos = centre if centres is not None else pred
        return torch.stack(logits, 1), torch.stack(preds, 1)


    @torch.no_grad()
    def greedy(self, enc, enc_len, start_frame, max_chars):
        """Greedy decoding of one utterance (batch 1) with its own predicted window centres,
        starting at encoder frame `start_frame` (the runtime starts at the CTC onset minus
        onset_back). Returns the token ids without <eos>."""
        h, c, ctx = self.init_state(1, enc.device)
        pos = torch.tensor([float(start_frame)])
        y, out = EOS, []
        for _ in range(max_chars):
            h, c = self.cell(torch.cat([self.emb(torch.tensor([y])), ctx], -1), (h, c))
            pos = pos + self.A * torch.sigmoid(self.advance(h)).squeeze(-1)
            ctx, _, _ = self.attend(enc, enc_len, h, pos)
            y = int(self.out(torch.cat([h, ctx], -1)).argmax(-1))
            if y == EOS:
                break
            out.append(y)
        return out


class EarshotModel(nn.Module):
    def __init__(self, **cfg):
        super().__init__()
        self.cfg = {**DEFAULT_CONFIG, **cfg}
        c = self.cfg
        # Per-band normalisation of the Q8 dB features; set from training data statistics.
        self.register_buffer("feat_mean", torch.zeros(c["n_mels"]))
        self.register_buffer("feat_std", torch.ones(c["n_mels"]))
        self.encoder = Encoder(c["n_mels"], c["stack"], c["enc_hidden"], c["enc_layers"])
        self.ctc_head = nn.Linear(c["enc_hidden"], len(VOCAB))
        self.decoder = LocalAttentionDecoder(len(VOCAB), c["emb"], c["dec_hidden"], c["enc_hidden"],
                                             c["att_half_window"], c["max_advance"])

    def normalise(self, feats_q8):
        """int16 Q8 dB features (B x T x 40) -> normalised float."""
        return (feats_q8.float() / 256.0 - self.feat_mean) / self.feat_std

    def encode(self, feats_q8, lengths):
        enc, enc_len = self.encoder(self.normalise(feats_q8), lengths)
        return enc, enc_len, self.ctc_head(enc)

    def num_parameters(self):
        return sum(p.numel() for p in self.parameters())

    def macs_per_second(self):
        """Multiply-accumulates per second of audio (encoder at 100/stack frames/s, decoder at
        an assumed 15 characters/s)."""
        c = self.cfg
        enc = 0
        for i in range(c["enc_layers"]):
            n_in = c["n_mels"] * c["stack"] if i == 0 else c["enc_hidden"]
            enc += 4 * c["enc_hidden"] * (n_in + c["enc_hidden"])
        enc += c["enc_hidden"] * len(VOCAB)
        dec = (4 * c["dec_hidden"] * (c["emb"] + c["enc_hidden"] + c["dec_hidden"])
               + c["dec_hidden"] * c["enc_hidden"] + (2 * c["att_half_window"] + 1) * c["enc_hidden"] * 2
               + (c["dec_hidden"] + c["enc_hidden"]) * len(VOCAB))
        return enc * 100.0 / c["stack"] + dec * 15.0


def ctc_forced_alignment(log_probs, in_len, targets, tgt_len):
    """Viterbi alignment of each target character to an encoder frame (batched).
    log_probs: B x T x V (log-softmax). Returns B x Lmax float frame index per character
    (the frame where the path first enters that character's state)."""
    b, t, _ = log_probs.shape
    lmax = targets.shape[1]
    s = 2 * lmax + 1
    dev = log_probs.device
    ext = torch.full((b, s), BLANK, dtype=torch.long, device=dev)
    ext[:, 1::2] = targets
    emit = log_probs.gather(2, ext[:, None, :].expand(b, t, s))                 # B x T x S
    neg = torch.tensor(-1e9, device=dev)
    # Skip transition allowed into a label state if it differs from the label two back.
    skip_ok = torch.zeros(b, s, dtype=torch.bool, device=dev)
    skip_ok[:, 3::2] = targets[:, 1:] != targets[:, :-1]
    score = torch.full((b, s), -1e9, device=dev)
    score[:, 0] = emit[:, 0, 0]
    score[:, 1] = emit[:, 0, 1]
    back = torch.zeros(b, t, s, dtype=torch.uint8, device=dev)
    for i in range(1, t):
        stay = score
        prev1 = torch.cat([neg.expand(b, 1), score[:, :-1]], 1)
        prev2 = torch.cat([neg.expand(b, 2), score[:, :-2]], 1).masked_fill(~skip_ok, -1e9)
        best = torch.stack([stay, prev1, prev2], -1).max(-1)
        new = best.values + emit[:, i]
        active = (i < in_len)[:, None]
        score = torch.where(active, new, score)
        back[:, i] = torch.where(active, best.indices.to(torch.uint8), torch.zeros_like(back[:, i]))
    # Best end state: last blank or last label.
    end_blank = (2 * tgt_len).clamp(max=s - 1)
    end_label = (2 * tgt_len - 1).clamp(min=0)
    sb = score.gather(1, end_blank[:, None]).squeeze(1)
    sl = score.gather(1, end_label[:, None]).squeeze(1)
    state = torch.where(sb >= sl, end_blank, end_label)
    pos = torch.zeros(b, lmax, device=dev)
    back = back.cpu()
    state = state.cpu()
    in_len_c = in_len.cpu()
    for j in range(b):
        st = int(state[j])
        for i in range(int(in_len_c[j]) - 1, -1, -1):
            if st % 2 == 1:
                pos[j, st // 2] = i  # overwritten going backwards: ends at the first frame
            step = int(back[j, i, st]) if i > 0 else 0
            st -= step
    return pos
