"""A small labelled Fashion-MNIST folder in the ImageFolder layout, for Evaluate Model on Folder.

  /usr/bin/python3 tools/make_evaluate_fixture.py     # writes samples/labelled/<class>/*.png

The first PER_CLASS images of each class of the test split (never seen in training), from Debian's
dataset-fashion-mnist, at 28x28 as the dataset has them. The folder names are spelled the ways users
spell classes so the name matching is exercised: case, "_" for "/" and " ", and one class index.
"""
import gzip
import os
import shutil

import numpy as np
from PIL import Image

DATA = "/usr/share/datasets/fashion-mnist"
OUT = os.path.join(os.path.dirname(__file__), "..", "samples", "labelled")
PER_CLASS = 4
FOLDERS = ["t-shirt_top", "Trouser", "pullover", "DRESS", "coat", "5", "Shirt", "sneaker", "bag", "ankle_boot"]

with gzip.open(os.path.join(DATA, "t10k-images-idx3-ubyte.gz"), "rb") as f:
    x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
with gzip.open(os.path.join(DATA, "t10k-labels-idx1-ubyte.gz"), "rb") as f:
    y = np.frombuffer(f.read(), np.uint8, offset=8)

shutil.rmtree(OUT, ignore_errors=True)
for c, name in enumerate(FOLDERS):
    os.makedirs(os.path.join(OUT, name))
    for i in np.nonzero(y == c)[0][:PER_CLASS]:
        Image.fromarray(x[i], mode="L").save(os.path.join(OUT, name, f"test-{i:05d}.png"), optimize=True)
print("wrote", OUT)
