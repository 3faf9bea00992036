#!/usr/bin/env bash
# Installs the DataStax Apache Kafka Connector (the Cassandra sink) as one plugin directory
# under the workers' plugin.path, $REPO/.cluster/plugins/datastax-kafka-connector/.
# cluster/up.sh runs it before the workers start; by hand:
#
#   DATASTAX_CONNECTOR=SRC bash cluster/datastax.sh      install SRC (see below)
#   DATASTAX_CONNECTOR=none bash cluster/datastax.sh     remove the plugin
#   bash cluster/datastax.sh --print                     what is installed, from where
#
# SRC is any of:
#   - a release folder holding kafka-connect-cassandra-sink-<v>.jar and runtime-deps.txt (the
#     layout of ../shared/plugins/datastax-kafka-connector/<v>/): the jar is copied and each
#     coordinate of runtime-deps.txt is fetched from Maven Central, exactly as listed;
#   - a connector jar: with a runtime-deps.txt beside it, as above; without one, it is taken
#     for the combined jar of DataStax's download and installed alone;
#   - a plugin directory (jars, no runtime-deps.txt): its jars are copied as they are;
#   - the release tarball DataStax publishes (kafka-connect-cassandra-sink-<v>.tar.gz): its
#     combined jar is extracted and installed alone.
#
# Unset, DATASTAX_CONNECTOR defaults to ../shared/plugins/datastax-kafka-connector/1.5.0 next
# to the repository when that folder exists (cluster/README.md), and otherwise leaves the
# plugin directory as it is. The install is skipped when the same source is already in
# place. Exit status: 0 installed or unchanged, 1 on error. Prints "changed" on stdout
# when it changed the plugin directory, so that up.sh knows to restart running workers.
set -euo pipefail
. "$(dirname "$0")/common.sh"

DEST=$PLUGINS/datastax-kafka-connector

if [ "${1:-}" = --print ]; then
	if [ -f "$DEST/.source" ]; then cat "$DEST/.source"; else echo "not installed"; fi
	exit 0
fi

src=${DATASTAX_CONNECTOR:-$(default_datastax_connector)}
if [ -z "$src" ]; then
	exit 0
fi
if [ "$src" = none ]; then
	if [ -d "$DEST" ]; then
		rm -rf "$DEST"
		say "DataStax connector removed from $DEST"
		echo changed
	fi
	exit 0
fi
[ -e "$src" ] || die "DATASTAX_CONNECTOR=$src: no such file or directory"
src=$(readlink -f "$src")

# fingerprint of the source: its path and the sha256 of every file it is made of.
fingerprint() {
	if [ -d "$src" ]; then
		(cd "$src" && find . -maxdepth 1 -type f \( -name '*.jar' -o -name runtime-deps.txt \) -print0 | sort -z | xargs -0 sha256sum)
	else
		sha256sum "$src"
	fi | sha256sum | cut -c1-16
}
stamp="source: $src
fingerprint: $(fingerprint)"
if [ "$(cat "$DEST/.source" 2>/dev/null)" = "$stamp" ]; then
	exit 0
fi

tmp=$(mktemp -d "$PLUGINS/.datastax-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/plugin"

# fetch_deps FILE: copy every coordinate of a runtime-deps.txt (group:artifact:type
# [:classifier]:version:scope) from Maven Central into the plugin, without their own
# dependencies: the list is already the whole resolved tree.
fetch_deps() {
	local deps=$1 line g a t c v s n=0
	{
		cat <<-'HEAD'
			<?xml version="1.0" encoding="UTF-8"?>
			<!-- Written by cluster/datastax.sh from runtime-deps.txt: the exact runtime dependencies of one
			     DataStax connector release, each without its own transitive dependencies. -->
			<project xmlns="http://maven.apache.org/POM/4.0.0">
			  <modelVersion>4.0.0</modelVersion>
			  <groupId>io.connectsync.cluster</groupId>
			  <artifactId>datastax-plugin</artifactId>
			  <version>0</version>
			  <packaging>pom</packaging>
			  <dependencies>
		HEAD
		while IFS= read -r line; do
			line=${line//[[:space:]]/}
			IFS=: read -r -a f <<<"$line"
			case ${#f[@]} in
			5) g=${f[0]} a=${f[1]} t=${f[2]} c= v=${f[3]} s=${f[4]} ;;
			6) g=${f[0]} a=${f[1]} t=${f[2]} c=${f[3]} v=${f[4]} s=${f[5]} ;;
			*) continue ;; # the header line, blank lines
			esac
			case $s in compile | runtime) ;; *) continue ;; esac
			printf '    <dependency><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version><type>%s</type>%s<scope>%s</scope>' \
				"$g" "$a" "$v" "$t" "${c:+<classifier>$c</classifier>}" "$s"
			printf '<exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion></exclusions></dependency>\n'
			n=$((n + 1))
		done <"$deps"
		printf '  </dependencies>\n</project>\n'
	} >"$tmp/pom.xml"
	[ "$n" -gt 0 ] || die "$deps lists no dependency"
	command -v mvn >/dev/null || die "Maven is missing (apt-get install -y maven)"
	say "fetching the connector's $n runtime dependencies from Maven Central (Maven)"
	find_java
	JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$JAVA")")") mvn -B -q -Dstyle.color=never -f "$tmp/pom.xml" ${MAVEN_ARGS_EXTRA:-} \
		org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
		-DoutputDirectory="$tmp/plugin" -DincludeScope=runtime >&2 ||
		die "Maven could not fetch the dependencies listed in $deps (see above)"
	local got
	got=$(find "$tmp/plugin" -name '*.jar' | wc -l)
	# The connector's own jar is already there.
	[ "$got" -eq $((n + 1)) ] || die "Maven fetched $((got - 1)) jars for the $n coordinates of $deps"
}

case $src in
*.tar.gz | *.tgz)
	mkdir -p "$tmp/x"
	tar -xzf "$src" -C "$tmp/x"
	jar=$(find "$tmp/x" -name 'kafka-connect-cassandra-sink-*.jar' | head -1)
	[ -n "$jar" ] || die "$src holds no kafka-connect-cassandra-sink-*.jar"
	cp "$jar" "$tmp/plugin/"
	kind="release tarball ($(basename "$jar"), combined)"
	;;
*.jar)
	cp "$src" "$tmp/plugin/"
	if [ -f "$(dirname "$src")/runtime-deps.txt" ]; then
		fetch_deps "$(dirname "$src")/runtime-deps.txt"
		kind="connector jar + runtime-deps.txt"
	else
		kind="combined jar"
	fi
	;;
*)
	[ -d "$src" ] || die "DATASTAX_CONNECTOR=$src: expected a jar, a .tar.gz, a release folder or a plugin directory"
	if [ -f "$src/runtime-deps.txt" ]; then
		jar=$(find "$src" -maxdepth 1 -name 'kafka-connect-cassandra-sink-*.jar' | head -1)
		[ -n "$jar" ] || die "$src has runtime-deps.txt but no kafka-connect-cassandra-sink-*.jar"
		cp "$jar" "$tmp/plugin/"
		fetch_deps "$src/runtime-deps.txt"
		kind="release folder ($(basename "$jar") + runtime-deps.txt)"
	else
		find "$src" -maxdepth 1 -name '*.jar' -exec cp {} "$tmp/plugin/" \;
		[ -n "$(ls "$tmp/plugin")" ] || die "$src holds no jar"
		kind="plugin directory"
	fi
	;;
esac

printf '%s\n' "$stamp" >"$tmp/plugin/.source"
rm -rf "$DEST"
mv "$tmp/plugin" "$DEST"
say "DataStax connector installed in $DEST from $kind: $(find "$DEST" -name '*.jar' | wc -l) jars"
echo changed
