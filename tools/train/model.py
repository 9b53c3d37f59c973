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

Quantization-aware training (cfg["qat"] = {"input_absmax", "query_absmax"}): the forward pass
then rounds what the runtime rounds (lib/model/MODEL.md "Quantization", lib/kernels/NUMERICS.md):
int8 input at the calibrated scale, per-row int8 weights of every matrix ([W_x' | W_h] rows of
an LSTM share one scale), gate pre-activations saturated to [-8, 8), the cell to [-16, 16),
h8 on the Q7 grid, decoder embedding and attention context on the s_d grid, the query on the
s_q grid. Rounding passes gradients straight through (STE). The integer sigmoid/tanh tables
and the integer softmax stay float: their errors are a few Q15 LSBs.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

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
    prime_ms=0,
    # Auxiliary phone CTC head (train.py --phone-ctc) on the output of this encoder layer (1-based;
    # 0: none). Training only: export.py leaves it out, the runtime never computes it.
    phone_layer=0,
)
# The front-end's floor (lib/frontend/config.h floor_db_q8 = -40 dB): digital silence.
FLOOR_DB = -40.0


def fake_quant(x, scale, lo=-127, hi=127):
    """x on the integer grid of step `scale` (clamped to [lo, hi] steps), gradient straight through."""
    return x + (torch.clamp(torch.round(x / scale), lo, hi) * scale - x).detach()


def quant_rows(*parts):
    """Per-row int8 weights of a matrix stored as column blocks (W_i, k_i): the image quantizes
    each row of [W_1 * k_1 | W_2 * k_2 ...] with one scale max|row| / 127 (k folds an input's
    scale into its columns). Returns the blocks as the runtime sees them, back in float units."""
    row = torch.cat([w * k for w, k in parts], 1)
    s = (row.detach().abs().amax(1, keepdim=True) / 127).clamp(min=1e-12)
    q = fake_quant(row, s)
    out, at = [], 0
    for w, k in parts:
        out.append(q[:, at: at + w.shape[1]] / k)
        at += w.shape[1]
    return out


def qat_lstm_step(gx, h, c, w_hh):
    """One LSTM step as lstm_step computes it; gx = x W_ih^T + b (already quantized weights)."""
    g = torch.clamp(gx + h @ w_hh.t(), -8.0, 8.0)
    i, f, gg, o = g.chunk(4, 1)
    c = torch.clamp(torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(gg), -16.0, 16.0)
    return fake_quant(torch.sigmoid(o) * torch.tanh(c), 1.0 / 128, -128, 127), c


class Encoder(nn.Module):
    def __init__(self, n_mels, stack, hidden, layers):
        super().__init__()
        self.stack = stack
        self.lstms = nn.ModuleList(
            nn.LSTM(n_mels * stack if i == 0 else hidden, hidden, batch_first=True) for i in range(layers))
        self.qat = None  # {"input_absmax": ...} turns on quantization-aware arithmetic
        self.tap_layer = 0  # 1-based layer whose output forward() keeps in self.tapped (0: none)
        self.tapped = None

    def forward(self, x, lengths):
        b, t, d = x.shape
        t2 = t // self.stack
        s_in = self.qat["input_absmax"] / 127 if self.qat else None
        if s_in:
            x = fake_quant(x, s_in, -128, 127)
        x = x[:, : t2 * self.stack].reshape(b, t2, d * self.stack)
        for layer, lstm in enumerate(self.lstms):
            if s_in:
                x = self._qat_layer(lstm, x, 128 * s_in if layer == 0 else 1.0)
            else:
                x, _ = lstm(x)
            if layer + 1 == self.tap_layer:
                self.tapped = x
        return x, torch.div(lengths, self.stack, rounding_mode="floor")

    @staticmethod
    def _qat_layer(lstm, x, k):
        w_ih, w_hh = quant_rows((lstm.weight_ih_l0, k), (lstm.weight_hh_l0, 1.0))
        gx = x @ w_ih.t() + (lstm.bias_ih_l0 + lstm.bias_hh_l0)
        h = x.new_zeros(x.shape[0], lstm.hidden_size)
        c, out = h, []
        for t in range(x.shape[1]):
            h, c = qat_lstm_step(gx[:, t], h, c, w_hh)
            out.append(h)
        return torch.stack(out, 1) if out else x.new_zeros(x.shape[0], 0, lstm.hidden_size)


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
        self.qat = None  # {"query_absmax": ...} turns on quantization-aware arithmetic
        # Start near 2.5 frames (75 ms) per character, the typical speaking rate.
        nn.init.constant_(self.advance.bias, math.log(2.5 / (max_advance - 2.5)))

    def init_state(self, batch, device):
        h = torch.zeros(batch, self.cell.hidden_size, device=device)
        return h, h.clone(), torch.zeros(batch, self.enc_dim, device=device)

    def quantized(self):
        """None, or under QAT the weights and scales as the image holds them (computed once per
        decoding call, not per step)."""
        if not self.qat:
            return None
        s_d = max(1.0, float(self.emb.weight.detach().abs().max())) / 127
        hd = self.cell.hidden_size
        wi, wh = quant_rows((self.cell.weight_ih, 128 * s_d), (self.cell.weight_hh, 1.0))
        wo_h, wo_c = quant_rows((self.out.weight[:, :hd], 1.0), (self.out.weight[:, hd:], 128 * s_d))
        return dict(s_d=s_d, s_q=self.qat["query_absmax"] / 127, wi=wi, wh=wh,
                    b=self.cell.bias_ih + self.cell.bias_hh, wo=torch.cat([wo_h, wo_c], 1),
                    wq=quant_rows((self.query.weight, 1.0))[0], wa=quant_rows((self.advance.weight, 1.0))[0])

    def step(self, y_emb, ctx, h, c, qw=None):
        """LSTM step over (embedded previous character, context) -> h, c, advance logit."""
        if qw is None:
            h, c = self.cell(torch.cat([y_emb, ctx], -1), (h, c))
            return h, c, self.advance(h)
        x = torch.cat([fake_quant(y_emb, qw["s_d"]), ctx], -1)
        h, c = qat_lstm_step(x @ qw["wi"].t() + qw["b"], h, c, qw["wh"])
        return h, c, F.linear(h, qw["wa"], self.advance.bias)

    def output(self, h, ctx, qw=None):
        hc = torch.cat([h, ctx], -1)
        return self.out(hc) if qw is None else F.linear(hc, qw["wo"], self.out.bias)

    def attend(self, enc, enc_len, h, centre, qw=None):
        """Attention over frames [floor(centre) - W, floor(centre) + W]."""
        b, t, d = enc.shape
        offs = torch.arange(-self.W, self.W + 1, device=enc.device)
        idx = centre.detach().floor().long()[:, None] + offs[None, :]           # B x (2W+1)
        valid = (idx >= 0) & (idx < enc_len[:, None])
        idx_c = idx.clamp(0, t - 1)
        keys = enc.gather(1, idx_c[..., None].expand(-1, -1, d))                  # B x (2W+1) x D
        q = self.query(h) if qw is None else fake_quant(F.linear(h, qw["wq"]), qw["s_q"], -128, 127)
        scores = (keys * q[:, None, :]).sum(-1) / math.sqrt(d)
        scores = scores.masked_fill(~valid, -1e4)
        att = torch.softmax(scores, dim=-1)
        ctx = (att[..., None] * keys).sum(1)
        return (ctx if qw is None else fake_quant(ctx, qw["s_d"], -128, 127)), att, idx

    def forward(self, enc, enc_len, targets_in, centres=None, start=None):
        """Teacher-forced decoding. targets_in: B x L (EOS then the text). centres: optional
        B x L teacher-forced window centres (frames). Returns logits B x L x V and the
        predicted centres B x L."""
        b, L = targets_in.shape
        qw = self.quantized()
        h, c, ctx = self.init_state(b, enc.device)
        pos = start if start is not None else torch.zeros(b, device=enc.device)
        logits, preds = [], []
        emb = self.emb(targets_in)
        for i in range(L):
            h, c, adv = self.step(emb[:, i], ctx, h, c, qw)
            pred = pos + self.A * torch.sigmoid(adv).squeeze(-1)
            preds.append(pred)
            centre = centres[:, i] if centres is not None else pred
            ctx, _, _ = self.attend(enc, enc_len, h, centre, qw)
            logits.append(self.output(h, ctx, qw))
            pos = centre if centres is not None else pred
        return torch.stack(logits, 1), torch.stack(preds, 1)

    @torch.no_grad()
    def greedy(self, enc, enc_len, start_frame, max_chars):
        """Greedy decoding of one utterance (batch 1) with its own predicted window centres,
        starting at encoder frame `start_frame` (the runtime starts at the CTC onset minus
        onset_back). Returns the token ids without <eos>."""
        qw = self.quantized()
        h, c, ctx = self.init_state(1, enc.device)
        pos = torch.tensor([float(start_frame)])
        y, out, at_end, last = EOS, [], 0, int(enc_len[0]) - 1
        for _ in range(max_chars):
            h, c, adv = self.step(self.emb(torch.tensor([y])), ctx, h, c, qw)
            pos = pos + self.A * torch.sigmoid(adv).squeeze(-1)
            ctx, _, _ = self.attend(enc, enc_len, h, pos, qw)
            y = int(self.output(h, ctx, qw).argmax(-1))
            cen = int(pos.floor())
            if cen > last and at_end >= 3:  # the runtime's end-of-input rule (lib/model/MODEL.md step 5.3)
                y = EOS
            if y == EOS:
                break
            out.append(y)
            at_end += cen >= last
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
        if c["phone_layer"]:
            if not 1 <= c["phone_layer"] <= c["enc_layers"]:
                raise ValueError(f"phone_layer {c['phone_layer']} outside the encoder's 1..{c['enc_layers']} layers")
            import phones
            self.phone_head = nn.Linear(c["enc_hidden"], len(phones.PHONES))
            self.encoder.tap_layer = c["phone_layer"]
        self.decoder = LocalAttentionDecoder(len(VOCAB), c["emb"], c["dec_hidden"], c["enc_hidden"],
                                             c["att_half_window"], c["max_advance"])
        self.set_qat(c.get("qat"))

    def set_qat(self, scales):
        """Quantization-aware arithmetic on (scales = {"input_absmax", "query_absmax"}: the
        calibrated activation ranges, kept fixed so that training and the exported image use the
        same grids) or off (None). The scales travel in cfg, hence in checkpoints and exports."""
        if scales:
            scales = {"input_absmax": float(scales["input_absmax"]), "query_absmax": float(scales["query_absmax"])}
        self.cfg["qat"] = scales
        self.encoder.qat = scales
        self.decoder.qat = scales

    def ctc_logits(self, enc):
        if not self.cfg["qat"]:
            return self.ctc_head(enc)
        return F.linear(enc, quant_rows((self.ctc_head.weight, 1.0))[0], self.ctc_head.bias)

    def normalise(self, feats_q8):
        """int16 Q8 dB features (B x T x 40) -> normalised float."""
        return (feats_q8.float() / 256.0 - self.feat_mean) / self.feat_std

    def prime_frames(self):
        """Encoder frames of digital silence run before every input (cfg prime_ms, rounded up as
        the runtime's frames_for_ms does; 0 = none). lib/model/MODEL.md step 2."""
        ms, stack = int(self.cfg.get("prime_ms", 0)), self.cfg["stack"]
        return -(-ms // (10 * stack)) if ms > 0 else 0

    def run_encoder(self, x, lengths):
        """The encoder on normalised features (B x T x n_mels), primed as the runtime primes it:
        the LSTMs first run over prime_frames() of the front-end's floor, whose outputs are
        dropped. Returns (enc, enc_len) as Encoder.forward."""
        n = self.prime_frames()
        if not n:
            return self.encoder(x, lengths)
        p = n * self.cfg["stack"]  # feature frames
        silence = ((FLOOR_DB - self.feat_mean) / self.feat_std).to(x.dtype)
        enc, enc_len = self.encoder(torch.cat([silence.expand(x.shape[0], p, -1), x], 1), lengths + p)
        if self.encoder.tapped is not None:
            self.encoder.tapped = self.encoder.tapped[:, n:]
        return enc[:, n:], enc_len - n

    def phone_logits(self):
        """The phone head on the tapped layer of the last run_encoder() call (None without a head)."""
        if not self.cfg["phone_layer"] or self.encoder.tapped is None:
            return None
        return self.phone_head(self.encoder.tapped)

    def encode(self, feats_q8, lengths):
        enc, enc_len = self.run_encoder(self.normalise(feats_q8), lengths)
        return enc, enc_len, self.ctc_logits(enc)

    def num_parameters(self):
        """Parameters of the network the runtime executes (a training-only phone head excluded)."""
        return sum(p.numel() for n, p in self.named_parameters() if not n.startswith("phone_head."))

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
