#!/usr/bin/env bash
# Builds the helm CLI used by test/helm-chart.test.ts from its published Go module
# (helm.sh/helm/v4, pinned in scripts/helm/go.mod + go.sum) into a cache outside the repository:
#
#   ${PALISADE_HELM_CACHE:-${PALISADE_CACHE:-~/.cache/palisade}}/helm-<version>/helm
#
# A cached binary is reused when its stamp (go.mod, go.sum and the Go version) matches; otherwise
# it is rebuilt. Prints "building ..." only when it builds (.ci/install.sh shows output then), and
# the binary path as its last line:
#   helm=/…/helm
#
# Options: --force rebuilds even when cached; --print only prints the path (fails when missing).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${PALISADE_HELM_CACHE:-${PALISADE_CACHE:-${HOME}/.cache/palisade}}"
force=0
print_only=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    --print) print_only=1 ;;
    *)
      echo "usage: $0 [--force|--print]" >&2
      exit 2
      ;;
  esac
done

if ! command -v go >/dev/null 2>&1; then
  if [ -x /usr/local/go/bin/go ]; then
    PATH="/usr/local/go/bin:$PATH"
  elif ((print_only == 0)); then
    echo "error: go not found (needed to build helm)" >&2
    exit 1
  fi
fi

version="$(awk '$1 == "helm.sh/helm/v4" && $2 ~ /^v/ { print $2; exit }' "$here/go.mod")"
if [ -z "$version" ]; then
  echo "error: cannot read the pinned helm version from scripts/helm/go.mod" >&2
  exit 1
fi
out="$cache/helm-$version"
bin="$out/helm"
if ((print_only)); then
  if [ -x "$bin" ]; then
    echo "helm=$bin"
    exit 0
  fi
  echo "error: $bin is not built; run scripts/helm/build.sh (or .ci/install.sh)" >&2
  exit 1
fi

stamp="$(cat "$here/go.mod" "$here/go.sum" | sha256sum | cut -c1-16) $(go env GOVERSION)"
if ((force == 0)) && [ -x "$bin" ] && [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ]; then
  echo "helm=$bin"
  exit 0
fi

echo "building helm $version into $out" >&2
mkdir -p "$out"
start=$SECONDS
tmp="$out/.helm.tmp.$$"
# What helm's Makefile stamps in, so `helm version` reports the release instead of "v4.3".
ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=$version -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
(
  cd "$here"
  CGO_ENABLED=0 GOFLAGS="-trimpath -mod=readonly -buildvcs=false" go build -ldflags="$ldflags" \
    -o "$tmp" helm.sh/helm/v4/cmd/helm
)
mv -f "$tmp" "$bin"
printf '%s' "$stamp" >"$out/.stamp"
echo "built helm $version in $((SECONDS - start))s ($(du -h "$bin" | cut -f1))" >&2
echo "helm=$bin"
