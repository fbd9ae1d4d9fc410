#!/usr/bin/env bash
# Regenerates the man pages and the bash completion from the built programs
# and config/bmcquiet.yaml, fails if the committed copies differ (so they
# cannot drift from --help), if man(1) warns about a page, or if the
# completion does not complete commands and options.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:?usage: check.sh WORKDIR BMCQUIETD BMCQUIETCTL}
rm -rf "$work" && mkdir -p "$work"
python3 "$root/docs/man/generate.py" --daemon "$2" --ctl "$3" --out "$work"
status=0
for page in bmcquietd.8 bmcquietctl.8 bmcquiet.yaml.5; do
  diff -u "$root/docs/man/$page" "$work/docs/man/$page" || status=1
  warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -l "$work/docs/man/$page" 2>&1 >/dev/null)
  if [ -n "$warnings" ]; then echo "$page: man warns:"; echo "$warnings"; status=1; fi
done
diff -u "$root/completion/bmcquietctl" "$work/completion/bmcquietctl" || status=1
if [ $status -ne 0 ]; then
  echo "check.sh: regenerate with: python3 docs/man/generate.py --daemon BUILD/daemon/bmcquietd" \
    "--ctl BUILD/daemon/bmcquietctl --out . (from the source root) and commit"
  exit 1
fi
# Every option of the programs' --help appears in its page.
for prog in "$2" "$3"; do
  name=$(basename "$prog")
  page=$(MANWIDTH=200 man -l "$work/docs/man/$name.8" 2>/dev/null)
  for opt in $("$prog" --help | grep -oE -- '--[a-z][a-z.-]+' | sort -u); do
    grep -qF -- "$opt" <<<"$page" || { echo "$name.8 lacks $opt"; exit 1; }
  done
done
# The completion as bash runs it: COMP_WORDS as typed, COMPREPLY as offered.
bash -c '
  source "$1"
  complete -p bmcquietctl | grep -q _bmcquietctl
  offer() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _bmcquietctl; echo "${COMPREPLY[*]}"; }
  [ "$(offer bmcquietctl ch)" = check ] || { echo "commands: got $(offer bmcquietctl ch)"; exit 1; }
  [[ " $(offer bmcquietctl check --)" == *" --sample "* ]] || { echo "check options missing"; exit 1; }
  [[ " $(offer bmcquietctl detect --th)" == " --threshold-us" ]] || { echo "detect options"; exit 1; }
  [ -z "$(offer bmcquietctl check --sample "")" ] || { echo "a value was completed as an option"; exit 1; }
  [[ "$(cd / && offer bmcquietctl check --config et)" == "etc" ]] || { echo "--config not a path"; exit 1; }
' _ "$work/completion/bmcquietctl"
echo "check.sh: man pages and completion match the programs and config; man is silent"
