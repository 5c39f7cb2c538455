#!/usr/bin/env bash
# Builds the real container images that Palisade's inventory tests and benchmarks scan, and caches
# them outside the repository:
#
#   ${PALISADE_CACHE:-$HOME/.cache/palisade}/images/<name>-<key>/
#     oci/                OCI image layout, one manifest tagged <key>
#     oci-archive.tar     the same image as an oci-archive (skopeo)
#     docker-archive.tar  the same image as `docker save` writes it (skopeo), tagged palisade.test/<name>:<key>
#     rootfs/             the image's merged filesystem (whiteouts applied), for rootfs scans
#     stamp.json          written last: the image is complete when it exists
#
# The images (table: scripts/test-images.tsv):
#   bookworm, bullseye  debootstrap --variant=minbase from the Debian mirror apt on this machine uses
#   alpine-3.12/3.17/3.20  the official minirootfs tarballs in ../shared/data/images/alpine, used
#                       byte for byte as the single layer (as the official alpine images do)
#   alpine-whiteout     alpine 3.20 plus a second layer that deletes files (whiteouts), runs
#                       `apk del libc-utils` (removes two apk packages and their files) and adds a file
#
# Idempotent: an image whose stamp exists is skipped; change its key in the table to rebuild it
# everywhere, or pass --force. Needs root (debootstrap, chroot, umoci keeping file owners) and the
# Debian packages debootstrap, umoci and skopeo (.ci/install.sh installs them).
#
# Usage: scripts/test-images.sh [--force] [NAME...]
# Environment: PALISADE_CACHE, PALISADE_SHARED_DATA (default ../shared/data beside the repository),
#              PALISADE_DEBIAN_MIRROR (default: the mirror of apt's sources on this machine).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(dirname "$SCRIPT_DIR")
TABLE=$SCRIPT_DIR/test-images.tsv
CACHE=${PALISADE_CACHE:-$HOME/.cache/palisade}
IMAGES=$CACHE/images
SHARED_DATA=${PALISADE_SHARED_DATA:-$REPO_ROOT/../shared/data}
ALPINE_DIR=$SHARED_DATA/images/alpine

FORCE=0
ONLY=()
for arg in "$@"; do
  case $arg in
    --force) FORCE=1 ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    -*)
      echo "test-images.sh: unknown option $arg" >&2
      exit 2
      ;;
    *) ONLY+=("$arg") ;;
  esac
done

log() { printf '[test-images] %s\n' "$*" >&3; }
die() {
  printf '[test-images] error: %s\n' "$*" >&2
  exit 1
}

# Runs a command and logs how long it took: step <label> <command...>
step() {
  local label=$1 start=$EPOCHREALTIME
  shift
  "$@"
  log "  ${CURRENT:-}: $label: $(elapsed "$start")s"
}
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

need() {
  local cmd missing=()
  for cmd in "$@"; do command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd"); done
  if ((${#missing[@]})); then
    die "missing ${missing[*]}: apt-get install -y debootstrap umoci skopeo (or run .ci/install.sh)"
  fi
}

# The Debian mirror apt on this machine is configured with (deb822 .sources or one-line .list).
debian_mirror() {
  if [[ -n ${PALISADE_DEBIAN_MIRROR:-} ]]; then
    echo "$PALISADE_DEBIAN_MIRROR"
    return
  fi
  local uri
  uri=$(
    {
      shopt -s nullglob
      for f in /etc/apt/sources.list.d/*.sources; do
        # one line per stanza: "Types|URIs|Suites"
        awk 'BEGIN { RS = ""; FS = "\n" }
          { t = ""; u = ""; s = ""
            for (i = 1; i <= NF; i++) {
              if ($i ~ /^Types:/) t = $i; else if ($i ~ /^URIs:/) u = $i; else if ($i ~ /^Suites:/) s = $i }
            sub(/^URIs:[ \t]*/, "", u); sub(/^Suites:[ \t]*/, "", s)
            if (t ~ /(^|[ \t])deb([ \t]|$)/) print u "|" s }' "$f"
      done
      for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f $f ]] || continue
        awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } print $i "|" $(i + 1) }' "$f"
      done
    } | awk -F'|' '$1 ~ /debian\/?$/ && $1 !~ /security/ && $2 !~ /-security/ { split($1, u, " "); print u[1]; exit }'
  )
  [[ -n $uri ]] || die "no Debian mirror found in /etc/apt/sources.list*: set PALISADE_DEBIAN_MIRROR"
  echo "${uri%/}"
}

sha256() { sha256sum "$1" | cut -d' ' -f1; }
filesize() { stat -c %s "$1"; }

# Moves a file into the layout's blob store; prints its digest (hex).
put_blob() {
  local layout=$1 file=$2 digest
  digest=$(sha256 "$file")
  mkdir -p "$layout/blobs/sha256"
  mv -f "$file" "$layout/blobs/sha256/$digest"
  echo "$digest"
}

# Writes a single-layer OCI image layout from a gzip-compressed layer tar (which is moved in).
# oci_single_layer <layout> <tag> <layer.tar.gz> <created RFC3339> <cmd> <created_by>
oci_single_layer() {
  local layout=$1 tag=$2 layer=$3 created=$4 cmd=$5 created_by=$6
  local diff_id layer_size layer_digest config_digest config_size manifest_digest manifest_size tmp
  mkdir -p "$layout/blobs/sha256"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
  diff_id=$(gzip -dc "$layer" | sha256sum | cut -d' ' -f1)
  layer_size=$(filesize "$layer")
  layer_digest=$(put_blob "$layout" "$layer")
  tmp=$layout/.config.json
  printf '{"created":"%s","architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["%s"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"%s","created_by":"%s"}]}' \
    "$created" "$cmd" "$diff_id" "$created" "$created_by" >"$tmp"
  config_size=$(filesize "$tmp")
  config_digest=$(put_blob "$layout" "$tmp")
  tmp=$layout/.manifest.json
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
    "$config_digest" "$config_size" "$layer_digest" "$layer_size" >"$tmp"
  manifest_size=$(filesize "$tmp")
  manifest_digest=$(put_blob "$layout" "$tmp")
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest_digest" "$manifest_size" "$tag" >"$layout/index.json"
}

# The other forms of an image whose OCI layout is <dir>/oci:<tag>.
export_forms() {
  local dir=$1 name=$2 tag=$3
  step "oci-archive" skopeo --insecure-policy copy -q "oci:$dir/oci:$tag" "oci-archive:$dir/oci-archive.tar:$tag"
  step "docker-archive" skopeo --insecure-policy copy -q "oci:$dir/oci:$tag" \
    "docker-archive:$dir/docker-archive.tar:palisade.test/$name:$tag"
  if [[ ! -d $dir/rootfs ]]; then
    step "rootfs (merged layers)" umoci --log error raw unpack --image "$dir/oci:$tag" "$dir/rootfs"
  fi
}

write_stamp() {
  local dir=$1 name=$2 key=$3 kind=$4 source=$5 seconds=$6 manifest config diff_ids
  manifest=$(grep -o 'sha256:[0-9a-f]*' "$dir/oci/index.json" | head -1)
  config=$(grep -o '"config":{[^}]*}' "$dir/oci/blobs/sha256/${manifest#sha256:}" | grep -o 'sha256:[0-9a-f]*')
  diff_ids=$(grep -o '"diff_ids":\[[^]]*\]' "$dir/oci/blobs/sha256/${config#sha256:}" | sed 's/^"diff_ids"://')
  printf '{"name":"%s","key":"%s","kind":"%s","source":"%s","tag":"%s","reference":"palisade.test/%s:%s","manifestDigest":"%s","diffIds":%s,"builtAt":"%s","buildSeconds":%s}\n' \
    "$name" "$key" "$kind" "$source" "$key" "$name" "$key" "$manifest" "$diff_ids" \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$seconds" >"$dir/stamp.json"
}

run_debootstrap() {
  local suite=$1 target=$2 mirror=$3 logfile=$4
  if ! debootstrap --variant=minbase --arch=amd64 "$suite" "$target" "$mirror" >"$logfile" 2>&1; then
    tail -20 "$logfile" >&2
    die "debootstrap $suite failed (log: $logfile)"
  fi
}

# A gzip layer of a directory's contents, entries without a ./ prefix as docker build writes them
# (the alpine tarballs have ./), numeric owners, sorted.
layer_tar_gz() {
  local dir=$1 out=$2
  find "$dir" -mindepth 1 -maxdepth 1 -printf '%P\0' | sort -z |
    tar --numeric-owner --sort=name -C "$dir" --null -T - -cf - | gzip -n -6 >"$out"
}

build_debian() {
  local work=$1 name=$2 key=$3 suite=$4 mirror
  mirror=$(debian_mirror)
  log "  $name: debootstrap --variant=minbase $suite from $mirror"
  step "debootstrap" run_debootstrap "$suite" "$work/rootfs.build" "$mirror" "$work/debootstrap.log"
  # Trim what the official Debian images do not ship: downloaded .debs, apt lists, device nodes,
  # the host's resolver and hostname.
  (
    cd "$work/rootfs.build"
    rm -rf var/cache/apt/archives/*.deb var/cache/apt/*.bin var/lib/apt/lists/* var/log/bootstrap.log
    find dev proc sys -mindepth 1 -delete
    : >etc/resolv.conf
    rm -f etc/hostname
  )
  step "layer tar.gz" layer_tar_gz "$work/rootfs.build" "$work/layer.tar.gz"
  # The single layer's content is this directory: it is the rootfs form as it stands.
  mv "$work/rootfs.build" "$work/rootfs"
  oci_single_layer "$work/oci" "$key" "$work/layer.tar.gz" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" bash \
    "debootstrap --variant=minbase $suite"
}

alpine_tarball() {
  local tarball=$ALPINE_DIR/$1
  [[ -f $tarball ]] || die "$tarball not found: check out the repository beside ../shared (or set PALISADE_SHARED_DATA)"
  echo "$tarball"
}

build_alpine() {
  local work=$1 key=$2 source=$3 tarball created
  tarball=$(alpine_tarball "$source")
  created=$(date -u -r "$tarball" +%Y-%m-%dT%H:%M:%SZ)
  # The official alpine image's only layer is this tarball itself.
  cp "$tarball" "$work/layer.tar.gz"
  oci_single_layer "$work/oci" "$key" "$work/layer.tar.gz" "$created" /bin/sh "ADD $source /"
}

build_whiteout() {
  local work=$1 key=$2 source=$3
  build_alpine "$work" "$key" "$source"
  step "umoci unpack" umoci --log error unpack --image "$work/oci:$key" "$work/bundle" >/dev/null
  (
    cd "$work/bundle/rootfs"
    rm etc/motd                       # a plain file from the base layer
    rm -r etc/periodic                # a directory tree from the base layer
    # Uninstall the way an image build does: removes libc-utils from the world file and its now
    # unneeded dependencies musl-utils and scanelf with their files (whiteouts of apk-owned files),
    # and rewrites lib/apk/db/installed in this layer.
    chroot . /sbin/apk del --no-network --quiet libc-utils 2>/dev/null
    mkdir -p etc/palisade
    printf 'added by the second layer\n' >etc/palisade/fixture.txt
  )
  step "umoci repack (second layer)" umoci --log error repack --image "$work/oci:$key" \
    --history.created_by "rm /etc/motd /etc/periodic && apk del libc-utils && add /etc/palisade/fixture.txt" \
    "$work/bundle" >/dev/null
  umoci gc --layout "$work/oci"
  rm -rf "$work/bundle"
}

build_image() {
  local name=$1 key=$2 kind=$3 source=$4
  local dir=$IMAGES/$name-$key work=$IMAGES/.build-$name-$key start=$EPOCHREALTIME
  local CURRENT=$name # step labels
  if [[ -f $dir/stamp.json && $FORCE == 0 ]]; then
    log "$name: cached in $dir"
    return
  fi
  log "$name: building ($kind $source) into $dir"
  rm -rf "$work" "$dir"
  mkdir -p "$work"
  case $kind in
    debian) build_debian "$work" "$name" "$key" "$source" ;;
    alpine) build_alpine "$work" "$key" "$source" ;;
    whiteout) build_whiteout "$work" "$key" "$source" ;;
    *) die "unknown kind $kind for $name in $TABLE" ;;
  esac
  export_forms "$work" "$name" "$key"
  rm -f "$work/debootstrap.log"
  write_stamp "$work" "$name" "$key" "$kind" "$source" "$(elapsed "$start")"
  mv "$work" "$dir"
  # Older builds of the same image (another key) are stale.
  local old
  for old in "$IMAGES/$name"-*/stamp.json; do
    [[ -f $old && $(dirname "$old") != "$dir" ]] || continue
    if grep -q "\"name\":\"$name\"" "$old"; then
      log "  $name: removing stale $(dirname "$old")"
      rm -rf "$(dirname "$old")"
    fi
  done
  log "$name: done in $(elapsed "$start")s"
}

main() {
  [[ -f $TABLE ]] || die "$TABLE not found"
  mkdir -p "$IMAGES"
  exec 9>"$IMAGES/.lock"
  flock 9
  local start=$EPOCHREALTIME name key kind source built=0 todo=()
  while IFS=$'\t' read -r name key kind source; do
    [[ -z $name || $name == \#* ]] && continue
    if ((${#ONLY[@]})) && [[ ! " ${ONLY[*]} " == *" $name "* ]]; then continue; fi
    todo+=("$name|$key|$kind|$source")
    if [[ ! -f $IMAGES/$name-$key/stamp.json || $FORCE == 1 ]]; then built=1; fi
  done <"$TABLE"
  ((${#todo[@]})) || die "no image named ${ONLY[*]} in $TABLE"
  if ((built)); then
    need umoci skopeo gzip tar chroot
    ((EUID == 0)) || die "building the images needs root (debootstrap, chroot, umoci keeping file owners)"
  fi
  # The debootstraps (network and dpkg bound, about a minute each) run side by side in the
  # background; the small images are built meanwhile.
  local entry pid failed=0 pids=()
  for entry in "${todo[@]}"; do
    IFS='|' read -r name key kind source <<<"$entry"
    if [[ $kind == debian ]]; then
      need debootstrap
      build_image "$name" "$key" "$kind" "$source" &
      pids+=("$!")
    fi
  done
  for entry in "${todo[@]}"; do
    IFS='|' read -r name key kind source <<<"$entry"
    if [[ $kind != debian ]]; then build_image "$name" "$key" "$kind" "$source"; fi
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  ((failed == 0)) || die "some images failed to build (see above)"
  log "all ${#todo[@]} images ready in $IMAGES ($(elapsed "$start")s)"
}

exec 3>&1
main
