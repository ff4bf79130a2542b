#!/usr/bin/env bash
# Writes the files the Debian package takes from the supine binary itself, so they always match
# its command line: the manual pages (gzipped, as Debian keeps them) and the bash, zsh and fish
# completions. Run it after building supine and before `cargo deb --no-build`:
#
#   tools/deb_assets.sh DIR
#
# DIR is the folder that holds the built binary (target/release, or the dev build's
# $CARGO_TARGET_DIR/debug in CI). The files go to DIR/deb-assets/, which
# [package.metadata.deb] in crates/supine/Cargo.toml names as `target/release/deb-assets/...`:
# cargo-deb reads `target/release/` there as the profile folder of the target dir in use.
# Nothing generated here is committed.
set -euo pipefail

dir=${1:?usage: tools/deb_assets.sh DIR (the folder holding the built supine, e.g. target/release)}
bin="$dir/supine"
if [ ! -x "$bin" ]; then
  echo "error: $bin is not there; build it first (cargo build --release -p supine)" >&2
  exit 1
fi

out="$dir/deb-assets"
rm -rf "$out"
mkdir -p "$out/man" "$out/completions"
# One page for supine and one per command; `man --out` names each file it writes on stderr.
"$bin" man --out "$out/man" 2>/dev/null
gzip -9n "$out"/man/*.1
"$bin" completions bash >"$out/completions/supine.bash"
"$bin" completions zsh >"$out/completions/_supine"
"$bin" completions fish >"$out/completions/supine.fish"
echo "wrote $(find "$out" -type f | wc -l) files into $out"
