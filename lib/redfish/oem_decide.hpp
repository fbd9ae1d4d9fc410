// Where a vendor switch and a standard property meet in a Snapshot. The
// vendor's switch decides; the standard value is kept only to show the
// disagreement. Either side may be read first: the later one completes the
// decision, so the result does not depend on the order of the reads.
#pragma once

#include <optional>
#include <string>

#include "redfish/snapshot.hpp"

namespace bmcquiet::redfish {

// What a decision's `standard` says before any standard reader ran.
inline constexpr const char* kStandardNotSeen = "absent";

// A vendor's on/off switch for `setting` ("ipmi_sol", "serial_console",
// "ipmi_lan"); source names it ("DellAttributes iDRAC.Embedded.1 IPMISOL.1.Enable").
void decide_flag(Snapshot& s, std::optional<bool>& field, const std::string& setting, bool on,
                 const std::string& source);
// A standard reader's value for the same setting: stored, unless a vendor
// switch decided it already (then only the disagreement is recorded).
void standard_flag(Snapshot& s, std::optional<bool>& field, const std::string& setting,
                   std::optional<bool> standard);

// The vendor's power-cap switch: off moves a reported limit to
// inactive_watts; on without a standard limit takes oem_watts.
void decide_power_cap(Snapshot& s, bool enabled, std::optional<double> oem_watts,
                      const std::string& source, const std::string& oem_path);
// The vendor's own on/off text, as decisions and disagreements show it.
inline const char* oem_switch_text(bool on) { return on ? "Enabled" : "Disabled"; }
// The server's limit from a standard resource (Power, Control,
// EnvironmentMetrics): the first one wins, a vendor decision still applies.
void standard_power_limit(Snapshot& s, const PowerLimit& limit);

}  // namespace bmcquiet::redfish
