#!/usr/bin/env bash
# Fails unless every alert in bmcquiet.rules.yml has a promtool test case in
# tests/*.yml where it fires (non-empty exp_alerts) and one where it must not
# (exp_alerts: []), so a new alert cannot land untested.
set -euo pipefail
cd "$(dirname "$0")"
awk '
  FNR == NR { if ($1 == "-" && $2 == "alert:") alerts[$3] = 1; next }
  $1 == "alertname:" { name = $2 }
  $1 == "exp_alerts:" && name != "" {
    if ($2 == "[]") quiet[name] = 1; else fires[name] = 1
    name = ""
  }
  END {
    bad = 0
    for (a in alerts) {
      if (!(a in fires)) { print "no test where " a " fires"; bad = 1 }
      if (!(a in quiet)) { print "no test where " a " stays silent (exp_alerts: [])"; bad = 1 }
    }
    n = length(alerts)
    if (!bad) print n " alerts, each tested firing and silent"
    exit bad
  }' bmcquiet.rules.yml tests/*.yml
