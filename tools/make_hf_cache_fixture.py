#!/usr/bin/env python3
"""A Hugging Face cache written by Python's own huggingface_hub → test/fixtures/hf-cache/.

huggingface_hub downloads two small repos from the tests' stand-in Hub (tools/hub_standin.cjs,
127.0.0.1 only) with hf_hub_download, exactly as a user's `from_pretrained` fills
~/.cache/huggingface/hub: blobs named by ETag, snapshots/{commit}/ relative symlinks, refs/main and
refs/v1, and the .no_exist/ marker it writes for a file the repo does not have. The tests find and
run these models from that cache (test/unit/hub/pythonCache.test.ts, test/runtime/hubCli.test.ts).

Then the other way round (--check, printed, not committed): `vit-inspect pull` downloads the same
repos into a fresh cache and huggingface_hub reads it — scan_cache_dir() lists what we wrote and
hf_hub_download(local_files_only=True) returns our snapshot files.

Needs huggingface_hub (pip install huggingface_hub; Debian has no package), node and a build:
  node scripts/build.mjs --tests
  python3 tools/make_hf_cache_fixture.py [--check]
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
FIX = os.path.join(ROOT, "test", "fixtures")
OUT = os.path.join(FIX, "hf-cache")
ONNX_COMMIT = "1e0c2a3b4d5e6f708192a3b4c5d6e7f8091a2b3c"
ONNX_V1 = "0ff1ce0ff1ce0ff1ce0ff1ce0ff1ce0ff1ce0ff1"
ST_COMMIT = "5afe7e05afe7e05afe7e05afe7e05afe7e05afe7"
NAMES = ["tee", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"]


def write_sources(tmp):
    """The repos' files: a Transformers.js-layout ViT (dynamic_vit.onnx) and a safetensors ViT (checkpoints/hf-vit)."""
    config = os.path.join(tmp, "config.json")
    with open(config, "w") as f:
        json.dump({"model_type": "vit", "architectures": ["ViTForImageClassification"], "id2label": {str(i): n for i, n in enumerate(NAMES)}}, f)
    pre = os.path.join(tmp, "preprocessor_config.json")
    with open(pre, "w") as f:
        json.dump({"do_resize": True, "size": {"height": 32, "width": 32}, "resample": 2, "do_normalize": True, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}, f)
    onnx = os.path.join(FIX, "models", "dynamic_vit.onnx")
    ckpt = os.path.join(FIX, "checkpoints", "hf-vit")
    return [
        {"repo": "Xenova/vit-fixture", "commit": ONNX_COMMIT, "refs": {"v1": ONNX_V1},
         "files": {"config.json": config, "preprocessor_config.json": pre, "onnx/model.onnx": onnx}},
        {"repo": "google/vit-fixture", "commit": ST_COMMIT,
         "files": {n: os.path.join(ckpt, n) for n in ("config.json", "preprocessor_config.json", "model.safetensors")}},
    ]


def python_downloads(cache):
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    for f in ("config.json", "preprocessor_config.json", "onnx/model.onnx"):
        hf_hub_download("Xenova/vit-fixture", f, cache_dir=cache)
    hf_hub_download("Xenova/vit-fixture", "config.json", revision="v1", cache_dir=cache)
    for f in ("config.json", "preprocessor_config.json", "model.safetensors"):
        hf_hub_download("google/vit-fixture", f, cache_dir=cache)
    try:  # transformers asks for files a repo may lack; huggingface_hub remembers the miss in .no_exist/
        hf_hub_download("google/vit-fixture", "labels.txt", cache_dir=cache)
    except EntryNotFoundError:
        pass


def check_ours(cache):
    """vit-inspect pull into `cache`, then huggingface_hub reads it."""
    from huggingface_hub import hf_hub_download, scan_cache_dir

    env = {**os.environ, "HF_HUB_CACHE": cache}
    for repo in ("Xenova/vit-fixture", "google/vit-fixture"):
        subprocess.run(["node", os.path.join(ROOT, "dist", "cli.js"), "pull", repo, "--json"], env=env, check=True, stdout=subprocess.DEVNULL)
    info = scan_cache_dir(cache)
    assert not info.warnings, info.warnings
    seen = {(r.repo_id, rev.commit_hash, tuple(sorted(rev.refs)), tuple(sorted(str(f.file_path.relative_to(rev.snapshot_path)) for f in rev.files))) for r in info.repos for rev in r.revisions}
    want = {("Xenova/vit-fixture", ONNX_COMMIT, ("main",), ("config.json", "onnx/model.onnx", "preprocessor_config.json")),
            ("google/vit-fixture", ST_COMMIT, ("main",), ("config.json", "model.safetensors", "preprocessor_config.json"))}
    assert seen == want, seen
    os.environ["HF_HUB_OFFLINE"] = "1"
    p = hf_hub_download("Xenova/vit-fixture", "onnx/model.onnx", cache_dir=cache, local_files_only=True)
    assert p == os.path.join(cache, "models--Xenova--vit-fixture", "snapshots", ONNX_COMMIT, "onnx", "model.onnx"), p
    print("huggingface_hub reads the cache vit-inspect pull wrote: scan_cache_dir lists", sorted(r[0] for r in seen), "with no warnings; hf_hub_download(local_files_only=True) →", os.path.relpath(p, cache))


def main():
    import huggingface_hub

    tmp = tempfile.mkdtemp(prefix="hf-fixture-")
    spec = os.path.join(tmp, "spec.json")
    with open(spec, "w") as f:
        json.dump(write_sources(tmp), f)
    server = subprocess.Popen(["node", os.path.join(ROOT, "tools", "hub_standin.cjs"), spec], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        os.environ["HF_ENDPOINT"] = json.loads(server.stdout.readline())["endpoint"]
        os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
        os.environ.pop("HF_TOKEN", None)
        shutil.rmtree(OUT, ignore_errors=True)
        python_downloads(OUT)
        # The lock files filelock leaves are not part of the layout a reader depends on.
        shutil.rmtree(os.path.join(OUT, ".locks"), ignore_errors=True)
        print(f"wrote {os.path.relpath(OUT, ROOT)} with huggingface_hub {huggingface_hub.__version__}")
        if "--check" in sys.argv:
            check_ours(os.path.join(tmp, "ours"))
    finally:
        server.stdin.close()
        server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
