#!/usr/bin/env bash
# CI stage: the release build (mvn -Prelease verify, tests skipped: the main build ran them) and a
# check of what it produced for each published module: the jar, a sources jar and a javadoc jar
# (javadoc errors fail the build), and a flattened POM with no parent, with name, description, URL,
# license, SCM and developers, as Maven Central requires. Without a signing key, signing is
# skipped, so no .asc may appear. RELEASING.md has the steps of a real release.
set -euo pipefail
cd "$(dirname "$0")/../.."
modules=(autoconfigure starter testcontainers)
begin=$(date +%s)
mvn -B -ntp -q -Prelease verify -DskipTests -pl "$(IFS=,; echo "${modules[*]}")" -am

version=$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' pom.xml | head -1)
problems=()
for module in "${modules[@]}"; do
  pom="$module/.flattened-pom.xml"
  artifact=$(sed -n 's:^  <artifactId>\(.*\)</artifactId>:\1:p' "$pom")
  for classifier in "" -sources -javadoc; do
    jar="$module/target/$artifact-$version$classifier.jar"
    [ -s "$jar" ] || problems+=("$jar missing")
  done
  grep -q '<parent>' "$pom" && problems+=("$pom still names a parent")
  for element in name description url licenses scm developers; do
    grep -Eq "<${element}[ >]" "$pom" || problems+=("$pom has no <$element>")
  done
  grep -q 'Apache License, Version 2.0' "$pom" || problems+=("$pom has no Apache-2.0 license")
  if [ -z "${MAVEN_GPG_KEY:-}" ] && ls "$module"/target/*.asc >/dev/null 2>&1; then
    problems+=("$module signed without a key?")
  fi
  echo "[release] $artifact $version: jar, sources, javadoc, flattened POM"
done
if [ "${#problems[@]}" -gt 0 ]; then
  printf '[release] FAILED: %s\n' "${problems[@]}" >&2
  exit 1
fi
echo "[release] passed in $(($(date +%s) - begin)) s"
