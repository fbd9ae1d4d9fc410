#include "policy/sel_archive.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "core/log.hpp"
#include "policy/durable_file.hpp"
#include "policy/pause.hpp"

namespace bmcquiet::policy {
namespace {

namespace json = boost::json;
using Key = std::pair<std::string, std::string>;

// (record_id, timestamp) of every entry in file; unreadable lines are skipped.
void collect_keys(const std::string& file, std::set<Key>& keys) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    boost::system::error_code ec;
    auto v = json::parse(line, ec);
    const auto* obj = ec ? nullptr : v.if_object();
    if (!obj) continue;
    const auto* id = obj->if_contains("record_id");
    const auto* ts = obj->if_contains("timestamp");
    if (id && ts && id->is_string() && ts->is_string())
      keys.emplace(std::string(id->as_string()), std::string(ts->as_string()));
  }
}

std::uint64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? std::uint64_t(st.st_size) : 0;
}

std::string render(const SelEntry& e, const std::string& source, double now) {
  json::object fields;
  for (const auto& [k, v] : e.fields) fields[k] = v;
  json::object line{{"archived_at", now},
                    {"source", source},
                    {"record_id", e.record_id},
                    {"timestamp", e.timestamp},
                    {"fields", std::move(fields)}};
  return json::serialize(line);
}

}  // namespace

SelArchive::SelArchive(std::string dir, std::uint64_t max_bytes, int keep)
    : dir_(std::move(dir)), max_bytes_(max_bytes), keep_(keep) {}

std::string SelArchive::current_file() const { return dir_ + "/sel-archive.jsonl"; }

std::string SelArchive::rotate_if_needed(std::uint64_t incoming) {
  const auto current = current_file();
  const auto size = file_size(current);
  if (size == 0 || size + incoming <= max_bytes_) return {};
  for (int i = keep_; i >= 1; --i) {
    const auto from = i == 1 ? current : fmt::format("{}.{}", current, i - 1);
    const auto to = fmt::format("{}.{}", current, i);
    std::rename(from.c_str(), to.c_str());  // a missing older file is fine
  }
  return sync_directory(dir_);
}

ArchiveResult SelArchive::append(const std::vector<SelEntry>& entries, const std::string& source) {
  ArchiveResult result;
  if (auto error = ensure_directory(dir_); !error.empty()) return {error, 0, 0};
  std::set<Key> known;
  collect_keys(current_file(), known);
  collect_keys(current_file() + ".1", known);
  std::string batch;
  const double now = unix_now();
  std::vector<const SelEntry*> fresh;
  for (const auto& e : entries) {
    if (!known.emplace(e.record_id, e.timestamp).second) {
      ++result.duplicates;
      continue;
    }
    batch += render(e, source, now);
    batch += '\n';
    fresh.push_back(&e);
  }
  if (batch.empty()) return result;
  if (auto error = rotate_if_needed(batch.size()); !error.empty()) return {error, 0, 0};
  if (auto error = append_durably(current_file(), batch); !error.empty())
    return {fmt::format("{}; the SEL was not cleared", error), 0, result.duplicates};
  result.written = fresh.size();
  // The journal gets a copy; the file above is the record of truth.
  for (const auto* e : fresh) {
    std::string message;
    for (const auto& [k, v] : e->fields)
      if (k == "Message" || k == "message") message = v;
    log_event(spdlog::level::info, fmt::format("SEL entry {} archived: {}", e->record_id, message),
              {{"SEL_RECORD_ID", e->record_id},
               {"SEL_TIMESTAMP", e->timestamp},
               {"SEL_SOURCE", source},
               {"SEL_MESSAGE", message}});
  }
  return result;
}

}  // namespace bmcquiet::policy
