#!/usr/bin/python3
"""Train earshot's joint CTC-attention model on feature shards (tools/train/make_dataset.py).

    /usr/bin/python3 tools/train/train.py --train DATA/train --dev DATA/dev --out runs/en-small
    ... --resume                 continue from runs/en-small/last.pt (steps, optimiser, RNG)
    /usr/bin/python3 tools/train/train.py --nproc 2 ...     data-parallel on one machine (DDP, gloo)
    torchrun --nnodes ... tools/train/train.py ...          the same across machines (reads RANK etc.)
(Debian's torchrun 1.13 fails under Python 3.11 in its log redirection code, hence --nproc.)

Checkpoints every --save-minutes and at exit (also on SIGTERM / Ctrl-C), so a session can stop
at any time; --max-minutes bounds one run. CUDA is used when present, CPU otherwise.
"""
import argparse
import json
import math
import os
import random
import signal
import sys
import time

# Debian's OpenBLAS (libopenblas0-pthread) runs its own threads whatever torch.set_num_threads
# says: measured here, a second one kept the other core busy (1.3-1.9 cores a process) for < 10 %
# speed, and slowed the data generation beside it. Follow --threads unless the caller set it.
if "OPENBLAS_NUM_THREADS" not in os.environ:
    os.environ["OPENBLAS_NUM_THREADS"] = next(
        (sys.argv[i + 1] for i, a in enumerate(sys.argv[:-1]) if a == "--threads"), "1")

import torch  # noqa: E402  (after the OpenBLAS setting, which it reads when loaded)
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D  # noqa: E402
from model import BLANK, EOS, EarshotModel, ctc_forced_alignment, decode_ids, encode_text  # noqa: E402
from slim import slim_state  # noqa: E402
import text as textmod  # noqa: E402


def parse_anneal(text):
    """--anneal FROM:TO -> (FROM, TO), checked when the arguments are parsed."""
    try:
        a, b = (int(v) for v in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"wants FROM:TO (two step numbers), got {text!r}")
    if not 0 <= a < b:
        raise argparse.ArgumentTypeError(f"{text}: need 0 <= FROM < TO")
    return a, b


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train", required=True, nargs="+", help="training shard folder(s)")
    p.add_argument("--dev", help="dev shard folder (validation CER)")
    p.add_argument("--out", required=True, help="run folder: last.pt, best.pt, log.jsonl")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--init", help="start from this checkpoint (e.g. a committed slim one) when OUT has no last.pt")
    p.add_argument("--steps", type=int, default=200000)
    p.add_argument("--max-minutes", type=float, default=0, help="stop (with a checkpoint) after this long")
    p.add_argument("--save-minutes", type=float, default=10)
    p.add_argument("--eval-every", type=int, default=500)
    p.add_argument("--keep-every", type=int, default=0, metavar="STEPS",
                   help="also keep a slim copy (slim.py) of the weights every STEPS steps as OUT/step-N.pt, "
                        "so checkpoints can be compared on what the product measures (the dev CER that "
                        "picks best.pt need not track command accuracy); 0 = none")
    p.add_argument("--batch-frames", type=int, default=24000, help="feature frames per batch (x10 ms)")
    p.add_argument("--lr", type=float, default=1.5e-3)
    p.add_argument("--warmup", type=int, default=500)
    p.add_argument("--anneal", metavar="FROM:TO", type=parse_anneal,
                   help="cosine learning-rate decay from --lr at step FROM to --lr-final at step TO "
                        "(a function of the step, so a resumed run follows the same curve)")
    p.add_argument("--lr-final", type=float, default=1e-4, help="learning rate at the end of --anneal")
    p.add_argument("--ctc-weight", type=float, default=0.5)
    p.add_argument("--phone-ctc", type=int, metavar="LAYER",
                   help="auxiliary phone CTC head (phones.py: espeak-ng's pronunciations) on the output of encoder "
                        "layer LAYER (1-based; 0 = none; default: the checkpoint's, else none). Training only: "
                        "the head is not exported")
    p.add_argument("--phone-weight", type=float, default=0.3, help="weight of the phone CTC loss")
    p.add_argument("--centre-jitter", type=float, default=0.0, metavar="FRAMES",
                   help="Gaussian jitter (std, encoder frames) of the teacher-forced window centres, "
                        "so the decoder learns to read, and steer back from, off-centre windows")
    p.add_argument("--qat", action="store_true",
                   help="quantization-aware training (model.py): the forward pass rounds what the runtime "
                        "rounds; the activation ranges are calibrated once (on --dev, else --train) and kept")
    p.add_argument("--prime-ms", type=int, metavar="MS",
                   help="run the encoder over this much digital silence before every input, as the runtime "
                        "then does for the exported model (lib/model/MODEL.md step 2; 0 = none; default: "
                        "the checkpoint's, else 0)")
    p.add_argument("--tiny", action="store_true", help="tiny model for smoke tests")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1, help="torch threads per process (1 is fastest here)")
    p.add_argument("--nproc", type=int, default=1, help="data-parallel processes on this machine (DDP, gloo)")
    a = p.parse_args(argv)
    if a.keep_every < 0:
        p.error(f"--keep-every must be 0 (none) or a number of steps, got {a.keep_every}")
    return a


def setup_distributed():
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        torch.distributed.init_process_group("gloo")
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


def spec_augment(x, rng, n_freq=2, f_width=6, n_time=2, t_width=20):
    """x: T x 40 normalised features (in place): frequency and time masks set to 0 (the mean)."""
    t = x.shape[0]
    for _ in range(n_freq):
        w = rng.randint(0, f_width)
        f0 = rng.randint(0, x.shape[1] - w)
        x[:, f0:f0 + w] = 0
    for _ in range(n_time):
        w = rng.randint(0, min(t_width, max(1, t // 10)))
        t0 = rng.randint(0, max(0, t - w))
        x[t0:t0 + w] = 0
    return x


LEXICON = None  # phones.Lexicon of the run's texts, when the model has a phone head


def make_batch(items, model, rng, augment):
    lens = torch.tensor([len(f) for f, _ in items])
    tmax = int(lens.max())
    feats = torch.zeros(len(items), tmax, items[0][0].shape[1], dtype=torch.int16)
    for i, (f, _) in enumerate(items):
        feats[i, : len(f)] = torch.from_numpy(D.as_q8(f))
    x = model.normalise(feats)
    if augment:
        for i in range(len(items)):
            spec_augment(x[i, : lens[i]], rng)
    ids = [encode_text(t) for _, t in items]
    tl = torch.tensor([len(s) for s in ids])
    lmax = max(1, int(tl.max()))
    tgt = torch.zeros(len(items), lmax, dtype=torch.long)
    for i, s in enumerate(ids):
        tgt[i, : len(s)] = torch.tensor(s, dtype=torch.long)
    if not (model.cfg.get("phone_layer") and LEXICON):
        return x, lens, tgt, tl, None, None
    pids = [LEXICON.phone_ids(t) for _, t in items]
    ptl = torch.tensor([len(s) for s in pids])
    ptgt = torch.zeros(len(items), max(1, int(ptl.max())), dtype=torch.long)
    for i, s in enumerate(pids):
        ptgt[i, : len(s)] = torch.tensor(s, dtype=torch.long)
    return x, lens, tgt, tl, ptgt, ptl


def base_lr(step, args):
    """Warm-up, then 1/sqrt decay floored at 5 % of --lr, both counted from the run's origin.

    The origin is the step this run's schedule began at: 0 for a fresh model, the checkpoint's
    step for --init (kept through --resume). Until session 16 the decay counted from step 0, so
    `--init` at step 30 800 with `--lr 6e-4` trained at 1.87e-4: the rate a user set was not
    the rate they got.
    """
    k = step - getattr(args, "lr_origin", 0)
    if k < args.warmup:
        return args.lr * (max(k, 0) + 1) / args.warmup
    return args.lr * max(0.05, min(1.0, math.sqrt(args.warmup * 20 / (k + 1))))


def lr_at(step, args):
    if args.anneal:
        a, b = args.anneal
        if step >= b:
            return args.lr_final
        if step > a:  # from the base schedule's value at FROM, so the curve is continuous there
            c = 0.5 * (1 + math.cos(math.pi * (step - a) / (b - a)))
            return args.lr_final + (base_lr(a, args) - args.lr_final) * c
    return base_lr(step, args)


class JointLoss(torch.nn.Module):
    """The training objective as a module, so DistributedDataParallel can wrap it."""

    def __init__(self, model, centre_jitter=0.0):
        super().__init__()
        self.model = model
        self.centre_jitter = centre_jitter

    def forward(self, x, lens, tgt, tl, step, ptgt=None, ptl=None):
        return losses(self.model, x, lens, tgt, tl, step, self.centre_jitter, ptgt, ptl)


def losses(model, x, lens, tgt, tl, step, centre_jitter=0.0, ptgt=None, ptl=None):
    """(character CTC, attention CE, advance, phone CTC) per target character; the phone loss is 0
    without a phone head or targets."""
    enc, enc_len = model.run_encoder(x, lens)
    enc_len = enc_len.clamp(min=1)
    ctc_logits = model.ctc_logits(enc)
    logp = F.log_softmax(ctc_logits, -1)
    ctc = F.ctc_loss(logp.transpose(0, 1), tgt, enc_len, tl, blank=BLANK, reduction="sum", zero_infinity=True)
    ph = enc.new_zeros(())
    plog = model.phone_logits()
    if plog is not None and ptgt is not None:
        # Utterances with no phones (silence clips) still teach blank, as the character head's do.
        ph = F.ctc_loss(F.log_softmax(plog, -1).transpose(0, 1), ptgt, enc_len, ptl, blank=0, reduction="sum",
                        zero_infinity=True)
    b, lmax = tgt.shape
    # Window centres: CTC forced alignment once CTC has learnt something, before that a
    # uniform spread of the characters over the utterance.
    with torch.no_grad():
        if step >= 2000:
            centres = ctc_forced_alignment(logp.detach(), enc_len, tgt, tl)
        else:
            frac = (torch.arange(lmax, dtype=torch.float, device=x.device)[None, :] + 0.5) / tl.clamp(min=1)[:, None]
            centres = frac * enc_len[:, None].float()
        # The EOS step looks at the end of the audio.
        centres_full = torch.cat([centres, (enc_len.float() - 1)[:, None]], 1)
        for i in range(b):
            centres_full[i, tl[i]] = enc_len[i] - 1
        # At inference the decoder reads from windows centred by its own advance,
        # which drift from the alignment (dev CER of attention greedy 0.56 against
        # CTC's 0.39 at step 13 700). Jittered character centres teach the output
        # to read off-centre windows, and the advance, still scored against the
        # aligned centres, to steer back. The <eos> step keeps the end of the audio.
        centres_in = centres_full
        if centre_jitter > 0 and model.training:
            noise = torch.randn_like(centres_full) * centre_jitter
            noise[torch.arange(b), tl] = 0
            centres_in = torch.minimum(torch.clamp(centres_full + noise, min=0), (enc_len.float() - 1)[:, None])
    tin = torch.cat([torch.full((b, 1), EOS, dtype=torch.long, device=x.device), tgt], 1)
    tout = torch.cat([tgt, torch.zeros(b, 1, dtype=torch.long, device=x.device)], 1)
    mask = torch.arange(lmax + 1, device=x.device)[None, :] <= tl[:, None]
    for i in range(b):
        tout[i, tl[i]] = EOS
    logits, pred = model.decoder(enc, enc_len, tin, centres=centres_in)
    att = F.cross_entropy(logits[mask], tout[mask], reduction="sum", label_smoothing=0.1)
    adv = F.smooth_l1_loss(pred[mask], centres_full[mask], reduction="sum")
    n = mask.sum()
    return ctc / n, att / n, adv / n, ph / n


@torch.no_grad()
def greedy(model, feats, max_chars=200):
    """CTC greedy and attention greedy (own predicted window centres) for one utterance."""
    lens = torch.tensor([len(feats)])
    x = model.normalise(torch.from_numpy(D.as_q8(feats))[None])
    enc, enc_len = model.run_encoder(x, lens)
    if enc_len[0] < 1:
        return "", ""
    best = model.ctc_logits(enc)[0].argmax(-1).tolist()
    ctc_ids, prev = [], BLANK
    for t in best:
        if t != prev and t != BLANK:
            ctc_ids.append(t)
        prev = t
    # Start the window where CTC first hears speech (streaming-compatible: causal).
    nonblank = [i for i, t in enumerate(best) if t != BLANK]
    out = model.decoder.greedy(enc, enc_len, max(0, nonblank[0] - 2) if nonblank else 0, max_chars)
    return decode_ids(ctc_ids), decode_ids(out)


cer = textmod.edit_distance  # over characters


def evaluate(model, dev, limit=300):
    model.eval()
    e_ctc = e_att = n = 0
    for feats, text in dev[:limit]:
        hc, ha = greedy(model, feats)
        e_ctc += cer(text, hc)[0]
        e_att += cer(text, ha)[0]
        n += max(1, len(text))
    model.train()
    return e_ctc / n, e_att / n


def save(path, model, opt, step, args, extra, slim=False):
    tmp = path + ".tmp"
    state = {"model": model.state_dict(), "step": step, "config": model.cfg, "args": vars(args),
             "lr_origin": getattr(args, "lr_origin", 0), **extra}
    if not slim:  # what --resume needs beyond the weights
        state.update(opt=opt.state_dict(), rng=random.getstate(), torch_rng=torch.get_rng_state())
    torch.save(slim_state(state) if slim else state, tmp)
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    rank, world = setup_distributed()
    device = torch.device("cuda", rank % max(1, torch.cuda.device_count())) if torch.cuda.is_available() else torch.device("cpu")
    os.makedirs(args.out, exist_ok=True)
    random.seed(args.seed + rank)
    torch.manual_seed(args.seed)

    train = [item for folder in args.train for item in D.load_split(folder)]
    dev = D.load_split(args.dev) if args.dev else []
    if rank == 0:
        print(f"train: {len(train)} utterances, {sum(len(f) for f, _ in train) / 360000:.2f} h; dev: {len(dev)}", flush=True)
    global LEXICON
    cfg = dict(enc_hidden=64, enc_layers=1, dec_hidden=64, emb=16) if args.tiny else {}
    last = os.path.join(args.out, "last.pt")
    state = torch.load(last, map_location="cpu") if args.resume and os.path.exists(last) else None
    if state is None and args.init:
        state = torch.load(args.init, map_location="cpu")
    if state:
        cfg = dict(state["config"])
    if args.phone_ctc is not None:
        cfg["phone_layer"] = args.phone_ctc
    try:
        model = EarshotModel(**cfg)
    except ValueError as e:
        sys.exit(f"train: {e}")
    if state:
        weights = {k: v.float() for k, v in state["model"].items()}
        if not model.cfg["phone_layer"]:
            weights = {k: v for k, v in weights.items() if not k.startswith("phone_head.")}  # --phone-ctc 0 drops it
        missing, unexpected = model.load_state_dict(weights, strict=False)
        if unexpected or any(not k.startswith("phone_head.") for k in missing):
            sys.exit(f"train: checkpoint and model differ: missing {missing}, unexpected {unexpected}")
        if missing and rank == 0:
            print(f"phone head: new on encoder layer {model.cfg['phone_layer']} (the checkpoint has none)", flush=True)
    else:
        mean, std = D.feature_stats(train)
        model.feat_mean.copy_(torch.from_numpy(mean))
        model.feat_std.copy_(torch.from_numpy(std))
    if args.prime_ms is not None:
        if not 0 <= args.prime_ms <= 2000:
            sys.exit(f"train: --prime-ms must be within [0, 2000], got {args.prime_ms}")
        model.cfg["prime_ms"] = args.prime_ms
    # Training options are not model properties, so --init/--resume do not inherit them; say when
    # one differs from the checkpoint's own run (session 13 dropped --centre-jitter 2 unnoticed).
    was = state.get("args", {}) if state else {}
    for k in ("centre_jitter", "ctc_weight", "batch_frames"):
        if rank == 0 and k in was and was[k] != getattr(args, k):
            print(f"note: --{k.replace('_', '-')} {getattr(args, k)} (the checkpoint was trained with {was[k]})",
                  flush=True)
    if model.cfg["phone_layer"]:
        import phones
        LEXICON = phones.Lexicon(t for _, t in train)
        if rank == 0:
            print(f"phone head: encoder layer {model.cfg['phone_layer']}, {len(phones.PHONES) - 1} phones, "
                  f"{len(LEXICON.ids)} words pronounced by espeak-ng, loss weight {args.phone_weight}", flush=True)
    if rank == 0 and model.prime_frames():
        print(f"primed: {model.prime_frames()} encoder frames of silence before every input", flush=True)
    if args.qat and not model.cfg.get("qat"):
        import export
        cal = export.calibrate(model, args.dev or args.train[0])
        model.set_qat({"input_absmax": cal["input_p9999"], "query_absmax": cal["query_absmax"]})
        model.train()
    if rank == 0 and model.cfg.get("qat"):
        print(f"quantization-aware: |x| range {model.cfg['qat']['input_absmax']:.3f}, "
              f"|q| range {model.cfg['qat']['query_absmax']:.3f}", flush=True)
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    step, best = 0, float("inf")
    rewarm = 0
    args.lr_origin = 0
    if state:
        step, best = state["step"], state.get("best_cer", float("inf"))
        resumed = args.resume and os.path.exists(last)
        # A resumed run keeps its schedule; --init starts a new one at the checkpoint's step.
        args.lr_origin = state.get("lr_origin", 0) if resumed else step
        if "opt" in state:
            if len(state["opt"]["param_groups"][0]["params"]) != len(list(model.parameters())):
                sys.exit("train: --resume with a phone head added or removed: the optimiser state does not fit; "
                         "start a new run folder with --init from a slim copy (slim.py)")
            opt.load_state_dict(state["opt"])
            random.setstate(state["rng"])
            torch.set_rng_state(state["torch_rng"])
        else:  # slim checkpoint: fresh Adam moments, so warm the learning rate up again
            rewarm = args.warmup
        if rank == 0:
            print(f"resumed at step {step} (best dev CER {best:.3f})", flush=True)
    objective = JointLoss(model, args.centre_jitter)
    if world > 1:
        objective = torch.nn.parallel.DistributedDataParallel(objective)
    if rank == 0:
        print(f"learning rate: warm-up to --lr {args.lr:.2e} over steps {args.lr_origin}-{args.lr_origin + args.warmup}, "
              f"then 1/sqrt decay (floor {0.05 * args.lr:.2e})"
              + (f", cosine to {args.lr_final:.2e} over steps {args.anneal[0]}-{args.anneal[1]}" if args.anneal else "")
              + f"; at step {step}: {lr_at(step, args):.2e}", flush=True)
        print(f"model: {model.num_parameters()} parameters, {model.macs_per_second() / 1e6:.1f} M MAC per second of audio", flush=True)

    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    signal.signal(signal.SIGINT, lambda *_: stop.update(now=True))
    rng = random.Random(args.seed * 1000 + rank)
    batches = D.length_batches(train, args.batch_frames, rng, rank, world)
    t0 = last_save = time.time()
    start_step = step
    log = open(os.path.join(args.out, "log.jsonl"), "a") if rank == 0 else None
    avg = None
    while step < args.steps and not stop["now"]:
        items = next(batches)
        x, lens, tgt, tl, ptgt, ptl = make_batch(items, model, rng, augment=True)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args) * (min(1.0, (step - start_step + 1) / rewarm) if rewarm else 1.0)
        pt = (ptgt.to(device), ptl.to(device)) if ptgt is not None else (None, None)
        l_ctc, l_att, l_adv, l_ph = objective(x.to(device), lens.to(device), tgt.to(device), tl.to(device), step, *pt)
        loss = args.ctc_weight * l_ctc + (1 - args.ctc_weight) * l_att + 0.1 * l_adv + args.phone_weight * l_ph
        opt.zero_grad()
        loss.backward()  # under DDP this also averages the gradients across ranks
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        step += 1
        cur = [float(l_ctc), float(l_att), float(l_adv), float(l_ph)]
        avg = cur if avg is None else [0.98 * a + 0.02 * c for a, c in zip(avg, cur)]
        if rank == 0 and step % 50 == 0:
            el = time.time() - t0
            ph = f" phone {avg[3]:.3f}" if model.cfg["phone_layer"] else ""
            print(f"step {step} ctc {avg[0]:.3f} att {avg[1]:.3f} adv {avg[2]:.2f}{ph} lr {lr_at(step, args):.2e} "
                  f"{el / 60:.1f} min", flush=True)
        if rank == 0 and dev and step % args.eval_every == 0:
            c_ctc, c_att = evaluate(model, dev)
            print(f"  dev CER ctc {c_ctc:.3f} attention {c_att:.3f}", flush=True)
            log.write(json.dumps({"step": step, "loss": avg, "dev_cer_ctc": c_ctc, "dev_cer_att": c_att,
                                  "minutes": (time.time() - t0) / 60}) + "\n")
            log.flush()
            if min(c_ctc, c_att) < best:
                best = min(c_ctc, c_att)
                save(os.path.join(args.out, "best.pt"), model, opt, step, args, {"best_cer": best})
        if rank == 0 and args.keep_every and step % args.keep_every == 0:
            save(os.path.join(args.out, f"step-{step}.pt"), model, opt, step, args, {"best_cer": best}, slim=True)
        if args.max_minutes and time.time() - t0 > args.max_minutes * 60:
            break
        if rank == 0 and time.time() - last_save > args.save_minutes * 60:
            save(last, model, opt, step, args, {"best_cer": best})
            last_save = time.time()
    if rank == 0:
        save(last, model, opt, step, args, {"best_cer": best})
        print(f"saved {last} at step {step}", flush=True)
    if world > 1:
        torch.distributed.destroy_process_group()


def _spawned(rank, world, port, argv):
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    main(argv)


if __name__ == "__main__":
    a = parse_args()
    if a.nproc > 1 and "WORLD_SIZE" not in os.environ:
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        torch.multiprocessing.spawn(_spawned, args=(a.nproc, port, sys.argv[1:]), nprocs=a.nproc)
    else:
        main()
