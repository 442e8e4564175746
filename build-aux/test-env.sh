#!/bin/bash
# Runs ONE test program in a world of its own: a temporary HOME (and XDG
# folders inside it), a private D-Bus session and a gnome-keyring unlocked with
# a known password, so that no test touches a developer's real keyring or
# settings. meson.build uses it as the exe_wrapper of the default test setup:
#
#   build-aux/test-env.sh PROGRAM [ARGS...]
#
# The exit status is the program's. The temporary HOME is removed afterwards
# unless DUET_KEEP_TEST_HOME=1 (then its path is printed on stderr).
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 PROGRAM [ARGS...]" >&2
  exit 2
fi

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=build-aux/session-lib.sh
. "$here/session-lib.sh"

for tool in dbus-run-session gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null; then
    echo "test-env.sh: $tool not found; run build-aux/install-deps.sh" >&2
    exit 1
  fi
done

duet_session_make_home duet-test

# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
  duet_session_kill_strays "$DUET_SESSION_HOME"
  if [ "${DUET_KEEP_TEST_HOME:-0}" = 1 ]; then
    echo "test-env.sh: kept $DUET_SESSION_HOME" >&2
  else
    duet_session_remove_home "$DUET_SESSION_HOME"
  fi
}
trap cleanup EXIT
# meson ends a test that timed out with SIGTERM to the whole process group;
# exit through the EXIT trap so that the folder still goes away.
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

# The inner shell unlocks the keyring inside the new bus, then becomes the test.
# GTK_A11Y=none: the private bus has no accessibility bus, and GTK would warn
# about it (fatal under G_DEBUG=fatal-warnings) or start at-spi services.
# shellcheck disable=SC2016  # expanded by the inner shell
inner='
  set -e
  . "$1"
  shift
  duet_session_unlock_keyring
  exec "$@"
'
status=0
env "${DUET_SESSION_ENV[@]}" GTK_A11Y="${GTK_A11Y:-none}" \
  dbus-run-session -- bash -c "$inner" duet-test-env "$here/session-lib.sh" "$@" \
  || status=$?
exit "$status"
