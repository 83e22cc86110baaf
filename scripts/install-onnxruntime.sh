#!/usr/bin/env bash
# Installs the official ONNX Runtime shared library for PrivateVlm.
#
# Why npm: Microsoft publishes the same official binaries inside the npm package onnxruntime-node, and npm is the one
# registry reachable from every machine this project builds on. We only `npm pack` the tarball (nothing is installed,
# no install script runs), check it against a pinned SHA-256, and copy out the single library this platform needs.
#
# Usage: scripts/install-onnxruntime.sh [destination-directory]
#   destination: first argument, else $PRIVATEVLM_NATIVE_DIR, else the PrivateVlm native directory
#                ($XDG_DATA_HOME/privatevlm/native on Linux, ~/Library/Application Support/PrivateVlm/native on macOS).
#   The downloaded tarball is cached in $XDG_CACHE_HOME/privatevlm (Linux) or ~/Library/Caches/PrivateVlm (macOS)
#   so re-running does not download again. Re-running with the library already in place does nothing.
set -euo pipefail

readonly ORT_VERSION="1.30.0"
readonly PACKAGE="onnxruntime-node@${ORT_VERSION}"
readonly TARBALL_NAME="onnxruntime-node-${ORT_VERSION}.tgz"
# SHA-256 of the npm tarball onnxruntime-node-1.30.0.tgz and of each library inside it.
readonly TARBALL_SHA256="6e3390d6b783e7be946fad629292799da28d0b42f84856e50d2c1b0383291e75"
readonly SHA256_LINUX_X64="ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23"
readonly SHA256_LINUX_ARM64="1f549d46250b005580b597f4164984aaf75b3bcb9f3aeb07c7f8a8fe60b23c76"
readonly SHA256_DARWIN_ARM64="685d2be5dba1309c89d3a5324b7fd06a5c42f1a61bfea32d14c4cc28d072121d"

say() { printf 'install-onnxruntime: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    die "neither sha256sum nor shasum is available to verify the download"
  fi
}

os="$(uname -s)"
arch="$(uname -m)"
case "${os}/${arch}" in
  Linux/x86_64 | Linux/amd64) pkg_dir="linux/x64"; lib_name="libonnxruntime.so.1"; lib_sha="${SHA256_LINUX_X64}" ;;
  Linux/aarch64 | Linux/arm64) pkg_dir="linux/arm64"; lib_name="libonnxruntime.so.1"; lib_sha="${SHA256_LINUX_ARM64}" ;;
  Darwin/arm64) pkg_dir="darwin/arm64"; lib_name="libonnxruntime.1.dylib"; lib_sha="${SHA256_DARWIN_ARM64}" ;;
  Darwin/x86_64) die "onnxruntime-node ${ORT_VERSION} has no Intel macOS build; use 'brew install onnxruntime' instead" ;;
  *) die "unsupported platform ${os}/${arch} (supported: Linux x86_64/arm64, macOS arm64)" ;;
esac

home="${HOME:?HOME must be set}"
if [[ "${os}" == "Darwin" ]]; then
  default_native="${home}/Library/Application Support/PrivateVlm/native"
  cache_dir="${home}/Library/Caches/PrivateVlm"
else
  # XDG says relative values must be ignored, exactly as AppPaths does.
  data_home="${XDG_DATA_HOME:-}"; [[ "${data_home}" == /* ]] || data_home="${home}/.local/share"
  cache_home="${XDG_CACHE_HOME:-}"; [[ "${cache_home}" == /* ]] || cache_home="${home}/.cache"
  default_native="${data_home}/privatevlm/native"
  cache_dir="${cache_home}/privatevlm"
fi
dest_dir="${1:-${PRIVATEVLM_NATIVE_DIR:-${default_native}}}"
dest="${dest_dir}/${lib_name}"

if [[ -f "${dest}" && "$(sha256_of "${dest}")" == "${lib_sha}" ]]; then
  say "ONNX Runtime ${ORT_VERSION} is already installed at ${dest} (checksum verified); nothing to do."
  exit 0
fi
if [[ -f "${dest}" ]]; then
  say "${dest} exists but is not ONNX Runtime ${ORT_VERSION} for ${pkg_dir}; it will be replaced"
fi

mkdir -p "${cache_dir}"
tarball="${cache_dir}/${TARBALL_NAME}"
if [[ -f "${tarball}" && "$(sha256_of "${tarball}")" != "${TARBALL_SHA256}" ]]; then
  say "cached ${tarball} has the wrong checksum; downloading it again"
  rm -f "${tarball}"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/privatevlm-ort.XXXXXX")"
trap 'rm -rf "${work}"' EXIT

if [[ ! -f "${tarball}" ]]; then
  command -v npm >/dev/null 2>&1 || die "npm is needed to fetch ${PACKAGE} (install Node.js, or on macOS run 'brew install onnxruntime')"
  say "fetching ${PACKAGE} with 'npm pack' (about 113 MB, nothing is installed or executed)..."
  (cd "${work}" && npm pack "${PACKAGE}" --silent --ignore-scripts >/dev/null) \
    || die "'npm pack ${PACKAGE}' failed; check your npm registry access"
  [[ -f "${work}/${TARBALL_NAME}" ]] || die "npm pack did not produce ${TARBALL_NAME}"
  mv "${work}/${TARBALL_NAME}" "${tarball}.partial"
  mv "${tarball}.partial" "${tarball}"
else
  say "using cached ${tarball}"
fi

actual="$(sha256_of "${tarball}")"
if [[ "${actual}" != "${TARBALL_SHA256}" ]]; then
  rm -f "${tarball}"
  die "checksum mismatch for ${TARBALL_NAME}: expected ${TARBALL_SHA256}, got ${actual} (deleted; re-run to retry)"
fi

member="package/bin/napi-v6/${pkg_dir}/${lib_name}"
tar -xzf "${tarball}" -C "${work}" "${member}" || die "${member} is missing from ${TARBALL_NAME}"
extracted="${work}/${member}"
actual="$(sha256_of "${extracted}")"
[[ "${actual}" == "${lib_sha}" ]] || die "checksum mismatch for ${lib_name}: expected ${lib_sha}, got ${actual}"

mkdir -p "${dest_dir}"
# Copy then rename so a running daemon never sees a half-written library.
cp "${extracted}" "${dest}.partial"
chmod 0644 "${dest}.partial"
mv -f "${dest}.partial" "${dest}"
say "installed ONNX Runtime ${ORT_VERSION} (${pkg_dir}) at ${dest}"
say "check it with: privatevlm doctor"
