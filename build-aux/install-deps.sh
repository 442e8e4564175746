#!/bin/bash
# Installs the Debian 12 packages that Duet needs to build, test and run, and
# only those that are missing: when everything is there it returns at once and
# needs neither root nor a network.
#
#   build-aux/install-deps.sh           install what is missing (as root, or via sudo)
#   build-aux/install-deps.sh --check   list what is missing; exit 1 if anything is
set -euo pipefail

packages=(
  # build
  meson ninja-build gcc libc6-dev pkg-config
  libglib2.0-dev libglib2.0-bin libgtk-4-dev libadwaita-1-dev
  libsoup-3.0-dev libjson-glib-dev libsecret-1-dev libsqlite3-dev
  gettext desktop-file-utils appstream
  # tests/test-data.c renders the icons with rsvg-convert
  librsvg2-bin
  # test: Xvfb for the UI tests, a private D-Bus session with a real keyring,
  # screenshots, valgrind; python3 runs build-aux/count-tests.py
  xvfb xauth dbus dbus-x11 gnome-keyring libsecret-tools imagemagick
  python3 valgrind procps
  # test: the accessibility tree over AT-SPI (tests/a11y-walk.py), and real
  # key presses for the keyboard navigation test
  at-spi2-core python3-pyatspi gir1.2-atspi-2.0 xdotool
  # run: trusted certificates for https homeservers (libsoup's TLS comes from
  # glib-networking, which only recommends them), and the SVG loader that GTK
  # needs for symbolic icons (a recommendation of libgtk-4-1)
  ca-certificates librsvg2-common
)

# One dpkg-query for all: packages dpkg has never heard of are simply not listed.
declare -A installed=()
while read -r pkg status; do
  case $status in
    ii*) installed[$pkg]=1 ;;
  esac
done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${packages[@]}" 2>/dev/null || true)

missing=()
for pkg in "${packages[@]}"; do
  [ -n "${installed[$pkg]:-}" ] || missing+=("$pkg")
done

if [ "${1:-}" = --check ]; then
  if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
  fi
  printf '%s\n' "${missing[@]}"
  exit 1
elif [ "$#" -gt 0 ]; then
  echo "usage: $0 [--check]" >&2
  exit 2
fi

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null; then
  as_root=(sudo)
else
  echo "install-deps.sh: these Debian packages are missing and installing them needs root:" >&2
  echo "  ${missing[*]}" >&2
  echo "Install them as root, e.g.: su -c '$(cd -- "$(dirname -- "$0")" && pwd)/install-deps.sh'" >&2
  exit 1
fi

echo "install-deps.sh: installing ${missing[*]}" >&2
apt_options=(-q -y -o Dpkg::Use-Pty=0)
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_options[@]}" update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_options[@]}" \
  install --no-install-recommends "${missing[@]}" </dev/null
