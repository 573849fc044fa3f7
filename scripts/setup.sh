#!/usr/bin/env bash
# Installs what building (and, with --test, testing) kafka-demo needs and a fresh machine may
# lack. Quiet and quick when everything is already there. The stack's own programs (Kafka, the
# registry, Spark) are fetched by `kafka-demo stack up`, not here.
set -euo pipefail
cd "$(dirname "$0")/.."

for_tests=false
[ "${1:-}" = "--test" ] && for_tests=true

missing_debs=()
command -v protoc >/dev/null || missing_debs+=(protobuf-compiler)    # Spark Connect's gRPC stubs
command -v pkg-config >/dev/null || missing_debs+=(pkg-config)
pkg-config --exists openssl 2>/dev/null || missing_debs+=(libssl-dev)  # librdkafka's SSL/SASL
{ command -v java && command -v keytool; } >/dev/null || missing_debs+=(openjdk-17-jdk-headless)  # keytool: the local cluster's certificates
command -v mvn >/dev/null || missing_debs+=(maven)
command -v python3 >/dev/null || missing_debs+=(python3 python3-venv)
command -v npm >/dev/null || missing_debs+=(nodejs npm)                 # wasm-opt (binaryen)
if $for_tests; then
  command -v chromium >/dev/null || missing_debs+=(chromium)            # browser tests
fi

if [ ${#missing_debs[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  if command -v apt-get >/dev/null && { [ -z "$sudo" ] || command -v sudo >/dev/null; }; then
    echo "setup: installing ${missing_debs[*]} with apt-get"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_debs[@]}" >/dev/null
  else
    echo "setup: please install: ${missing_debs[*]}" >&2
    exit 1
  fi
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  echo "setup: adding the wasm32-unknown-unknown Rust target"
  rustup target add wasm32-unknown-unknown
fi

# The two tools below are built from crates.io once per machine. Their own release profiles
# optimise the whole program at once (trunk: fat LTO, one codegen unit), which takes most of their
# build time on 2 cores and buys nothing here: they only drive cargo, wasm-bindgen and wasm-opt.
quick_build=(env CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
             CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_INCREMENTAL=false)

# trunk must find wasm-bindgen at exactly the version in Cargo.lock, or it would try to download it.
want_wb=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -n "$want_wb" ] && ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $want_wb"; then
  echo "setup: installing wasm-bindgen-cli $want_wb (a few minutes, once)"
  # Without default features: no TLS stack to build, since nothing is downloaded.
  "${quick_build[@]}" cargo install --quiet --no-default-features wasm-bindgen-cli --version "$want_wb"
fi
# trunk 0.22 needs a newer rustc than this toolchain; 0.21 builds here.
if ! trunk --version 2>/dev/null | grep -q "^trunk 0\.21\."; then
  echo "setup: installing trunk 0.21 (about 7 minutes on 2 cores, once)"
  # Without default features: no update check and no TLS stack (trunk runs offline here).
  "${quick_build[@]}" cargo install --quiet --locked --no-default-features trunk --version '~0.21'
fi

# wasm-opt shrinks the page's WebAssembly; binaryen from npm, at the version tools/package-lock.json
# pins and Trunk.toml names.
if ! tools/node_modules/.bin/wasm-opt --version 2>/dev/null | grep -q "(version_132)"; then
  echo "setup: installing binaryen's wasm-opt from npm"
  (cd tools && npm ci --no-audit --no-fund --silent)
fi

if $for_tests && [ ! -d e2e/node_modules/playwright-core ]; then
  echo "setup: installing the browser-test driver (playwright-core)"
  (cd e2e && npm ci --no-audit --no-fund --silent)
fi
exit 0
