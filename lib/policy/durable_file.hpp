// Writes that survive a crash or power loss: data fsync'd, then the
// directory entry fsync'd. Used for the SEL archive and the pause state.
#pragma once

#include <string>
#include <string_view>

namespace bmcquiet::policy {

// Creates dir (mode 0700) and its parents when missing. "" or an error.
std::string ensure_directory(const std::string& dir);
// Replaces path atomically (temp file + rename). "" or an error.
std::string write_file_durably(const std::string& path, std::string_view content);
// Appends to path (created 0600). "" or an error.
std::string append_durably(const std::string& path, std::string_view content);
std::string sync_directory(const std::string& dir);

}  // namespace bmcquiet::policy
