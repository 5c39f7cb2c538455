#!/usr/bin/env bash
# Builds the Kyverno CLI (kubectl-kyverno) from its published Go module into
# ~/.cache/palisade/kyverno-<version>/kyverno and prints the binary's path. Reuses a previous build.
# Used by bench/policy.mjs to run `kyverno test` on the same suite as Palisade.
#   KYVERNO_BUILD_TIMEOUT  seconds before the build is given up (default 1200)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="$(awk '$1 == "require" && $2 == "github.com/kyverno/kyverno" { print $3 }' "$here/go.mod")"
out="${HOME}/.cache/palisade/kyverno-${version}"
if [ -x "$out/kyverno" ]; then
  echo "$out/kyverno"
  exit 0
fi
mkdir -p "$out"
cd "$here"
start=$(date +%s)
# -mod=mod: resolve the CLI's whole dependency graph into go.mod/go.sum here
GOFLAGS=-mod=mod timeout "${KYVERNO_BUILD_TIMEOUT:-1200}" \
  go build -trimpath -o "$out/kyverno.tmp" github.com/kyverno/kyverno/cmd/cli/kubectl-kyverno >"$out/build.log" 2>&1 || {
  rc=$?
  echo "kyverno build failed (exit $rc after $(( $(date +%s) - start ))s); log: $out/build.log" >&2
  tail -20 "$out/build.log" >&2
  exit 1
}
mv "$out/kyverno.tmp" "$out/kyverno"
echo "built in $(( $(date +%s) - start ))s" >"$out/build-time"
echo "$out/kyverno"
