#!/usr/bin/python3
"""How far the integer model is from the float model it was packed from.

    /usr/bin/python3 tools/train/intcheck.py .cache/runs/en-small/best.pt --data .cache/data/dev -n 100

Exports the checkpoint (calibrated on --calib-data, default --data), packs it with
earshot-pack, then runs model.py (float) and tools/train/intref.py (integer, = the runtime)
greedily on n utterances of DATA and prints: CTC argmax agreement per encoder frame, CTC
logit error, how often the CTC and attention transcripts are identical, and the CER of
each against the reference text. Use it after training (and QAT changes) to see what
quantization costs; the float-vs-integer ctest does the same on random models.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import intref  # noqa: E402
from model import BLANK, decode_ids  # noqa: E402


@torch.no_grad()
def float_greedy(model, feats, max_chars=200, onset_back=2):
    """model.py's float greedy decode, as the runtime schedules it (window from the CTC onset):
    (CTC argmax per encoder frame, CTC logits [N x V], attention tokens)."""
    x = model.normalise(torch.from_numpy(np.asarray(feats, dtype=np.int16))[None])
    enc, enc_len = model.run_encoder(x, torch.tensor([len(feats)]))
    z = model.ctc_logits(enc)[0]
    best = z.argmax(-1).tolist()
    dec = model.decoder
    onset = next((i for i, t in enumerate(best) if t != BLANK), None)
    out = [] if onset is None else dec.greedy(enc, enc_len, max(0, onset - onset_back), max_chars)
    return best, z.numpy(), out


def ctc_collapse(best):
    out, prev = [], BLANK
    for t in best:
        if t != prev and t != BLANK:
            out.append(t)
        prev = t
    return out


def edits(a, b):
    d = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, d[0] = d[0], i
        for j, y in enumerate(b, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (x != y))
    return d[len(b)]


def compare(model, im, items):
    """Float vs integer on (feats int16 Q8, text) items; returns a summary dict."""
    s = dict(utterances=0, frames=0, frames_agree=0, max_logit_err=0.0, ctc_same=0, att_same=0,
             ref_chars=0, cer_ctc_float=0, cer_ctc_int=0, cer_att_float=0, cer_att_int=0)
    for feats, text in items:
        best, z, att = float_greedy(model, feats, im.max_chars, im.onset_back)
        r = im.greedy(feats)
        s["utterances"] += 1
        s["frames"] += len(best)
        s["frames_agree"] += int(sum(a == b for a, b in zip(best, r["ctc_tokens"])))
        if len(best):
            s["max_logit_err"] = max(s["max_logit_err"], float(np.abs(r["ctc_logits"] / 1024.0 - z).max()))
        cf, ci = decode_ids(ctc_collapse(best)), decode_ids(ctc_collapse(r["ctc_tokens"]))
        af, ai = decode_ids(att), r["text"]
        s["ctc_same"] += cf == ci
        s["att_same"] += af == ai
        s["ref_chars"] += max(1, len(text))
        s["cer_ctc_float"] += edits(text, cf)
        s["cer_ctc_int"] += edits(text, ci)
        s["cer_att_float"] += edits(text, af)
        s["cer_att_int"] += edits(text, ai)
    for k in ("cer_ctc_float", "cer_ctc_int", "cer_att_float", "cer_att_int"):
        s[k] = round(s[k] / max(1, s["ref_chars"]), 4)
    s["frame_agreement"] = round(s["frames_agree"] / max(1, s["frames"]), 4)
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("--data", required=True, help="shard folder to compare on (e.g. the dev set)")
    ap.add_argument("--calib-data", help="shard folder to calibrate on (default: --data)")
    ap.add_argument("-n", type=int, default=100, help="utterances to compare")
    ap.add_argument("--pack", help="earshot-pack binary (default: $EARSHOT_PACK or build/*/bin)")
    ap.add_argument("--keep", help="keep the exported .safetensors and .esm in this folder")
    a = ap.parse_args()
    torch.set_num_threads(1)
    import data as D
    import export
    import shards
    model, step = export.load_checkpoint(a.checkpoint)
    model.eval()
    cal = export.activation_scales(model, a.calib_data or a.data)
    work = a.keep or tempfile.mkdtemp(prefix="earshot-intcheck-")
    os.makedirs(work, exist_ok=True)
    st, esm = os.path.join(work, "model.safetensors"), os.path.join(work, "model.esm")
    export.export_model(model, st, step, cal)
    pack = a.pack or intref.pack_binaries()[0]
    subprocess.run([pack, "pack", st, "-o", esm], check=True, stdout=subprocess.DEVNULL)
    im = intref.Model.load(esm, a.pack)
    items = []
    for feats, text in shards.iter_dataset(a.data):
        if len(items) >= a.n:
            break
        items.append((D.as_q8(feats), text))
    s = compare(model, im, items)
    s.update(checkpoint=a.checkpoint, step=step, calibration={k: cal[k] for k in ("input_p9999", "query_absmax")},
             image_bytes=os.path.getsize(esm))
    print(json.dumps(s, indent=1))
    if not a.keep:
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
