#!/usr/bin/env bash
# Extracts the sample photos of Debian's opencv-doc package (Apache-2.0 AND BSD-3-Clause, see
# its copyright file) into DIR, for the pose parity test. Not committed: photos of real people.
# Usage: tools/fetch_photos.sh DIR
set -euo pipefail
dir=${1:?usage: fetch_photos.sh DIR}
if [[ -f "$dir/messi5.jpg" ]]; then exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download opencv-doc >/dev/null 2>&1 || { apt-get update -qq && apt-get download opencv-doc; })
dpkg -x "$work"/opencv-doc_*.deb "$work/x"
mkdir -p "$dir"
cp "$work"/x/usr/share/doc/opencv-doc/examples/data/{messi5.jpg,basketball1.png,basketball2.png,fruits.jpg,building.jpg} "$dir"/
cp "$work"/x/usr/share/doc/opencv-doc/copyright "$dir"/COPYRIGHT.opencv-doc
