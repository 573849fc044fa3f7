#!/usr/bin/env bash
# Installs what building kafka-demo needs and a fresh machine may lack. Quiet and quick when
# everything is already there. The stack's own programs (Kafka, the registry, Spark) are fetched
# by `kafka-demo stack up`, not here.
set -euo pipefail

missing_debs=()
command -v protoc >/dev/null || missing_debs+=(protobuf-compiler)   # Spark Connect's gRPC stubs
command -v pkg-config >/dev/null || missing_debs+=(pkg-config)
pkg-config --exists openssl 2>/dev/null || missing_debs+=(libssl-dev) # librdkafka's SSL/SASL
command -v java >/dev/null || missing_debs+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || missing_debs+=(maven)
command -v python3 >/dev/null || missing_debs+=(python3 python3-venv)

if [ ${#missing_debs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing ${missing_debs[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_debs[@]}" >/dev/null
  elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then
    echo "setup: installing ${missing_debs[*]} with sudo apt-get"
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_debs[@]}" >/dev/null
  else
    echo "setup: please install: ${missing_debs[*]}" >&2
    exit 1
  fi
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  echo "setup: adding the wasm32-unknown-unknown Rust target"
  rustup target add wasm32-unknown-unknown
fi
