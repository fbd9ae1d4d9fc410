// A durable, rotated archive of System Event Log entries, written before any
// clear so that clearing the SEL never loses hardware history.
//
// Format: JSON lines in <state>/sel-archive.jsonl, one entry per line:
//   {"archived_at":1732480000.5,"source":"redfish","record_id":"17",
//    "timestamp":"2024-11-24T20:01:02Z","content_sha256":"…","fields":{...}}
// `fields` holds everything the BMC gave (every Redfish property, or the
// IPMI record's decoded type, timestamp and raw bytes). Rotated by size to
// sel-archive.jsonl.1 .. .N. Each append is fsync'd (file and directory)
// before it returns.
//
// An entry is known by its content (SHA-256 of record id, timestamp and
// every field), never by (record id, timestamp): a BMC that restarts and
// reuses record IDs, or an OEM record without a timestamp, gives new entries
// that must be archived. An entry whose content is already in the current or
// previous file is skipped, so re-archiving after a crash between archive and
// clear adds no duplicates; a line torn by a crash during the write is left
// as it is and the entries it held are written again after it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bmcquiet::policy {

struct ArchiveEntry {
  std::string record_id;
  std::string timestamp;  // as the BMC reports it (ISO 8601 or IPMI seconds); "" when none
  std::vector<std::pair<std::string, std::string>> fields;  // every field the BMC gave
};

// The identity the archive deduplicates by: hex SHA-256 over the record id,
// the timestamp and every field (sorted by name, so member order is irrelevant).
std::string content_identity(const ArchiveEntry& entry);

struct ArchiveResult {
  std::string error;  // "" when every entry is durable
  std::size_t written = 0;
  std::size_t duplicates = 0;  // already in the archive: durable too
};

class SelArchive {
 public:
  SelArchive(std::string dir, std::uint64_t max_bytes, int keep);
  ArchiveResult append(const std::vector<ArchiveEntry>& entries, const std::string& source);
  std::string current_file() const;

 private:
  std::string rotate_if_needed(std::uint64_t incoming);
  std::string dir_;
  std::uint64_t max_bytes_;
  int keep_;
};

}  // namespace bmcquiet::policy
