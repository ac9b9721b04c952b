#!/usr/bin/env bash
# Builds a Java 17 runtime image from Debian's packages, for tests on machines that cannot pull images:
# debootstrap a minimal bookworm with openjdk-17-jre-headless, then docker import it. Usage: jre-base.sh TAG
set -euo pipefail
tag="$1"
mirror="$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)"
mirror="${mirror:-http://deb.debian.org/debian}"
root="$(mktemp -d /tmp/reflex-jre-XXXXXX)"
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase --include=openjdk-17-jre-headless,ca-certificates bookworm "$root" "$mirror" > "$root.log" 2>&1 \
  || { tail -20 "$root.log"; exit 1; }
rm -f "$root.log"
tar -C "$root" -c . | docker import -c 'ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64' - "$tag" > /dev/null
echo "built $tag"
