#!/usr/bin/python3
"""Make the preprocessing references: photo-like images of different sizes and what PIL
(through torchvision's transforms, or Hugging Face's rules re-stated below) makes of them.

  /usr/bin/python3 tools/make_preprocess_refs.py

Needs Debian's python3-pil, python3-numpy, python3-torchvision. Deterministic (fixed seed).

Outputs, in test/fixtures/preprocess/:
  <image>.jpg|png           the source images (synthesised: gradients, shapes, fine stripes near
                            the Nyquist rate so that a resampler without antialiasing shows, noise)
  ref/<image>.<config>.png  the 8-bit RGB image after resize and crop, exactly as PIL produced it:
                            the model's input tensor is this /255 (rescale), then (x - mean) / std,
                            so a lossless PNG stores the float tensor exactly and compactly
  manifest.json             the configs (the file a user would put beside the model, verbatim),
                            the images and, per reference, its size and the float32 tensor's
                            per-channel sums (computed here, to check the normalisation too)

Hugging Face is not installed here, so its rules are re-stated from transformers'
image_transforms.py / image_processing_utils.py (and Transformers.js, which agrees):
  size {height, width} or an int (ViT-style processors): resize to exactly that, PIL, no crop
  size {shortest_edge: s}: shorter side s, longer side int(s * long / short) (truncated)
  size {longest_edge: l}: longer side l, shorter side int(l * short / long) (truncated)
  do_center_crop + crop_size: top = (h - ch) // 2, left = (w - cw) // 2 (floor)
  resample: PIL codes (0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming)
  the resize runs on the uint8 image (PIL), then x * rescale_factor, then (x - mean) / std
torchvision and timm use torchvision.transforms for real: Resize(int) keeps the aspect ratio
with the longer side truncated; CenterCrop offsets are int(round((h - ch) / 2)) (half to even).
timm: Resize(floor(size / crop_pct)) + CenterCrop(size) (crop_mode 'center').
"""
import json
import math
import os

import numpy as np
from PIL import Image, ImageDraw
import torchvision.transforms as T
from torchvision.transforms import InterpolationMode

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "preprocess")
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]

PIL_FILTERS = {0: Image.NEAREST, 1: Image.LANCZOS, 2: Image.BILINEAR, 3: Image.BICUBIC, 4: Image.BOX, 5: Image.HAMMING}
TV_MODES = {"nearest": InterpolationMode.NEAREST, "bilinear": InterpolationMode.BILINEAR, "bicubic": InterpolationMode.BICUBIC,
            "lanczos": InterpolationMode.LANCZOS, "box": InterpolationMode.BOX, "hamming": InterpolationMode.HAMMING}


def photo(rng, w, h):
    """A photo-like image: smooth colour fields, shapes with hard edges, a patch of fine stripes, noise."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    base = np.stack([
        128 + 90 * np.sin(x / w * rng.uniform(2, 5) + rng.uniform(0, 6)) * np.cos(y / h * rng.uniform(1, 4)),
        128 + 80 * np.cos((x + y) / (w + h) * rng.uniform(3, 7)),
        128 + 70 * np.sin(y / h * rng.uniform(2, 6) + x / w),
    ], axis=-1)
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(img)
    for _ in range(7):
        x0, y0 = rng.uniform(-0.2, 0.9) * w, rng.uniform(-0.2, 0.9) * h
        x1, y1 = x0 + rng.uniform(0.1, 0.5) * w, y0 + rng.uniform(0.1, 0.5) * h
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        (d.ellipse if rng.random() < 0.5 else d.rectangle)([x0, y0, x1, y1], fill=colour)
    a = np.asarray(img).astype(np.float64)
    # Stripes with a period of ~2.5 px in one corner: aliasing turns them into visible low-frequency bands.
    sx, sy = slice(int(0.6 * w), int(0.95 * w)), slice(int(0.05 * h), int(0.35 * h))
    a[sy, sx] = a[sy, sx] * 0.4 + 153 * (0.5 + 0.5 * np.sin(x[sy, sx] * 2.5 + y[sy, sx] * 0.7))[..., None]
    a += rng.normal(0, 1.5, a.shape)
    return Image.fromarray(np.clip(np.round(a), 0, 255).astype(np.uint8))


IMAGES = [  # name, width, height, format
    ("landscape", 640, 480, "jpg"),
    ("portrait", 480, 640, "jpg"),
    ("wide", 500, 333, "jpg"),
    ("large", 1000, 750, "jpg"),
    ("odd", 301, 257, "jpg"),
    ("square", 224, 224, "png"),
    ("small", 97, 61, "png"),
]

# name, file beside the model, its JSON (verbatim), the model's input size, who applies it
CONFIGS = [
    ("hf_exact", "preprocessor_config.json",
     {"do_normalize": True, "do_resize": True, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5], "resample": 2, "size": {"height": 224, "width": 224}}, 224),
    ("hf_int", "preprocessor_config.json",
     {"do_normalize": True, "do_resize": True, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5], "resample": 3, "size": 224, "feature_extractor_type": "ViTFeatureExtractor"}, 224),
    ("hf_shortest_crop", "preprocessor_config.json",
     {"do_resize": True, "size": {"shortest_edge": 256}, "do_center_crop": True, "crop_size": {"height": 224, "width": 224}, "do_rescale": True, "rescale_factor": 0.00392156862745098,
      "do_normalize": True, "image_mean": MEAN, "image_std": STD, "resample": 3}, 224),
    ("hf_shortest", "preprocessor_config.json",
     {"do_resize": True, "size": {"shortest_edge": 224}, "do_center_crop": False, "resample": 2, "image_mean": MEAN, "image_std": STD}, None),
    ("hf_longest", "preprocessor_config.json",
     {"do_resize": True, "size": {"longest_edge": 224}, "resample": 3, "image_mean": MEAN, "image_std": STD}, None),
    ("timm", "config.json",
     {"architecture": "vit_base_patch16_224", "num_classes": 1000,
      "pretrained_cfg": {"input_size": [3, 224, 224], "interpolation": "bicubic", "crop_pct": 0.9, "crop_mode": "center", "mean": MEAN, "std": STD}}, 224),
    ("torchvision", "model.json",
     {"imageSize": 224, "resize": 256, "crop": 224, "interpolation": "bilinear", "mean": MEAN, "std": STD}, 224),
    # PIL's other filters, exact resizes (Hugging Face codes)
    ("hf_lanczos", "preprocessor_config.json", {"size": {"height": 160, "width": 200}, "resample": 1, "image_mean": MEAN, "image_std": STD}, None),
    ("hf_box", "preprocessor_config.json", {"size": {"height": 150, "width": 120}, "resample": 4, "image_mean": MEAN, "image_std": STD}, None),
    ("hf_hamming", "preprocessor_config.json", {"size": {"height": 100, "width": 100}, "resample": 5, "image_mean": MEAN, "image_std": STD}, None),
    ("hf_nearest", "preprocessor_config.json", {"size": {"height": 128, "width": 96}, "resample": 0, "image_mean": MEAN, "image_std": STD}, None),
    # The tiny fixture models' input size (32): for the top-1 comparison on real ONNX models
    ("tiny_sidecar", "model.json", {"imageSize": 32, "resize": 32, "crop": 32, "interpolation": "bilinear", "mean": MEAN, "std": STD}, 32),
    ("tiny_hf", "preprocessor_config.json", {"size": {"height": 32, "width": 32}, "resample": 3, "image_mean": MEAN, "image_std": STD}, 32),
    ("tiny_timm", "config.json", {"pretrained_cfg": {"input_size": [3, 32, 32], "interpolation": "bicubic", "crop_pct": 0.875, "mean": MEAN, "std": STD}}, 32),
]


ALL3 = ("landscape", "portrait", "odd")
SAMPLE = {"hf_exact": ALL3 + ("small", "square"), "hf_int": ("large",), "hf_shortest_crop": ALL3, "hf_shortest": ("landscape", "portrait"),
          "hf_longest": ("landscape", "wide"), "timm": ALL3, "torchvision": ALL3, "hf_lanczos": ("odd",), "hf_box": ("wide",),
          "hf_hamming": ("large",), "hf_nearest": ("odd",)}


def hf(img, cfg):
    """Hugging Face's rules (see the module docstring)."""
    w, h = img.size
    resample = PIL_FILTERS[cfg.get("resample", 2)]
    size = cfg.get("size")
    if cfg.get("do_resize", True) and size is not None:
        if isinstance(size, int):
            size = {"height": size, "width": size}
        if "height" in size:
            nw, nh = size["width"], size["height"]
        elif "shortest_edge" in size:
            s = size["shortest_edge"]
            short, long = (w, h) if w <= h else (h, w)
            ns, nl = s, int(s * long / short)
            nw, nh = (ns, nl) if w <= h else (nl, ns)
        else:
            l = size["longest_edge"]
            short, long = (w, h) if w <= h else (h, w)
            nl, ns = l, int(l * short / long)
            nw, nh = (ns, nl) if w <= h else (nl, ns)
        img = img.resize((nw, nh), resample)
    if cfg.get("do_center_crop", False):
        c = cfg["crop_size"]
        cw, ch = (c, c) if isinstance(c, int) else (c["width"], c["height"])
        w, h = img.size
        top, left = (h - ch) // 2, (w - cw) // 2
        assert top >= 0 and left >= 0
        img = img.crop((left, top, left + cw, top + ch))
    return img


def torchvision_sidecar(img, cfg):
    return T.CenterCrop(cfg["crop"])(T.Resize(cfg["resize"], interpolation=TV_MODES[cfg["interpolation"]])(img))


def timm_eval(img, cfg):
    c = cfg["pretrained_cfg"]
    size = c["input_size"][1]
    scale = math.floor(size / c["crop_pct"])
    return T.CenterCrop(size)(T.Resize(scale, interpolation=TV_MODES[c["interpolation"]])(img))


def main():
    os.makedirs(os.path.join(OUT, "ref"), exist_ok=True)
    rng = np.random.default_rng(20261129)
    manifest = {"images": [], "configs": [], "refs": []}
    for name, w, h, fmt in IMAGES:
        img = photo(rng, w, h)
        file = f"{name}.{fmt}"
        if fmt == "jpg":
            img.save(os.path.join(OUT, file), quality=88)
        else:
            img.save(os.path.join(OUT, file), optimize=True)
        manifest["images"].append({"file": file, "width": w, "height": h})
    for cname, file, cfg, input_size in CONFIGS:
        manifest["configs"].append({"name": cname, "file": file, "json": cfg, "inputSize": input_size})
        for name, w, h, fmt in IMAGES:
            # Full-size references on three images (kept small); the 32² ones on all.
            if input_size != 32 and name not in SAMPLE[cname]:
                continue
            # Decoded by PIL (libjpeg-turbo for the JPEGs), as the library would.
            src = Image.open(os.path.join(OUT, f"{name}.{fmt}")).convert("RGB")
            if file == "preprocessor_config.json":
                out = hf(src, cfg)
                mean, std, scale = cfg.get("image_mean", MEAN), cfg.get("image_std", STD), cfg.get("rescale_factor", 1 / 255)
            elif file == "config.json":
                out = timm_eval(src, cfg)
                mean, std, scale = cfg["pretrained_cfg"]["mean"], cfg["pretrained_cfg"]["std"], 1 / 255
            else:
                out = torchvision_sidecar(src, cfg)
                mean, std, scale = cfg["mean"], cfg["std"], 1 / 255
            a = np.asarray(out)
            ref = f"ref/{name}.{cname}.png"
            out.save(os.path.join(OUT, ref), optimize=True)
            x = (a.astype(np.float32) * np.float32(scale) - np.array(mean, np.float32)) / np.array(std, np.float32)
            manifest["refs"].append({"image": f"{name}.{fmt}", "config": cname, "png": ref, "width": out.size[0], "height": out.size[1],
                                     "channelSums": [round(float(x[..., k].sum(dtype=np.float64)), 4) for k in range(3)]})
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    total = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(OUT) for fn in fns)
    print(f"{len(manifest['refs'])} references, {total / 1024:.0f} KiB in {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
