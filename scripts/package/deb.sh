#!/usr/bin/env bash
# Builds likeness_VERSION_amd64.deb from a likeness binary: the binary (stripped) with the Swift
# runtime libraries it loads from its own folder, its resource bundles, the model weights
# (checked by the binary itself first), the configuration, the systemd units and the man page.
#
#   scripts/package/deb.sh LIKENESS_BINARY OUTPUT_DIR     (LIKENESS_MODELS, LIKENESS_ONNX_MODELS set)
#
# Prints the package's path. `make deb` gives it the release binary; scripts/test/package.sh the
# debug one, to test the package without a release build.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[ $# = 2 ] || { echo "usage: $0 LIKENESS_BINARY OUTPUT_DIR" >&2; exit 2; }
bin=$1 out=$2
: "${LIKENESS_MODELS:?set LIKENESS_MODELS to the dlib model weights' folder}"
: "${LIKENESS_ONNX_MODELS:?set LIKENESS_ONNX_MODELS to the ONNX models' folder}"
version=$(git -C "$root" describe --tags --match 'v*' 2>/dev/null | sed 's/^v//' || true)
[ -n "$version" ] || version="0.0.0+git$(git -C "$root" log -1 --format=%cd.%h --date=format:%Y%m%d)"

stage=$(mktemp -d "${TMPDIR:-/tmp}/likeness-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
pkg=$stage/likeness
lib=$pkg/usr/lib/likeness share=$pkg/usr/share/likeness
install -d "$pkg/DEBIAN" "$pkg/usr/bin" "$lib" "$share/models" "$share/onnx" "$pkg/usr/share/man/man1" \
    "$pkg/usr/share/doc/likeness" "$pkg/etc/likeness" "$pkg/lib/systemd/system"

# The weights, refused here as at run time if any is missing or differs from its SHA-256.
"$bin" models --data "$stage/check" >/dev/null
for model in dlib_face_recognition_resnet_model_v1.dat shape_predictor_5_face_landmarks.dat mmod_human_face_detector.dat; do
    install -m 0644 "$LIKENESS_MODELS/$model" "$share/models/"
done
install -m 0644 "$root/packaging/deb/NOTICE-dlib-models" "$share/models/NOTICE"
install -m 0644 "$LIKENESS_ONNX_MODELS"/face_detection_yunet_2023mar.onnx "$LIKENESS_ONNX_MODELS"/face_recognition_sface_2021dec.onnx \
    "$LIKENESS_ONNX_MODELS"/NOTICE "$share/onnx/"

# The binary finds the Swift runtime in its own folder ($ORIGIN is in its RUNPATH), and its
# resource bundles beside it.
install -m 0755 "$bin" "$lib/likeness"
strip --strip-unneeded "$lib/likeness"
ldd "$bin" | awk '$3 ~ /^\/opt\/swift\// { print $3 }' | while read -r runtime; do install -m 0644 "$runtime" "$lib/"; done
cp -r "$(dirname "$bin")"/*.resources "$lib/"
install -m 0755 "$root/packaging/deb/likeness.sh" "$pkg/usr/bin/likeness"

install -m 0644 "$root/packaging/deb/likeness.conf" "$pkg/etc/likeness/likeness.conf"
install -m 0644 "$root/packaging/deb/likeness.service" "$root/packaging/deb/likeness-worker@.service" "$pkg/lib/systemd/system/"
gzip -9n < "$root/packaging/deb/likeness.1" > "$pkg/usr/share/man/man1/likeness.1.gz"
install -m 0644 "$root/README.md" "$pkg/usr/share/doc/likeness/README.md"
install -m 0755 "$root/packaging/deb/postinst" "$root/packaging/deb/prerm" "$root/packaging/deb/postrm" "$pkg/DEBIAN/"
install -m 0644 "$root/packaging/deb/templates" "$pkg/DEBIAN/templates"
echo /etc/likeness/likeness.conf > "$pkg/DEBIAN/conffiles"
cat > "$pkg/DEBIAN/control" <<CONTROL
Package: likeness
Version: $version
Architecture: amd64
Maintainer: Likeness maintainers <maintainers@likeness.invalid>
Section: net
Priority: optional
Depends: adduser, debconf, ffmpeg, libarchive13, libdlib19.1, libglib2.0-0, libopenblas0-pthread, libopencv-core406,
 libopencv-dnn406, libopencv-imgproc406, libsqlite3-0, libstdc++6, libvips42, zlib1g, libc6
Installed-Size: $(du -sk "$pkg" | cut -f1)
Description: self-hosted face search engine, accountable by design
 Detects the faces in the image collections an organisation loads and answers a probe photo
 with ranked candidates, each search tied to a user, a case and a purpose and written to a
 tamper-evident audit log. People can learn what is held about them and have it erased.
CONTROL
mkdir -p "$out"
deb=$out/likeness_${version}_amd64.deb
dpkg-deb --root-owner-group -Zgzip --build "$pkg" "$deb" >/dev/null
echo "$deb"
