#!/usr/bin/env bash
# Installs what the test suite needs beyond node_modules: Debian packages, the real test images
# (scripts/test-images.sh) and the Trivy peer with its outputs (scripts/trivy-peer.sh).
# Idempotent; on a warm machine it runs no apt-get and prints nothing. .ci/run calls it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# debootstrap/umoci/skopeo: build the test images; docker-registry: a real OCI registry on
# 127.0.0.1 for pull tests; apache2-utils: htpasswd for the registry's basic auth; zstd: zstd
# layers; sqlite3: inspecting report stores and rpm sqlite DBs; binutils: objcopy for test binaries;
# openssl: the registry token server's certificate; time: peak RSS in bench/;
PACKAGES=(debootstrap umoci skopeo docker-registry apache2-utils openssl zstd sqlite3 binutils time prometheus-alertmanager)
# The version comparators' differential tests (scan/version) run the real tools: rpm (rpm.vercmp),
# python3-packaging (for /usr/bin/python3), libmaven3-core-java (maven-artifact's ComparableVersion),
# ruby (Gem::Version), php-cli and php-composer-semver (version_compare, composer/semver).
PACKAGES+=(rpm python3-packaging libmaven3-core-java ruby php-cli php-composer-semver)
# prometheus: a real Prometheus scrapes the exporter in packages/platform/src/export tests.
PACKAGES+=(prometheus)

log() { printf '[install] %s\n' "$*"; }

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  sudo=()
  ((EUID == 0)) || sudo=(sudo)
  log "apt-get install ${missing[*]}"
  start=$SECONDS
  if ! { "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}"; } \
    >/tmp/palisade-apt.log 2>&1; then
    cat /tmp/palisade-apt.log >&2
    log "apt-get failed" >&2
    exit 1
  fi
  log "  done in $((SECONDS - start))s"
fi

# Runs a script quietly: its output is shown only when it built something or failed.
quiet() {
  local out rc=0
  out=$(mktemp)
  "$@" >"$out" 2>&1 || rc=$?
  if ((rc != 0)) || grep -q -E 'building|installing|scanned' "$out"; then cat "$out"; fi
  rm -f "$out"
  return "$rc"
}

quiet scripts/test-images.sh
quiet scripts/trivy-peer.sh
# kube-apiserver and etcd for the real test cluster (packages/platform/src/testing/cluster.ts),
# built from their Go modules once and cached by version under ~/.cache/palisade/k8s.
quiet scripts/k8s/build.sh
# helm, for the chart tests (test/helm-chart.test.ts): built from helm.sh/helm/v4, cached by version.
quiet scripts/helm/build.sh
