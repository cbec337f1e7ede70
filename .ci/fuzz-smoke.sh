#!/usr/bin/env bash
# Runs every fuzz target of every package of the module for FUZZTIME
# (default 5s): `go test -list` finds the targets, then each runs alone.
# Usage: FUZZTIME=30s .ci/fuzz-smoke.sh [PACKAGE...]   (default ./...)
#
# Go 1.26 can fail a duration-bounded run with a bare "context deadline
# exceeded" when -fuzztime ends while a worker is busy (go.dev/issue/75804,
# fixed in Go 1.27); a loaded machine makes it likely. Such a run, with no
# failing input written, is reported as a flake and does not fail the smoke.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-5s}

# Packages with test files; the others cannot hold fuzz targets.
pkgs=$("$GO" list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' "${@:-./...}")

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Every target runs even when one fails; the failures are listed at the end.
n=0
failed=()
flaked=()
for pkg in $pkgs; do
	listed=$("$GO" test -list '^Fuzz' "$pkg")
	for name in $(grep '^Fuzz' <<<"$listed" || true); do
		echo "fuzz-smoke: $pkg $name for $FUZZTIME"
		n=$((n + 1))
		if "$GO" test -run=NONE -fuzz="^${name}\$" -fuzztime="$FUZZTIME" "$pkg" 2>&1 | tee "$log"; then
			continue
		fi
		if grep -qx '    context deadline exceeded' "$log" && ! grep -q 'Failing input written' "$log"; then
			flaked+=("$pkg $name")
		else
			failed+=("$pkg $name")
		fi
	done
done
echo "fuzz-smoke: $n fuzz targets ran for $FUZZTIME each, ${#failed[@]} failed, ${#flaked[@]} hit go.dev/issue/75804"
for f in ${flaked[@]+"${flaked[@]}"}; do echo "fuzz-smoke: FLAKE (go.dev/issue/75804) $f"; done
for f in ${failed[@]+"${failed[@]}"}; do echo "fuzz-smoke: FAIL $f"; done
[ ${#failed[@]} -eq 0 ]
