#!/usr/bin/env bash
# Debian's Tesseract for reading scanned pages and image uploads (core/ingest/parse_ocr.py).
# Idempotent: installs only the packages that are missing. More languages: add their
# tesseract-ocr-<lang> packages here (or with apt-get) and list them in AW_OCR_LANGUAGES.
set -eu
PACKAGES="tesseract-ocr tesseract-ocr-eng"
missing=""
for package in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $package"
    fi
done
if [ -z "$missing" ]; then exit 0; fi
if [ "$(id -u)" != "0" ]; then SUDO=sudo; else SUDO=""; fi
export DEBIAN_FRONTEND=noninteractive
# The package lists already on the machine are tried first (an update costs a minute); stale
# lists (a 404 on download, or no candidate yet) are refreshed once and the install retried.
# shellcheck disable=SC2086  # $missing is a list of package names
if ! $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null; then
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
