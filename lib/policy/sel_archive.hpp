// A durable, rotated archive of System Event Log entries, written before any
// clear so that clearing the SEL never loses hardware history.
//
// Format: JSON lines in <state>/sel-archive.jsonl, one entry per line:
//   {"archived_at":1732480000.5,"source":"redfish","record_id":"17",
//    "timestamp":"2024-11-24T20:01:02Z","fields":{"Message":"...",...}}
// Rotated by size to sel-archive.jsonl.1 .. .N. Each append is fsync'd (file
// and directory) before it returns. An entry whose (record_id, timestamp) is
// already in the current or previous file is skipped, so re-archiving after a
// crash between archive and clear adds no duplicates.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bmcquiet::policy {

struct SelEntry {
  std::string record_id;
  std::string timestamp;  // as the BMC reports it (ISO 8601 or IPMI seconds)
  std::vector<std::pair<std::string, std::string>> fields;  // message, severity, sensor...
};

struct ArchiveResult {
  std::string error;  // "" when every entry is durable
  std::size_t written = 0;
  std::size_t duplicates = 0;
};

class SelArchive {
 public:
  SelArchive(std::string dir, std::uint64_t max_bytes, int keep);
  ArchiveResult append(const std::vector<SelEntry>& entries, const std::string& source);
  std::string current_file() const;

 private:
  std::string rotate_if_needed(std::uint64_t incoming);
  std::string dir_;
  std::uint64_t max_bytes_;
  int keep_;
};

}  // namespace bmcquiet::policy
