#!/usr/bin/env bash
# Installs s3rver (a local S3 API server, from the npm registry) into artifacts/tools/s3rver for the
# object storage tests. Needs node and npm; no root.
set -euo pipefail
cd "$(dirname "$0")/.."
target=artifacts/tools/s3rver
version=3.7.1
if [ -f "$target/node_modules/s3rver/package.json" ] && grep -q "\"version\": \"$version\"" "$target/node_modules/s3rver/package.json"; then
    exit 0
fi
command -v npm >/dev/null || { echo "install-s3rver: npm is missing (apt-get install nodejs npm)" >&2; exit 1; }
mkdir -p "$target"
npm install --prefix "$target" --no-audit --no-fund --silent "s3rver@$version" >/dev/null
echo "install-s3rver: s3rver $version in $target"
