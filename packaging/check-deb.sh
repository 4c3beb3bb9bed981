#!/bin/sh
# Checks a package built by build-deb.sh: control fields, contents, conffiles, maintainer
# scripts, the packaged program, the unit, lintian. With --install (CI, a throw-away machine):
# installs it for real and checks what postinst made, then purges it.
#   sh packaging/check-deb.sh .build/deb/smsagent_0.13.0_amd64.deb [--install]
set -eu
deb=$1
install=${2:-}
fail() { echo "check-deb: FAIL: $*" >&2; exit 1; }
ok() { echo "check-deb: ok: $*"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
dpkg-deb -x "$deb" "$work/root"
dpkg-deb -e "$deb" "$work/control"

# The version in the package is the program's.
version=$(dpkg-deb -f "$deb" Version)
program=$("$work/root/usr/bin/smsagent" --version)
[ "$program" = "smsagent $version" ] || fail "package version $version, program says '$program'"
ok "version $version = smsagent --version"
[ "$(dpkg-deb -f "$deb" Package)" = smsagent ] || fail "package name"
[ "$(dpkg-deb -f "$deb" Architecture)" = "$(dpkg --print-architecture)" ] || fail "architecture"
depends=$(dpkg-deb -f "$deb" Depends)
echo "$depends" | grep -q 'libudev1' || fail "Depends lacks libudev1: $depends"
echo "$depends" | grep -q 'libc6' || fail "Depends lacks libc6: $depends"
ok "Depends: $depends"

# Contents.
for path in usr/bin/smsagent usr/lib/systemd/system/smsagent.service usr/lib/udev/rules.d/78-smsagent.rules \
        usr/lib/sysusers.d/smsagent.conf usr/lib/tmpfiles.d/smsagent.conf etc/smsagent/smsagent.yaml \
        usr/share/man/man1/smsagent.1.gz usr/share/man/man1/smsagent.send.1.gz usr/share/man/man1/smsagent.modem.send.1.gz \
        usr/share/man/man1/smsagent.run.1.gz usr/share/man/man5/smsagent.yaml.5.gz \
        usr/share/bash-completion/completions/smsagent usr/share/zsh/vendor-completions/_smsagent \
        usr/share/fish/vendor_completions.d/smsagent.fish \
        usr/share/doc/smsagent/README.md usr/share/doc/smsagent/copyright usr/share/doc/smsagent/changelog.gz; do
    [ -f "$work/root/$path" ] || fail "missing /$path"
done
ok "contents"
cmp -s "$work/root/usr/lib/systemd/system/smsagent.service" Config/smsagent.service || fail "unit differs from Config/smsagent.service"
cmp -s "$work/root/etc/smsagent/smsagent.yaml" Config/smsagent.yaml || fail "configuration differs from Config/smsagent.yaml"
zcat "$work/root/usr/share/man/man1/smsagent.modem.send.1.gz" | grep -q -- 'Fl -to' || fail "smsagent.modem.send(1) lacks --to"
zcat "$work/root/usr/share/man/man5/smsagent.yaml.5.gz" | grep -q 'stop_number' || fail "smsagent.yaml(5) lacks stop_number"
grep -q 'complete' "$work/root/usr/share/bash-completion/completions/smsagent" || fail "bash completion"
ok "unit, configuration, man pages, completions"

# Control files and maintainer scripts.
grep -qx '/etc/smsagent/smsagent.yaml' "$work/control/conffiles" || fail "conffiles"
for script in postinst prerm postrm; do
    [ -x "$work/control/$script" ] || fail "$script not executable"
    sh -n "$work/control/$script" || fail "$script: syntax"
done
for step in systemd-sysusers systemd-tmpfiles 'udevadm control --reload' 'daemon-reload' 'deb-systemd-helper enable' 'check-config'; do
    grep -q -- "$step" "$work/control/postinst" || fail "postinst lacks '$step'"
done
grep -q 'u smsagent' "$work/root/usr/lib/sysusers.d/smsagent.conf" || fail "sysusers entry"
grep -q '^d /var/lib/smsagent 2770 smsagent smsagent' "$work/root/usr/lib/tmpfiles.d/smsagent.conf" || fail "tmpfiles entry"
(cd "$work/root" && md5sum --quiet -c "$work/control/md5sums") || fail "md5sums"
ok "conffiles, maintainer scripts, md5sums"

# The unit as packaged: valid, hardened.
# verify needs the programs the unit names: point them at the packaged binary.
sed "s|/usr/bin/smsagent|$work/root/usr/bin/smsagent|g" "$work/root/usr/lib/systemd/system/smsagent.service" > "$work/smsagent.service"
systemd-analyze verify --man=no "$work/smsagent.service" 2>"$work/verify" || { cat "$work/verify" >&2; fail "systemd-analyze verify"; }
if [ -s "$work/verify" ]; then cat "$work/verify" >&2; fail "systemd-analyze verify warnings"; fi
exposure=$(systemd-analyze security --offline=true "$work/root/usr/lib/systemd/system/smsagent.service" 2>/dev/null \
    | sed -n 's/.*Overall exposure level for smsagent.service: \([0-9.]*\).*/\1/p')
[ -n "$exposure" ] && awk "BEGIN { exit !($exposure <= 2.0) }" || fail "exposure $exposure > 2.0"
ok "systemd-analyze verify; security exposure $exposure"

if command -v lintian >/dev/null 2>&1; then
    lintian --fail-on error --suppress-tags no-manual-page "$deb" || fail "lintian errors"
    ok "lintian: no errors"
else
    fail "lintian is not installed (apt-get install lintian)"
fi

if [ "$install" = "--install" ]; then
    apt-get install -y -qq "$deb" >/dev/null || fail "apt install"
    getent passwd smsagent >/dev/null || fail "no user smsagent"
    getent group smsagent >/dev/null || fail "no group smsagent"
    [ "$(stat -c '%a %U %G' /var/lib/smsagent)" = "2770 smsagent smsagent" ] || fail "/var/lib/smsagent: $(stat -c '%a %U %G' /var/lib/smsagent)"
    [ "$(stat -c '%a %U %G' /etc/smsagent/smsagent.yaml)" = "640 root smsagent" ] || fail "smsagent.yaml: $(stat -c '%a %U %G' /etc/smsagent/smsagent.yaml)"
    [ "$(/usr/bin/smsagent --version)" = "smsagent $version" ] || fail "installed program"
    if /usr/bin/smsagent check-config /etc/smsagent/smsagent.yaml >/dev/null 2>&1; then fail "the shipped configuration must not start without a sender"; fi
    ok "installed: account, data directory 2770, configuration 0640 root:smsagent"
    apt-get purge -y -qq smsagent >/dev/null || fail "purge"
    [ ! -e /usr/bin/smsagent ] || fail "purge left /usr/bin/smsagent"
    ok "purged"
fi
echo "check-deb: all checks passed for $deb"
