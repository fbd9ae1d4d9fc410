#!/usr/bin/env bash
# Fails when the dashboards or the rules use a bmcquiet_ metric that no code in
# lib/ defines (a renamed metric would otherwise leave a panel silently empty
# and an alert that can never fire). Histogram suffixes map to their family.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
defined=$(grep -rhoE '"bmcquiet_[a-z0-9_]+"' "$root/lib" | tr -d '"' | sort -u)
# Recording-rule names (level:metric:operations) contain colons: not metrics.
used=$(grep -hoE '[a-z_:]*bmcquiet_[a-z0-9_:]+' "$root"/dashboards/bmcquiet*.json \
         "$root/dashboards/rules/bmcquiet.rules.yml" | grep -v ':' |
       sed -E 's/_(bucket|count|sum)$//' | sort -u)
missing=$(comm -13 <(echo "$defined") <(echo "$used"))
if [ -n "$missing" ]; then
  echo "used in dashboards/ but defined nowhere in lib/ (renamed? update the dashboard/rules):"
  echo "$missing"
  exit 1
fi
echo "$(echo "$used" | wc -l) metric names used by dashboards/, all defined in lib/"
