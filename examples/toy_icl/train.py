#!/usr/bin/python3
"""Trains the tiny ICL transformers of the demo data and dumps their activations.

    /usr/bin/python3 examples/toy_icl/train.py --out data/demo

trains one model per task (default: function, classify), writes OUT/weights/<task>.pt
(state_dict) and OUT/weights/<task>.json (configuration, training log, accuracy against the
number of demonstrations), then runs dump.py's dump into OUT (activations and manifest.json).
CPU only, one thread, seeded: the same command gives the same files.
"""

import argparse
import json
import os

# One thread everywhere (torch, and the BLAS/OpenMP pools under it): set before the imports.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import toy_model  # noqa: E402
import dump  # noqa: E402

DEFAULT_STEPS = {"function": 5000, "classify": 5000, "regression": 12000}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--out", required=True, help="output directory (weights/, activations, manifest)")
    p.add_argument("--tasks", default="function,classify",
                   help="comma-separated: function, classify, regression (default: %(default)s)")
    p.add_argument("--steps", default="",
                   help="steps per task, e.g. 'function=2500,classify=2500' or one number for all")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--d-model", type=int, default=64)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--max-demos", type=int, default=8, help="demonstrations per training sequence")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--eval-per-k", type=int, default=500, help="prompts per k in the final evaluation")
    p.add_argument("--log-every", type=int, default=250)
    p.add_argument("--no-dump", action="store_true", help="train only")
    p.add_argument("--dump-per-k", type=int, default=250, help="prompts per k in the dump")
    p.add_argument("--dump-attention", type=int, default=64, help="prompts with attention maps")
    return p.parse_args(argv)


def steps_for(args, names):
    steps = dict(DEFAULT_STEPS)
    if args.steps:
        if "=" not in args.steps:
            steps = {n: int(args.steps) for n in names}
        else:
            for item in args.steps.split(","):
                key, value = item.split("=")
                steps[key.strip()] = int(value)
    return steps


def train_task(name, args, steps, seed):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    task = toy_model.TASKS[name](args.max_demos)
    cfg = {"layers": args.layers, "d_model": args.d_model, "heads": args.heads, "eps": 1e-5}
    model = toy_model.make_model(task, cfg)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)

    def lr_at(step):
        if step < args.warmup:
            return (step + 1) / args.warmup
        progress = (step - args.warmup) / max(1, steps - args.warmup)
        return 0.1 + 0.9 * 0.5 * (1.0 + np.cos(np.pi * progress))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    log = []
    start = time.time()
    running = 0.0
    for step in range(steps):
        b = task.batch(rng, args.batch, args.max_demos)
        logits, _, _ = model(b["inputs"])
        loss = toy_model.loss_of(task, logits, b["targets"])
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        running += float(loss)
        if (step + 1) % args.log_every == 0 or step + 1 == steps:
            count = (step % args.log_every) + 1
            entry = {"step": step + 1, "loss": running / count, "seconds": time.time() - start}
            log.append(entry)
            print(f"[{name}] step {step + 1}/{steps} loss {entry['loss']:.4f} "
                  f"({entry['seconds']:.0f} s)", flush=True)
            running = 0.0
    seconds = time.time() - start
    curve = toy_model.evaluate(task, model, np.random.default_rng(seed + 1), args.eval_per_k)
    metric = "mse" if name == "regression" else "accuracy"
    print(f"[{name}] trained in {seconds:.0f} s; query {metric} by number of demonstrations:")
    print("  " + "  ".join(f"k={k}: {v:.3f}" for k, v in enumerate(curve)), flush=True)
    info = {"task": name, "seed": seed, "steps": steps, "batch": args.batch, "lr": args.lr,
            "warmup": args.warmup, "max_demos": args.max_demos, "model": cfg,
            "max_len": task.max_len, "train_seconds": seconds, "log": log,
            "eval": {"metric": metric, "per_k": args.eval_per_k, "by_demonstrations": curve}}
    return model, info


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    names = [n.strip() for n in args.tasks.split(",") if n.strip()]
    for n in names:
        if n not in toy_model.TASKS:
            sys.exit(f"train.py: unknown task '{n}' (known: {', '.join(toy_model.TASKS)})")
    steps = steps_for(args, names)
    wdir = os.path.join(args.out, "weights")
    os.makedirs(wdir, exist_ok=True)
    for name in names:
        model, info = train_task(name, args, steps[name], args.seed + dump.SEED_OFFSET[name])
        torch.save(model.state_dict(), os.path.join(wdir, f"{name}.pt"))
        with open(os.path.join(wdir, f"{name}.json"), "w") as f:
            json.dump(info, f, indent=1)
            f.write("\n")
    if not args.no_dump:
        dump.main(["--weights", wdir, "--out", args.out, "--tasks", ",".join(names),
                   "--per-k", str(args.dump_per_k), "--attention", str(args.dump_attention),
                   "--seed", str(args.seed)])


if __name__ == "__main__":
    main()
