#!/usr/bin/python3
"""Train the embedded Fashion-MNIST ViT and Swin models and export them to media/models/.

Uses Debian's python3-torch / python3-torchvision and the dataset from Debian's
dataset-fashion-mnist package (/usr/share/datasets/fashion-mnist).

  /usr/bin/python3 tools/train_fashion.py --model vit            # train (resumes from checkpoint)
  /usr/bin/python3 tools/train_fashion.py --model swin
  /usr/bin/python3 tools/train_fashion.py --model vit --export-only   # export best checkpoint
  /usr/bin/python3 tools/train_fashion.py --samples              # write samples/*.png

Training runs on CPU with one thread per process (torch.set_num_threads(1)) so the
two models can train side by side. Checkpoints and logs go to tools/.work/.

The model input is the grayscale image replicated to 3 channels, 28x28, pixel/255,
normalised with MEAN/STD below (also written to the sidecar JSON).
"""
import argparse
import gzip
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "tools", ".work")
MODELS = os.path.join(ROOT, "media", "models")
REF = os.path.join(ROOT, "test", "fixtures", "reference")
SAMPLES = os.path.join(ROOT, "samples")
DATA = "/usr/share/datasets/fashion-mnist"

LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
MEAN = [0.286, 0.286, 0.286]
STD = [0.353, 0.353, 0.353]


def read_idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    ndim = magic & 0xFF
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    return arr.reshape(dims)


def load_split(train):
    p = "train" if train else "t10k"
    x = read_idx(f"{p}-images-idx3-ubyte.gz")
    y = read_idx(f"{p}-labels-idx1-ubyte.gz")
    return x, y.astype(np.int64)


def to_input(x_uint8):
    """uint8 [N,28,28] -> float32 [N,3,28,28] exactly as the TypeScript pipeline does."""
    x = torch.from_numpy(np.ascontiguousarray(x_uint8)).float() / 255.0
    x = x.unsqueeze(1).expand(-1, 3, -1, -1)
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return ((x - mean) / std).contiguous()


def build(model_name):
    if model_name == "vit":
        from torchvision.models.vision_transformer import VisionTransformer
        m = VisionTransformer(image_size=28, patch_size=4, num_layers=6, num_heads=4,
                              hidden_dim=64, mlp_dim=256, num_classes=10)
    elif model_name == "swin":
        from torchvision.models.swin_transformer import SwinTransformer
        # patch 2 -> 14x14 tokens, window 7 -> 4 windows in stage 1 (shifted by 3 in
        # every 2nd block); patch merging -> 7x7 in stage 2 (one window).
        m = SwinTransformer(patch_size=[2, 2], embed_dim=32, depths=[2, 4], num_heads=[2, 4],
                            window_size=[7, 7], stochastic_depth_prob=0.0, num_classes=10)
    else:
        raise SystemExit("unknown model " + model_name)
    return m


HP = {
    # epochs, peak lr, batch, weight decay, warmup epochs
    "vit": dict(epochs=10, lr=2e-3, batch=128, wd=0.05, warmup=0.5),
    "swin": dict(epochs=9, lr=2.5e-3, batch=128, wd=0.05, warmup=0.5),
}


def augment(xb_uint8, rng):
    """random crop 28 from 32 (pad 2, zeros) + horizontal flip, on uint8 numpy batch."""
    n = xb_uint8.shape[0]
    padded = np.zeros((n, 32, 32), dtype=np.uint8)
    padded[:, 2:30, 2:30] = xb_uint8
    ox = rng.integers(0, 5, n)
    oy = rng.integers(0, 5, n)
    out = np.empty_like(xb_uint8)
    flip = rng.random(n) < 0.5
    for i in range(n):
        c = padded[i, oy[i]:oy[i] + 28, ox[i]:ox[i] + 28]
        out[i] = c[:, ::-1] if flip[i] else c
    return out


@torch.no_grad()
def evaluate(model, x_test, y_test, bs=500):
    model.eval()
    correct = 0
    for i in range(0, len(x_test), bs):
        logits = model(to_input(x_test[i:i + bs]))
        correct += (logits.argmax(1).numpy() == y_test[i:i + bs]).sum()
    return float(correct) / len(x_test)


def log(path, msg):
    line = time.strftime("%H:%M:%S ") + msg
    print(line, flush=True)
    with open(path, "a") as f:
        f.write(line + "\n")


def train(args):
    torch.set_num_threads(args.threads)
    os.makedirs(WORK, exist_ok=True)
    hp = dict(HP[args.model])
    if args.epochs:
        hp["epochs"] = args.epochs
    if args.lr and not args.finetune:
        hp["lr"] = args.lr
    logp = os.path.join(WORK, f"train-{args.model}.log")
    ckpt = os.path.join(WORK, f"{args.model}-last.pt")
    best = os.path.join(WORK, f"{args.model}-best.pt")
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x_train, y_train = load_split(True)
    x_test, y_test = load_split(False)
    model = build(args.model)
    nparams = sum(p.numel() for p in model.parameters())
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (no_decay if p.ndim <= 1 or "pos" in n or "token" in n or "relative_position" in n else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": hp["wd"]},
                             {"params": no_decay, "weight_decay": 0.0}], lr=hp["lr"])
    steps_per_epoch = len(x_train) // hp["batch"]
    total = hp["epochs"] * steps_per_epoch
    warm = int(hp["warmup"] * steps_per_epoch)
    ft_start = None  # with --finetune: a second short cosine from --lr (default 3e-4) to ~0

    def lr_at(step):
        if ft_start is not None:
            t = (step - ft_start) / max(1, total - ft_start)
            return hp["ft_lr"] * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * t)))
        if step < warm:
            return hp["lr"] * (step + 1) / warm
        t = (step - warm) / max(1, total - warm)
        return hp["lr"] * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * t)))

    start_epoch, best_acc, elapsed = 0, 0.0, 0.0
    if os.path.exists(ckpt) and not args.fresh:
        st = torch.load(ckpt)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        start_epoch, best_acc, elapsed = st["epoch"], st["best_acc"], st["elapsed"]
        rng = np.random.default_rng(1000 + start_epoch)
        torch.manual_seed(1000 + start_epoch)
        log(logp, f"resumed at epoch {start_epoch}, best {best_acc:.4f}")
        if args.finetune:
            hp["epochs"] = start_epoch + args.finetune
            hp["ft_lr"] = args.lr or 3e-4
            total = hp["epochs"] * steps_per_epoch
            ft_start = start_epoch * steps_per_epoch
            log(logp, f"finetune {args.finetune} more epochs, cosine from lr {hp['ft_lr']}")
    log(logp, f"model {args.model} params {nparams} hp {hp} threads {args.threads} pid {os.getpid()}")
    crit = nn.CrossEntropyLoss(label_smoothing=0.1)
    end_epoch = hp["epochs"] if not args.stop_after else min(hp["epochs"], start_epoch + args.stop_after)
    for epoch in range(start_epoch, end_epoch):
        model.train()
        t0 = time.time()
        perm = rng.permutation(len(x_train))
        run_loss = 0.0
        for s in range(steps_per_epoch):
            step = epoch * steps_per_epoch + s
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            idx = perm[s * hp["batch"]:(s + 1) * hp["batch"]]
            xb = to_input(x_train[idx] if args.no_aug else augment(x_train[idx], rng))
            yb = torch.from_numpy(y_train[idx])
            loss = crit(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            run_loss += loss.item()
            if s % 100 == 0:
                log(logp, f"epoch {epoch + 1} step {s}/{steps_per_epoch} loss {loss.item():.4f} "
                          f"lr {lr_at(step):.2e} {time.time() - t0:.0f}s")
        acc = evaluate(model, x_test, y_test)
        dt = time.time() - t0
        elapsed += dt
        if acc > best_acc:
            best_acc = acc
            torch.save({"model": model.state_dict(), "epoch": epoch + 1, "acc": acc}, best)
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "epoch": epoch + 1,
                    "best_acc": best_acc, "elapsed": elapsed}, ckpt)
        log(logp, f"EPOCH {epoch + 1}/{hp['epochs']} loss {run_loss / steps_per_epoch:.4f} "
                  f"test_acc {acc:.4f} best {best_acc:.4f} epoch_time {dt:.0f}s total {elapsed / 60:.1f}min")
    with open(os.path.join(WORK, f"{args.model}-train-summary.json"), "w") as f:
        json.dump({"model": args.model, "params": nparams, "epochs": hp["epochs"], "hp": hp,
                   "best_acc": best_acc, "train_minutes": round(elapsed / 60, 1),
                   "threads": args.threads}, f, indent=1)
    log(logp, "DONE")


def export(args):
    torch.set_num_threads(args.threads)
    import onnx
    best = os.path.join(WORK, f"{args.model}-best.pt")
    st = torch.load(best)
    model = build(args.model)
    model.load_state_dict(st["model"])
    model.eval()
    x_test, y_test = load_split(False)
    acc = evaluate(model, x_test, y_test)
    os.makedirs(MODELS, exist_ok=True)
    out = os.path.join(MODELS, f"fashion-{args.model}.onnx")
    dummy = to_input(x_test[:1])
    # grad enabled: under no_grad torch 1.13's MultiheadAttention takes a fused fast path
    # that the exporter cannot trace
    with torch.enable_grad():
        torch.onnx.export(model, dummy, out, opset_version=17, input_names=["input"],
                          output_names=["logits"], do_constant_folding=True)
    m = onnx.load(out)
    onnx.checker.check_model(m)
    m.doc_string = f"ViT Inspector embedded Fashion-MNIST {args.model}"
    for k, v in (("labels", ",".join(LABELS)), ("dataset", "fashion-mnist"),
                 ("pytorch_test_accuracy", f"{acc:.4f}")):
        p = m.metadata_props.add()
        p.key, p.value = k, v
    onnx.save(m, out)
    side = {"imageSize": 28, "resize": 28, "crop": 28, "mean": MEAN, "std": STD,
            "interpolation": "bilinear", "labels": "fashion-mnist.labels.txt"}
    with open(os.path.join(MODELS, f"fashion-{args.model}.json"), "w") as f:
        json.dump(side, f, indent=1)
        f.write("\n")
    with open(os.path.join(MODELS, "fashion-mnist.labels.txt"), "w") as f:
        f.write("\n".join(LABELS) + "\n")
    # reference logits for the first 100 test images
    with torch.enable_grad():  # the same (Python) attention path the export traced
        logits = model(to_input(x_test[:100])).detach().numpy().astype(np.float32)
    os.makedirs(REF, exist_ok=True)
    with open(os.path.join(REF, f"fashion-{args.model}.logits.json"), "w") as f:
        json.dump({"model": f"media/models/fashion-{args.model}.onnx",
                   "source": "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz",
                   "input": "gray uint8 -> /255 -> replicated to 3 channels -> (x-mean)/std",
                   "mean": MEAN, "std": STD,
                   "indices": list(range(100)), "labels": [int(v) for v in y_test[:100]],
                   "logits": [[float(v) for v in row] for row in logits]}, f)
    summ_p = os.path.join(WORK, f"{args.model}-train-summary.json")
    summ = json.load(open(summ_p)) if os.path.exists(summ_p) else {}
    res = {"model": args.model, "onnx": out, "bytes": os.path.getsize(out),
           "params": sum(p.numel() for p in model.parameters()),
           "pytorch_test_acc": acc, "best_epoch": st.get("epoch"),
           "train_minutes": summ.get("train_minutes"), "epochs": summ.get("epochs")}
    with open(os.path.join(WORK, f"{args.model}-export.json"), "w") as f:
        json.dump(res, f, indent=1)
    print(json.dumps(res))
    write_accuracy_md()


def write_accuracy_md():
    rows = []
    for name in ("vit", "swin"):
        p = os.path.join(WORK, f"{name}-export.json")
        if os.path.exists(p):
            r = json.load(open(p))
            po = os.path.join(WORK, f"{name}-ort.json")  # from tools/check/fashion_accuracy.cjs
            ort = json.load(open(po)) if os.path.exists(po) else None
            ort_s = f"{ort['ortAccuracy'] * 100:.2f}%" if ort else "not measured"
            rows.append(f"| fashion-{name}.onnx | {r['params']:,} | {r['pytorch_test_acc'] * 100:.2f}% | {ort_s} | "
                        f"{r.get('best_epoch')} of {r.get('epochs')} | {r.get('train_minutes')} min |")
    text = ("# Embedded models: accuracy\n\n"
            "Made by `/usr/bin/python3 tools/train_fashion.py` (Debian python3-torch, CPU, "
            "one thread per model, both models trained side by side on a shared 2-core machine, with other "
            "work running; the time is the sum of epoch wall times, main schedule plus short low-lr "
            "fine-tuning runs, see tools/README.md).\n"
            "Accuracy: top-1 on the 10,000 Fashion-MNIST test images, measured in PyTorch on the "
            "exported weights, input = gray/255 replicated to 3 channels, normalised with the "
            "sidecar's mean/std.\n\n"
            "The ONNX Runtime column is onnxruntime-node (CPU) on the exported .onnx with the same input "
            "tensors, computed in JavaScript from the idx files (no PNG decode/resize), by "
            "`node tools/check/fashion_accuracy.cjs <vit|swin> > tools/.work/<vit|swin>-ort.json`; the project's own TypeScript pipeline "
            "measurement belongs in the README.\n\n"
            "| model | params | PyTorch test top-1 | ONNX Runtime top-1 | checkpoint epoch (of trained) | training time (CPU, 1 thread, shared) |\n"
            "| --- | --- | --- | --- | --- | --- |\n" + "\n".join(rows) + "\n")
    with open(os.path.join(MODELS, "ACCURACY.md"), "w") as f:
        f.write(text)


def samples():
    from PIL import Image
    x_test, y_test = load_split(False)
    names = {9: "ankle-boot", 7: "sneaker", 0: "tshirt", 1: "trouser", 8: "bag",
             3: "dress", 2: "pullover", 5: "sandal", 4: "coat", 6: "shirt"}
    os.makedirs(SAMPLES, exist_ok=True)
    # with trained checkpoints, pick images both models get right with confidence >= 0.8,
    # so "classify a sample" has a well-defined expected top-1 label
    ok = np.ones(len(y_test), dtype=bool)
    for name in ("vit", "swin"):
        p = os.path.join(WORK, f"{name}-best.pt")
        if os.path.exists(p):
            model = build(name)
            model.load_state_dict(torch.load(p)["model"])
            model.eval()
            with torch.no_grad():
                prob = torch.cat([model(to_input(x_test[i:i + 500])).softmax(-1)
                                  for i in range(0, 2000, 500)]).numpy()
            good = (prob.argmax(1) == y_test[:2000]) & (prob.max(1) >= 0.8)
            ok[:2000] &= good
            ok[2000:] = False
            print(name, "checkpoint used to choose samples")
    for f in os.listdir(SAMPLES):
        if f.endswith(".png"):
            os.remove(os.path.join(SAMPLES, f))
    made = {}
    for i in range(len(y_test)):
        c = int(y_test[i])
        if c in names and c not in made and ok[i]:
            img = Image.fromarray(x_test[i], mode="L").resize((112, 112), Image.NEAREST)
            img.save(os.path.join(SAMPLES, names[c] + ".png"), optimize=True)
            made[c] = i
        if len(made) == len(names):
            break
    with open(os.path.join(SAMPLES, "README.md"), "w") as f:
        f.write("# Sample images\n\nFashion-MNIST test images, upscaled 4x (nearest) to 112x112 "
                "grayscale PNG; the pipeline resizes them back to 28x28. Made by "
                "`/usr/bin/python3 tools/train_fashion.py --samples`; each is one that both embedded models "
                "classify correctly with probability >= 0.8 (when the checkpoints exist).\n\n")
        for c, i in sorted(made.items(), key=lambda t: t[1]):
            f.write(f"- `{names[c]}.png` — {LABELS[c]} (test index {i})\n")
    print(made)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["vit", "swin"])
    ap.add_argument("--export-only", action="store_true")
    ap.add_argument("--samples", action="store_true")
    ap.add_argument("--accuracy-md", action="store_true", help="rewrite media/models/ACCURACY.md only")
    ap.add_argument("--fresh", action="store_true")
    ap.add_argument("--epochs", type=int, default=0)
    ap.add_argument("--lr", type=float, default=0)
    ap.add_argument("--finetune", type=int, default=0,
                    help="after training: N more epochs from the last checkpoint, cosine from --lr (3e-4)")
    ap.add_argument("--stop-after", type=int, default=0, help="train at most N epochs in this run")
    ap.add_argument("--no-aug", action="store_true", help="no crop/flip augmentation")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--bench", action="store_true", help="time 20 training steps and exit")
    args = ap.parse_args()
    if args.samples:
        samples()
        return
    if args.accuracy_md:
        write_accuracy_md()
        return
    if not args.model:
        ap.error("--model is required")
    if args.bench:
        torch.set_num_threads(args.threads)
        m = build(args.model)
        print("params", sum(p.numel() for p in m.parameters()))
        opt = torch.optim.AdamW(m.parameters(), 1e-3)
        x = torch.randn(HP[args.model]["batch"], 3, 28, 28)
        y = torch.randint(0, 10, (x.shape[0],))
        for i in range(22):
            if i == 2:
                t0 = time.time()
            loss = F.cross_entropy(m(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        dt = (time.time() - t0) / 20
        print(f"{dt * 1000:.0f} ms/step, {dt * 60000 / x.shape[0] / 60:.1f} min/epoch")
        return
    if args.export_only:
        export(args)
    else:
        train(args)


if __name__ == "__main__":
    main()
