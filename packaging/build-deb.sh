#!/bin/sh
# Builds the Debian package smsagent_<version>_<arch>.deb and prints its path last.
#
#   sh packaging/build-deb.sh                 # release build (static Swift runtime), then package
#   SMSAGENT_BINARY=.build/release/smsagent sh packaging/build-deb.sh   # package a binary already built
#
# The version is the binary's own (`smsagent --version`: AgentVersion.current), so package and
# program never disagree. Man pages come from the argument parser (generate-manual plugin),
# completions from `--generate-completion-script`, and smsagent.yaml(5) from the annotated
# Config/smsagent.yaml. Output: $OUT_DIR (default .build/deb).
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
out=${OUT_DIR:-$root/.build/deb}

if [ -n "${SMSAGENT_BINARY:-}" ]; then
    binary=$SMSAGENT_BINARY
else
    # Static Swift runtime: the package needs no Swift toolchain on the target machine.
    swift build -c release --static-swift-stdlib --product smsagent >&2
    binary=$(swift build -c release --static-swift-stdlib --show-bin-path)/smsagent
fi
[ -x "$binary" ] || { echo "build-deb: no executable at $binary" >&2; exit 1; }
version=$("$binary" --version | sed -n 's/^smsagent \([0-9][0-9.]*[0-9A-Za-z.+~-]*\)$/\1/p')
[ -n "$version" ] || { echo "build-deb: '$binary --version' did not print 'smsagent <version>'" >&2; exit 1; }
arch=$(dpkg --print-architecture)
name=smsagent_${version}_${arch}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT INT TERM
pkg=$stage/$name
umask 022

# Program, unit, udev, account, data directory, configuration.
install -D -m 0755 "$binary" "$pkg/usr/bin/smsagent"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$pkg/usr/bin/smsagent"
# The toolchain's RUNPATH (/opt/swift/...) means nothing on the target machine.
if readelf -d "$pkg/usr/bin/smsagent" | grep -q 'R\(UN\)\?PATH'; then
    patchelf --remove-rpath "$pkg/usr/bin/smsagent"
fi
install -D -m 0644 Config/smsagent.service "$pkg/usr/lib/systemd/system/smsagent.service"
install -D -m 0644 udev/78-smsagent.rules "$pkg/usr/lib/udev/rules.d/78-smsagent.rules"
install -D -m 0644 packaging/smsagent.sysusers "$pkg/usr/lib/sysusers.d/smsagent.conf"
install -D -m 0644 packaging/smsagent.tmpfiles "$pkg/usr/lib/tmpfiles.d/smsagent.conf"
install -D -m 0644 Config/smsagent.yaml "$pkg/etc/smsagent/smsagent.yaml"

# Man pages: smsagent(1) and one page per subcommand from swift-argument-parser's generate-manual
# plugin (it runs the debug build's --experimental-dump-help: the same commands and help text),
# smsagent.yaml(5) from the annotated configuration. Completions from the binary itself.
man=$stage/man
mkdir -p "$man"
swift package --disable-sandbox generate-manual --configuration debug --multi-page \
    --section 1 >&2
cp .build/plugins/GenerateManual/outputs/smsagent/*.1 "$man/"
sh packaging/yaml-manpage.sh Config/smsagent.yaml "$version" > "$man/smsagent.yaml.5"
for page in "$man"/*.1 "$man"/*.5; do
    section=${page##*.}
    install -D -m 0644 "$page" "$pkg/usr/share/man/man$section/$(basename "$page")"
    gzip -9n "$pkg/usr/share/man/man$section/$(basename "$page")"
done
mkdir -p "$pkg/usr/share/bash-completion/completions" "$pkg/usr/share/zsh/vendor-completions" \
         "$pkg/usr/share/fish/vendor_completions.d"
"$binary" --generate-completion-script bash > "$pkg/usr/share/bash-completion/completions/smsagent"
"$binary" --generate-completion-script zsh > "$pkg/usr/share/zsh/vendor-completions/_smsagent"
"$binary" --generate-completion-script fish > "$pkg/usr/share/fish/vendor_completions.d/smsagent.fish"
chmod 0644 "$pkg/usr/share/bash-completion/completions/smsagent" "$pkg/usr/share/zsh/vendor-completions/_smsagent" \
           "$pkg/usr/share/fish/vendor_completions.d/smsagent.fish"

# Documentation.
doc=$pkg/usr/share/doc/smsagent
install -D -m 0644 README.md "$doc/README.md"
if [ -d docs ]; then
    for file in docs/*.md; do install -D -m 0644 "$file" "$doc/$file"; done
fi
install -D -m 0644 udev/README.md "$doc/udev.md"
install -D -m 0644 packaging/copyright "$doc/copyright"
{
    echo "smsagent ($version) unstable; urgency=medium"
    echo
    echo "  * Release $version, packaged by packaging/build-deb.sh."
    echo
    echo " -- smsagent maintainers <smsagent@example.org>  $(date -R -d "@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")"
} | gzip -9n > "$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"
# Yams embeds LibYAML (MIT): Debian's libyaml is not ABI-stable for Swift, so the copy stays.
install -D -m 0644 packaging/lintian-overrides "$pkg/usr/share/lintian/overrides/smsagent"

# Control: dependencies of the binary from the shared libraries it links (dpkg-shlibdeps).
mkdir -p "$pkg/DEBIAN" "$stage/shlibs/debian"
printf 'Source: smsagent\n\nPackage: smsagent\nArchitecture: any\n' > "$stage/shlibs/debian/control"
depends=$(cd "$stage/shlibs" && dpkg-shlibdeps -O "$pkg/usr/bin/smsagent" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "build-deb: dpkg-shlibdeps found no dependencies for $binary" >&2; exit 1; }
size=$(du -k -s --exclude=DEBIAN "$pkg" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" -e "s/@DEPENDS@/$depends/" \
    packaging/debian/control.in > "$pkg/DEBIAN/control"
install -m 0644 packaging/debian/conffiles "$pkg/DEBIAN/conffiles"
for script in postinst prerm postrm; do install -m 0755 "packaging/debian/$script" "$pkg/DEBIAN/$script"; done
(cd "$pkg" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -print | sed 's|^\./||' | LC_ALL=C sort \
    | xargs md5sum > DEBIAN/md5sums)
chmod 0644 "$pkg/DEBIAN/md5sums"

mkdir -p "$out"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$out/$name.deb" >&2
echo "$out/$name.deb"
