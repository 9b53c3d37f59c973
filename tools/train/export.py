#!/usr/bin/python3
"""Export a training checkpoint to safetensors for `earshot-pack pack`.

    /usr/bin/python3 tools/train/export.py runs/en-small/best.pt -o en-small.safetensors

    ... --calib-data .cache/data/dev   also calibrate the activation scales on dev shards

The file holds the float weights (float32, PyTorch names), the per-band feature
normalisation, and in `__metadata__` (all values strings, as safetensors requires):
format, hyperparameters (JSON), vocabulary, front-end config (JSON), parameter count,
training step and, with --calib-data, `calibration` (JSON): `input_p9999` = 99.99th
percentile of |normalised input|, `query_absmax` = max |decoder query q| over teacher-forced
decoding of up to --calib-utts utterances. Without it earshot-pack uses MODEL.md's defaults.
A quantization-aware checkpoint (train.py --qat) carries its own fixed ranges; those are
written instead, so the image uses the grids the model was trained on.
Quantisation happens in earshot-pack, following lib/model/MODEL.md.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import BLANK, EOS, VOCAB, EarshotModel, encode_text  # noqa: E402

# Must equal lib/frontend/config.h defaults: the features the model was trained on.
FRONTEND = dict(sample_rate_hz=16000, window_samples=400, hop_samples=160, fft_size=512,
                num_mels=40, mel_low_hz=20, mel_high_hz=7600, floor_db_q8=-40 * 256)


def write_safetensors(path, tensors, metadata):
    header, blobs, off = {}, [], 0
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        dt = {np.dtype(np.float32): "F32", np.dtype(np.int8): "I8", np.dtype(np.int16): "I16",
              np.dtype(np.int32): "I32"}[arr.dtype]
        b = arr.tobytes()
        header[name] = {"dtype": dt, "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


@torch.no_grad()
def calibrate(model, data_dir, max_utts=200):
    """Activation ranges for the integer scales (MODEL.md "Quantization"): run the float model
    over up to max_utts utterances of DATA (shards), the decoder teacher-forced with the
    reference text and its window placed as at inference (CTC onset, own predicted advance)."""
    import data as D  # the shard reader, needed only when calibrating
    import shards
    model.eval()
    dec = model.decoder
    absx, qmax, n_utt, n_frames = [], 0.0, 0, 0
    for feats, text in shards.iter_dataset(data_dir):
        if n_utt >= max_utts:
            break
        try:
            ids = encode_text(text)
        except KeyError:
            continue  # text outside the alphabet: skip rather than guess
        x = model.normalise(torch.from_numpy(D.as_q8(feats))[None])
        absx.append(x.abs().flatten().numpy())
        n_utt += 1
        n_frames += len(feats)
        enc, enc_len = model.run_encoder(x, torch.tensor([len(feats)]))
        if enc_len[0] < 1:
            continue
        best = model.ctc_head(enc)[0].argmax(-1).tolist()
        onset = next((i for i, t in enumerate(best) if t != BLANK), 0)
        h, c, ctx = dec.init_state(1, enc.device)
        pos = torch.tensor([float(max(0, onset - 2))])
        for y in [EOS] + ids:
            h, c = dec.cell(torch.cat([dec.emb(torch.tensor([y])), ctx], -1), (h, c))
            pos = pos + dec.A * torch.sigmoid(dec.advance(h)).squeeze(-1)
            ctx, _, _ = dec.attend(enc, enc_len, h, pos)
            qmax = max(qmax, float(dec.query(h).abs().max()))
    if n_utt == 0:
        raise SystemExit(f"export: no usable utterances in {data_dir} for calibration")
    p = float(np.percentile(np.concatenate(absx), 99.99))
    return {"input_p9999": p, "query_absmax": qmax, "utterances": n_utt, "frames": n_frames,
            "source": os.path.basename(os.path.normpath(data_dir))}


def export_model(model, out_path, step=0, calibration=None):
    """Write `model` (an EarshotModel) to safetensors for earshot-pack."""
    tensors = {}
    for name, t in model.state_dict().items():
        if name.startswith("phone_head."):  # training-only auxiliary head: the runtime has no use for it
            continue
        a = t.detach().float().numpy()
        if not np.isfinite(a).all():
            raise SystemExit(f"export: {name} has NaN/Inf values; refusing to export")
        tensors[name] = a.astype(np.float32)
    meta = {
        "format": "earshot-checkpoint-v1",
        "config": json.dumps({**model.cfg, "phone_layer": 0}),  # its head is not exported
        "vocab": json.dumps(VOCAB),
        "frontend": json.dumps(FRONTEND),
        "parameters": model.num_parameters(),
        "step": step,
    }
    if calibration:
        meta["calibration"] = json.dumps(calibration)
    write_safetensors(out_path, tensors, meta)
    return model.num_parameters()


def load_checkpoint(ckpt_path):
    state = torch.load(ckpt_path, map_location="cpu")
    model = EarshotModel(**state["config"])
    model.load_state_dict({k: v.float() for k, v in state["model"].items()})
    return model, state.get("step", 0)


def activation_scales(model, calib_data=None, calib_utts=200):
    """The calibration written to the export: a quantization-aware model's own fixed ranges
    (the grids it was trained on), else a calibration run over CALIB_DATA, else None."""
    if model.cfg.get("qat"):
        q = model.cfg["qat"]
        return {"input_p9999": q["input_absmax"], "query_absmax": q["query_absmax"], "source": "qat"}
    return calibrate(model, calib_data, calib_utts) if calib_data else None


def export(ckpt_path, out_path, calib_data=None, calib_utts=200):
    model, step = load_checkpoint(ckpt_path)
    cal = activation_scales(model, calib_data, calib_utts)
    return export_model(model, out_path, step, cal), cal


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--calib-data", help="shard folder (e.g. the dev set) to calibrate activation scales on")
    ap.add_argument("--calib-utts", type=int, default=200, help="utterances used for calibration")
    a = ap.parse_args()
    torch.set_num_threads(1)
    n, cal = export(a.checkpoint, a.output, a.calib_data, a.calib_utts)
    if not cal:
        extra = ", no calibration (earshot-pack defaults)"
    else:
        where = ("the quantization-aware training's fixed ranges" if cal["source"] == "qat"
                 else f"calibration on {cal['utterances']} utterances")
        extra = f", {where}: |x| p99.99 {cal['input_p9999']:.3f}, |q| max {cal['query_absmax']:.3f}"
    print(f"export: {a.output} ({n} parameters{extra})")


if __name__ == "__main__":
    main()
