#!/usr/bin/env bash
# Fetches the incident's engine generation for the tests: Debian sid's docker.io (Docker 28: dockerd,
# docker-proxy), containerd (2.x: containerd, containerd-shim-runc-v2) and docker-compose (Compose
# v2, the `docker compose` CLI plugin: usr/libexec/docker/cli-plugins/docker-compose) .debs, unpacked with
# `dpkg-deb -x` into a cache directory (not installed: their dependencies want a newer libc than
# bookworm's, and the binaries run without it; FACTS.md). runc and docker-init stay the host's.
# test/engine/private-engine.ts starts it with `{ engine: 'docker28' }` or UPKEEP_TEST_ENGINE=docker28.
#
# The host's apt setup is never touched: a separate sources list with one line `deb MIRROR sid main`
# (MIRROR = the Debian URI already configured on this machine) and apt's lists and cache under a
# temporary directory (-o Dir::...). Only that mirror is contacted.
#
# Usage: scripts/engine-28.sh [--print-dir]
#   --print-dir  print the cache directory and exit (nothing is fetched)
# Environment:
#   UPKEEP_ENGINE_CACHE   parent of the engine directories (default ~/.cache/upkeep/engines)
#   UPKEEP_DEBIAN_MIRROR  the Debian mirror (default: from /etc/apt/sources.list.d/*.sources or
#                         /etc/apt/sources.list)
#   DOCKER_IO_VERSION, CONTAINERD_VERSION, COMPOSE_VERSION  the exact Debian versions (defaults below)
# Idempotent: with the engine already unpacked and verified it does nothing and says so.
# Exit codes: 0 fine (fetched, or already there), 2 could not fetch or verify.
set -euo pipefail

DOCKER_IO_VERSION="${DOCKER_IO_VERSION:-28.5.2+dfsg4-5}"
CONTAINERD_VERSION="${CONTAINERD_VERSION:-2.1.9+ds1-5}"
COMPOSE_VERSION="${COMPOSE_VERSION:-2.40.3-3}"
upstream="${DOCKER_IO_VERSION%%+*}"
cache_parent="${UPKEEP_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/upkeep/engines}"
dest="$cache_parent/docker-$upstream"

fail() {
  echo "engine-28: $*" >&2
  exit 2
}

if [ "${1:-}" = "--print-dir" ]; then
  echo "$dest"
  exit 0
elif [ $# -gt 0 ]; then
  fail "unknown argument: $1 (usage: scripts/engine-28.sh [--print-dir])"
fi

# What the unpacked tree must hold, and that it runs on this machine.
verify() {
  local root="$1/root" bin
  for bin in usr/sbin/dockerd usr/bin/containerd usr/bin/containerd-shim-runc-v2 usr/sbin/docker-proxy usr/libexec/docker/cli-plugins/docker-compose; do
    [ -x "$root/$bin" ] || { echo "missing $bin"; return 1; }
  done
  local out
  out="$(PATH="$root/usr/bin:$root/usr/sbin:$PATH" dockerd --version 2>&1)" || { echo "dockerd --version failed: $out"; return 1; }
  case "$out" in *"version $upstream"*) ;; *) echo "dockerd --version says: $out (expected $upstream)"; return 1 ;; esac
  out="$("$root/usr/bin/containerd" --version 2>&1)" || { echo "containerd --version failed: $out"; return 1; }
  local compose
  compose="$("$root/usr/libexec/docker/cli-plugins/docker-compose" version 2>&1)" || { echo "docker-compose version failed: $compose"; return 1; }
  echo "$(PATH="$root/usr/bin:$root/usr/sbin:$PATH" dockerd --version); $out; $compose"
}

mkdir -p "$cache_parent"
exec 9>"$cache_parent/.docker-$upstream.lock"
flock 9

if [ -f "$dest/.complete" ]; then
  if summary="$(verify "$dest")"; then
    echo "engine-28: already there, nothing to do: $dest ($summary)"
    exit 0
  fi
  echo "engine-28: $dest is there but does not verify ($summary): fetching again" >&2
fi

# The mirror: the one this machine's Debian sources already use (not the security archive).
mirror_from_sources() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822 stanzas: the URIs of a stanza whose Suites are not only *-security.
    awk '
      function flush() { if (uris != "" && suites != "" && suites !~ /^([^ ]*-security *)+$/) { split(uris, u, " "); print u[1]; exit } uris = ""; suites = "" }
      /^[ \t]*$/ { flush(); next }
      /^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
      /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
      END { flush() }
    ' "$f"
  done
  if [ -f /etc/apt/sources.list ]; then
    awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i+1) !~ /-security$/) { print $i; exit } }' /etc/apt/sources.list
  fi
}
mirror="${UPKEEP_DEBIAN_MIRROR:-$(mirror_from_sources | grep -m1 -E '^(https?|file)://' || true)}"
[ -n "$mirror" ] || fail "no Debian mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list; set UPKEEP_DEBIAN_MIRROR=http://deb.debian.org/debian (or your mirror)"

work="$(mktemp -d "$cache_parent/.docker-$upstream.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" "$work/debs" "$work/root"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || fail "$keyring is missing (Debian package debian-archive-keyring)"
echo "deb [signed-by=$keyring] $mirror sid main" >"$work/apt/sources.list"
apt_opts=(
  -o "Dir::Etc::SourceList=$work/apt/sources.list"
  -o Dir::Etc::SourceParts=/dev/null
  -o Dir::Etc::Preferences=/dev/null
  -o Dir::Etc::PreferencesParts=/dev/null
  -o "Dir::State::Lists=$work/apt/lists"
  -o "Dir::Cache=$work/apt/cache"
  -o APT::Sandbox::User=root
  -o Debug::NoLocking=1
  -o Acquire::Retries=1
  -o Acquire::http::Timeout=30
)

echo "engine-28: reading sid's package index from $mirror"
if ! out="$(LC_ALL=C apt-get "${apt_opts[@]}" --error-on=any -q update 2>&1)"; then
  fail "could not read sid's package index from $mirror (is the mirror reachable from here?):
$(echo "$out" | grep -E '^(E|W|Err):' | head -5)"
fi

echo "engine-28: downloading docker.io=$DOCKER_IO_VERSION containerd=$CONTAINERD_VERSION docker-compose=$COMPOSE_VERSION"
if ! out="$(cd "$work/debs" && LC_ALL=C apt-get "${apt_opts[@]}" -q download "docker.io=$DOCKER_IO_VERSION" "containerd=$CONTAINERD_VERSION" "docker-compose=$COMPOSE_VERSION" 2>&1)"; then
  now="$(LC_ALL=C apt-cache "${apt_opts[@]}" policy docker.io containerd docker-compose 2>/dev/null | awk '/^[a-z]/ { p = $1 } /Candidate:/ { printf "%s %s ", p, $2 }')"
  fail "apt-get download failed:
$(echo "$out" | grep -E '^(E|W|Err):' | head -5)
sid has now: ${now:-nothing readable}; set DOCKER_IO_VERSION/CONTAINERD_VERSION/COMPOSE_VERSION to versions sid has (and update FACTS.md's observations)"
fi

for deb in "$work"/debs/*.deb; do
  dpkg-deb -x "$deb" "$work/root"
done
# docker.io's docker-init links to tini-static, another package (not fetched): with the dangling link
# gone, dockerd finds the host's docker-init further along PATH, as it finds bookworm's runc.
[ -e "$work/root/usr/bin/docker-init" ] || rm -f "$work/root/usr/bin/docker-init"
summary="$(verify "$work")" || fail "the unpacked engine does not run here: $summary"
printf 'docker.io %s\ncontainerd %s\ndocker-compose %s\nmirror %s\n' "$DOCKER_IO_VERSION" "$CONTAINERD_VERSION" "$COMPOSE_VERSION" "$mirror" >"$work/versions"
rm -rf "$work/apt" "$work/debs"
touch "$work/.complete"
rm -rf "$dest"
mv "$work" "$dest"
trap - EXIT
echo "engine-28: unpacked into $dest ($summary)"
