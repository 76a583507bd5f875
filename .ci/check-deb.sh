#!/usr/bin/env bash
# Build the Debian package from a configured, built tree and prove it installs and starts on a
# clean Debian 12: debootstrap a minimal bookworm root (nothing of the build machine in it),
# install the package there with apt (which pulls in exactly what the package declares), and start
# the installed programs from /usr/bin inside that root:
#   paydesk --version, paydeskctl --help, paydesk-sandbox --help, and the demo GUI offscreen
#   taking a screenshot (the SQLite driver, the platform plugin and the fonts' absence are real).
# Needs root (or sudo) for debootstrap and chroot, and the network to a Debian mirror
# (PAYDESK_DEBIAN_MIRROR, default http://deb.debian.org/debian). Takes about a minute.
#
#   bash .ci/check-deb.sh [BUILD_DIR]      (default: build/ci)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build="${1:-build/ci}"
mirror="${PAYDESK_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
as_root=()
if [[ $(id -u) -ne 0 ]]; then
    if [[ -t 0 ]]; then as_root=(sudo); else as_root=(sudo -n); fi
fi
fail() { echo "check-deb: $*" >&2; exit 1; }

out="$(mktemp -d)"
root="$(mktemp -d)"
cleanup() {
    "${as_root[@]}" umount "$root/proc" 2>/dev/null || true
    "${as_root[@]}" rm -rf "$root"
    rm -rf "$out"
}
trap cleanup EXIT

(cd "$build" && cpack -G DEB -B "$out" >/dev/null)
debs=("$out"/paydesk_*.deb)
deb="${debs[0]}"
[[ -f $deb ]] || fail "cpack made no .deb in $out"
version="$(dpkg-deb --field "$deb" Version)"
echo "check-deb: built $(basename "$deb") ($(du -h "$deb" | cut -f1)), depends on:"
dpkg-deb --field "$deb" Depends | tr ',' '\n' | sed 's/^ */    /'

echo "check-deb: debootstrap --variant=minbase bookworm (clean root from $mirror)"
"${as_root[@]}" debootstrap --variant=minbase bookworm "$root" "$mirror" >"$out/debootstrap.log" 2>&1 \
    || { tail -20 "$out/debootstrap.log" >&2; fail "debootstrap failed"; }
"${as_root[@]}" mount -t proc proc "$root/proc"
"${as_root[@]}" cp "$deb" "$root/tmp/"
in_root() { "${as_root[@]}" chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp LANG=C.UTF-8 "$@"; }

in_root env DEBIAN_FRONTEND=noninteractive bash -c \
    "apt-get update -q && apt-get install -y -q --no-install-recommends /tmp/$(basename "$deb")" \
    >"$out/install.log" 2>&1 || { tail -30 "$out/install.log" >&2; fail "apt-get install of the package failed"; }
echo "check-deb: installed with $(grep -c '^Setting up' "$out/install.log") packages set up"

for f in /usr/bin/paydesk /usr/bin/paydeskctl /usr/bin/paydesk-sandbox \
         /usr/share/applications/paydesk.desktop /usr/share/icons/hicolor/scalable/apps/paydesk.svg; do
    [[ -e $root$f ]] || fail "the package did not install $f"
done
said="$(in_root bash -c 'cd /tmp && paydesk --version')"
echo "check-deb: paydesk --version: $said"
[[ $said == *"$version"* ]] || fail "paydesk --version does not name the package's version $version"
# Whole output first: `| grep -q` would stop reading at the first match, the program would die
# of SIGPIPE on the rest, and pipefail would call that a failure.
said="$(in_root bash -c 'cd /tmp && paydeskctl --help')" || fail "paydeskctl --help failed"
grep -q '^Usage: paydeskctl' <<<"$said" || fail "paydeskctl --help printed no usage"
said="$(in_root bash -c 'cd /tmp && paydesk-sandbox --help')" || fail "paydesk-sandbox --help failed"
grep -qi 'sandbox' <<<"$said" || fail "paydesk-sandbox --help printed no usage"
echo "check-deb: paydeskctl --help and paydesk-sandbox --help print their usage"
in_root bash -c 'cd /tmp && QT_QPA_PLATFORM=offscreen PAYDESK_PASSWORD=admin timeout 120 paydesk --demo \
    --demo-dir /tmp/demo --user admin --page orders --screenshot /tmp/orders.png' >"$out/demo.log" 2>&1 \
    || { tail -20 "$out/demo.log" >&2; fail "the installed paydesk did not open the demo"; }
[[ -s $root/tmp/orders.png ]] || fail "the installed paydesk showed no window"
echo "check-deb: the installed paydesk opened the demo in the clean root ($(du -h "$root/tmp/orders.png" | cut -f1) screenshot)"
