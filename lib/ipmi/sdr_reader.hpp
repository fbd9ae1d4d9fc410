// The BMC's SDR repository, read through the shared Client and kept: one
// refresh() costs Get SDR Repository Info (1 request) while the repository's
// record count and add/erase timestamps stay the same, and a whole walk
// (reserve, then each record) only when they change.
//
// Walks cope with what BMCs do to Get SDR: a whole-record read (0xFF) refused
// or truncated → header then chunks, halved on cc 0xCA/0xFF/0xC7/0xC8 down to
// 4 bytes (the size learnt is kept for later walks); reservation lost (0xC5,
// the repository changed mid-walk) → reserve again and carry on, at most 3
// times per walk; a next-record chain that loops or runs past the record
// count → the walk stops with an error rather than reading forever.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ipmi/client.hpp"
#include "ipmi/sdr.hpp"

namespace bmcquiet::ipmi {

struct SdrRepository {
  sdr::RepositoryInfo info;
  std::vector<sdr::SensorRecord> sensors;  // Full and Compact records, in repository order
  std::vector<std::string> problems;       // malformed records, skipped (record id and why)
  std::size_t records = 0;                 // records walked, of any type
};

struct SdrReaderStats {
  std::uint64_t walks = 0;               // whole repository reads
  std::uint64_t requests = 0;            // requests this reader made, all walks and refreshes
  std::uint8_t chunk = sdr::kReadWhole;  // bytes per Get SDR now (0xFF: whole records)
};

class SdrReader {
 public:
  explicit SdrReader(std::shared_ptr<Client> client);
  ~SdrReader();
  SdrReader(const SdrReader&) = delete;
  SdrReader& operator=(const SdrReader&) = delete;

  // The repository, walked again only when its info changed since the last
  // successful walk. done runs on the loop, once; a failed walk leaves no
  // cache (the next refresh walks again).
  void refresh(Callback<std::shared_ptr<const SdrRepository>> done);
  SdrReaderStats stats() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

// One sensor's reading, converted with its record's factors.
struct SensorValue {
  sdr::SensorRecord record;
  std::optional<double> value;  // none: unavailable (why says what the BMC answered)
  std::string why;
};
// Get Sensor Reading for each sensor, all queued at once (the client sends
// them one at a time). done runs once with every value in the order given,
// or with the first failure that is not a completion code (the BMC went
// silent): a completion code only leaves that one sensor without a value.
void read_sensors(const std::shared_ptr<Client>& client, std::vector<sdr::SensorRecord> sensors,
                  Callback<std::vector<SensorValue>> done);

}  // namespace bmcquiet::ipmi
