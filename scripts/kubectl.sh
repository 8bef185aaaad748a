#!/usr/bin/env bash
# Fetches a real kubectl for the k3d tests: Debian bookworm's `kubernetes-client` .deb, unpacked with
# `dpkg-deb -x` into a cache directory. It is NOT installed: on these machines /usr/bin/kubectl belongs
# to another package (the machine image's Google Cloud SDK dispatcher), and dpkg would clash with it.
# test/engine/k3d-stand-in.ts checks the stand-in Kubernetes API server with this kubectl, and the
# k3d recovery test runs `upkeep recover` with it first on PATH.
#
# The host's apt configuration is never changed: `apt-get download` only reads the lists the host
# already has (bookworm carries the package) and writes the .deb into a temporary directory; with no
# lists yet (a fresh CI image) it reads bookworm's index into a temporary directory like
# scripts/engine-28.sh does (-o Dir::...), from the mirror already configured on this machine.
#
# Usage: scripts/kubectl.sh [--print-dir]
#   --print-dir  print the directory whose usr/bin/kubectl the tests use, and exit (nothing fetched)
# Environment:
#   UPKEEP_ENGINE_CACHE   parent of the cache directories (default ~/.cache/upkeep/engines)
#   KUBERNETES_CLIENT_VERSION  the exact Debian version (default below)
# Idempotent: with kubectl already unpacked and verified it does nothing and says so.
# Exit codes: 0 fine (fetched, or already there), 2 could not fetch or verify.
set -euo pipefail

KUBERNETES_CLIENT_VERSION="${KUBERNETES_CLIENT_VERSION:-1.20.5+really1.20.2-1.1+deb12u1}"
cache_parent="${UPKEEP_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/upkeep/engines}"
dest="$cache_parent/kubernetes-client-${KUBERNETES_CLIENT_VERSION%%-*}"

fail() {
  echo "kubectl: $*" >&2
  exit 2
}

if [ "${1:-}" = "--print-dir" ]; then
  echo "$dest"
  exit 0
elif [ $# -gt 0 ]; then
  fail "unknown argument: $1 (usage: scripts/kubectl.sh [--print-dir])"
fi

verify() {
  local bin="$1/root/usr/bin/kubectl" out
  [ -x "$bin" ] || { echo "missing usr/bin/kubectl"; return 1; }
  out="$("$bin" version --client --short 2>&1)" || { echo "kubectl version failed: $out"; return 1; }
  echo "$out"
}

mkdir -p "$cache_parent"
exec 9>"$cache_parent/.kubernetes-client.lock"
flock 9

if [ -f "$dest/.complete" ]; then
  if summary="$(verify "$dest")"; then
    echo "kubectl: already there, nothing to do: $dest ($summary)"
    exit 0
  fi
  echo "kubectl: $dest is there but does not verify ($summary): fetching again" >&2
fi

work="$(mktemp -d "$cache_parent/.kubernetes-client.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/debs" "$work/root"

download() {
  (cd "$work/debs" && LC_ALL=C apt-get "$@" -q download "kubernetes-client=$KUBERNETES_CLIENT_VERSION" 2>&1)
}

if ! out="$(download)"; then
  # No usable lists on this host: read bookworm's index into the temporary directory instead.
  mirror="${UPKEEP_DEBIAN_MIRROR:-$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)}"
  [ -n "$mirror" ] || fail "apt-get download failed and no Debian mirror is configured:
$(echo "$out" | grep -E '^(E|W|Err):' | head -5)"
  mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm main" >"$work/apt/sources.list"
  apt_opts=(
    -o "Dir::Etc::SourceList=$work/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
    -o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache"
    -o APT::Sandbox::User=root -o Debug::NoLocking=1 -o Acquire::Retries=1 -o Acquire::http::Timeout=30
  )
  echo "kubectl: reading bookworm's package index from $mirror"
  LC_ALL=C apt-get "${apt_opts[@]}" --error-on=any -q update >/dev/null 2>&1 || fail "could not read bookworm's package index from $mirror"
  out="$(download "${apt_opts[@]}")" || fail "apt-get download kubernetes-client=$KUBERNETES_CLIENT_VERSION failed:
$(echo "$out" | grep -E '^(E|W|Err):' | head -5)"
fi

for deb in "$work"/debs/*.deb; do
  dpkg-deb -x "$deb" "$work/root"
done
summary="$(verify "$work")" || fail "the unpacked kubectl does not run here: $summary"
printf 'kubernetes-client %s\n' "$KUBERNETES_CLIENT_VERSION" >"$work/versions"
rm -rf "$work/apt" "$work/debs"
touch "$work/.complete"
rm -rf "$dest"
mv "$work" "$dest"
trap - EXIT
echo "kubectl: unpacked into $dest ($summary)"
