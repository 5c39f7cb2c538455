#!/usr/bin/env bash
# Builds the test cluster's binaries, kube-apiserver and etcd, from their published Go modules
# (pinned in scripts/k8s/<component>/go.mod + go.sum) into a cache outside the repository:
#
#   ${PALISADE_K8S_CACHE:-${PALISADE_CACHE:-~/.cache/palisade}/k8s}/<component>-<version>/<component>
#
# A cached binary is reused when its stamp (go.mod, go.sum and the Go version) matches; otherwise
# it is rebuilt. Prints "building ..." only when it builds (.ci/install.sh shows output then), and
# the two binary paths as its last lines:
#   kube-apiserver=/…/kube-apiserver
#   etcd=/…/etcd
#
# Options: --force rebuilds even when cached; --print only prints the paths (fails when missing).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${PALISADE_K8S_CACHE:-${PALISADE_CACHE:-${HOME}/.cache/palisade}/k8s}"
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
  else
    echo "error: go not found (needed to build kube-apiserver and etcd)" >&2
    exit 1
  fi
fi

# version_of <go.mod> <module path>: the pinned version of a required module.
version_of() {
  awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit }' "$1"
}

# build <component> <module dir> <package> <version> [ldflags...]
build() {
  local component="$1" dir="$2" pkg="$3" version="$4" extra_ldflags="$5"
  local out="$cache/$component-$version"
  local bin="$out/$component"
  local stamp
  stamp="$(cat "$dir/go.mod" "$dir/go.sum" | sha256sum | cut -c1-16) $(go env GOVERSION)"
  if ((force == 0)) && [ -x "$bin" ] && [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ]; then
    echo "$component=$bin"
    return 0
  fi
  if ((print_only)); then
    echo "error: $bin is not built; run scripts/k8s/build.sh" >&2
    return 1
  fi
  echo "building $component $version into $out" >&2
  mkdir -p "$out"
  local start=$SECONDS tmp="$out/.$component.tmp.$$"
  (
    cd "$dir"
    CGO_ENABLED=0 GOFLAGS="-trimpath -mod=readonly -buildvcs=false" go build \
      -ldflags="-s -w $extra_ldflags" -o "$tmp" "$pkg"
  )
  mv -f "$tmp" "$bin"
  printf '%s' "$stamp" >"$out/.stamp"
  echo "built $component $version in $((SECONDS - start))s ($(du -h "$bin" | cut -f1))" >&2
  echo "$component=$bin"
}

k8s_version="$(version_of "$here/kube-apiserver/go.mod" k8s.io/kubernetes)"
etcd_version="$(version_of "$here/etcd/go.mod" go.etcd.io/etcd/server/v3)"
if [ -z "$k8s_version" ] || [ -z "$etcd_version" ]; then
  echo "error: cannot read the pinned versions from scripts/k8s/*/go.mod" >&2
  exit 1
fi

# What the Kubernetes release build stamps into the binary (hack/lib/version.sh), so /version
# reports the real release instead of v0.0.0-master.
minor="${k8s_version#v1.}"
minor="${minor%%.*}"
k8s_ldflags=""
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ldflags+=" -X $p.gitVersion=$k8s_version -X $p.gitMajor=1 -X $p.gitMinor=$minor"
  k8s_ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done

build kube-apiserver "$here/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver "$k8s_version" "$k8s_ldflags"
build etcd "$here/etcd" go.etcd.io/etcd/server/v3 "$etcd_version" ""
