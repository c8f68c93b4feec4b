#!/bin/sh
# The exact sequence that made media/models/fashion-{vit,swin}.onnx (see tools/README.md).
# Each step resumes from tools/.work/<model>-last.pt; seeds depend only on the epoch, so
# re-running the sequence repeats the run. Both models can run side by side (one thread each).
set -e
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
vit() {
  $PY tools/train_fashion.py --model vit --fresh                      # 10 epochs, lr 2e-3, crop+flip
  $PY tools/train_fashion.py --model vit --finetune 3 --lr 3e-4         # epochs 11-13
  $PY tools/train_fashion.py --model vit --finetune 2 --lr 2e-4 --no-aug   # epochs 14-15
  $PY tools/train_fashion.py --model vit --export-only
}
swin() {
  $PY tools/train_fashion.py --model swin --fresh                     # 9 epochs, lr 2.5e-3, crop+flip
  $PY tools/train_fashion.py --model swin --finetune 4 --lr 5e-4 --stop-after 1   # epoch 10 (stopped early)
  $PY tools/train_fashion.py --model swin --finetune 2 --lr 3e-4 --no-aug  # epochs 11-12
  $PY tools/train_fashion.py --model swin --export-only
}
vit > tools/.work/train-all-vit.out 2>&1 &
swin > tools/.work/train-all-swin.out 2>&1
wait
$PY tools/train_fashion.py --samples
