#!/usr/bin/env bash
# CI stage: lints the GitHub Actions workflows (.github/workflows/*.yml) with actionlint, which
# also checks the shell of their run: steps with shellcheck (Debian's, installed when missing). actionlint is
# built from the Go module proxy once into a cache directory (VDS_TOOLS, default
# ~/.cache/vault-datasource/bin); needs Go 1.25 or later (this project's machines have it; Debian 12's
# golang-go is too old, so where Go is missing it is installed from Debian only as a last resort).
set -euo pipefail
cd "$(dirname "$0")/../.."
version="${ACTIONLINT_VERSION:-v1.7.12}"
tools="${VDS_TOOLS:-$HOME/.cache/vault-datasource/bin}"
bin="$tools/actionlint-$version"

if [ ! -x "$bin" ]; then
  if ! command -v go >/dev/null 2>&1; then
    echo "[workflows] installing Go (golang-go) for actionlint"
    apt-get install -y --no-install-recommends golang-go >/dev/null 2>&1 \
      || { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends golang-go >/dev/null; }
  fi
  echo "[workflows] building actionlint $version from the Go module proxy"
  build=$(mktemp -d)
  GOBIN="$build" GOFLAGS=-mod=mod go install "github.com/rhysd/actionlint/cmd/actionlint@$version"
  mkdir -p "$tools"
  mv "$build/actionlint" "$bin"
  rm -rf "$build"
fi
"$bin" -version | head -1
if ! command -v shellcheck >/dev/null 2>&1; then
  echo "[workflows] installing shellcheck (Debian) so that run: steps are checked too"
  apt-get install -y --no-install-recommends shellcheck >/dev/null 2>&1 \
    || { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends shellcheck >/dev/null; }
fi
"$bin" -no-color .github/workflows/*.yml
files=(.github/workflows/*.yml)
echo "[workflows] ${#files[@]} workflow file(s) valid"
