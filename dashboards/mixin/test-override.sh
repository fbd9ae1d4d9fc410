#!/usr/bin/env bash
# An operator's override file changes the job selector and one threshold in
# every place they appear, the result passes `promtool check rules`, and a
# misspelt key is refused with its path.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:?usage: test-override.sh WORKDIR PROMTOOL...}
shift
mkdir -p "$work"
cat >"$work/site.yaml" <<'YAML'
job_selector: 'job="node-bmc", env="prod"'
alerts:
  BmcQuietSmiRateHigh: {threshold: 0.25, severity: critical}
YAML
python3 "$here/generate.py" --override "$work/site.yaml" --out "$work/out"
rules=$work/out/bmcquiet.rules.yml
grep -q 'instance:bmcquiet_smi:rate5m > 0.25' "$rules"
grep -q 'SMIs above 0.25/s' "$rules"
if grep -q 'job="bmcquiet"' "$rules"; then echo "the shipped job selector is left in $rules"; exit 1; fi
[ "$(grep -c 'job="node-bmc", env="prod"' "$rules")" -ge 20 ]
"$@" check rules "$rules"
echo 'alerts: {BmcQuietSmiRateHigh: {treshold: 2}}' >"$work/typo.yaml"
if python3 "$here/generate.py" --override "$work/typo.yaml" --out "$work/bad" 2>"$work/err"; then
  echo "a misspelt key was accepted"; exit 1
fi
grep -q 'override.alerts.BmcQuietSmiRateHigh.treshold: unknown key' "$work/err"
echo "test-override.sh: override applied everywhere, rules valid, typo refused"
