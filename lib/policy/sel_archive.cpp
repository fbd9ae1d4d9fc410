#include "policy/sel_archive.hpp"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
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

std::string string_member(const json::object& obj, const char* key) {
  const auto* v = obj.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// The content identity of every entry in file; unreadable (e.g. torn) lines are skipped.
void collect_identities(const std::string& file, std::set<std::string>& known) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    boost::system::error_code ec;
    auto v = json::parse(line, ec);
    const auto* obj = ec ? nullptr : v.if_object();
    const auto* fields = obj ? obj->if_contains("fields") : nullptr;
    if (!fields || !fields->is_object()) continue;
    ArchiveEntry e{string_member(*obj, "record_id"), string_member(*obj, "timestamp"), {}};
    for (const auto& [k, value] : fields->as_object())
      if (value.is_string()) e.fields.emplace_back(k, std::string(value.as_string()));
    known.insert(content_identity(e));
  }
}

std::uint64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? std::uint64_t(st.st_size) : 0;
}

// A crash during a write can leave a last line without its newline; the next
// line must not be glued onto it.
bool ends_mid_line(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.seekg(-1, std::ios::end)) return false;
  char last = '\n';
  in.get(last);
  return last != '\n';
}

std::string render(const ArchiveEntry& e, const std::string& identity, const std::string& source,
                   double now) {
  json::object fields;
  for (const auto& [k, v] : e.fields) fields[k] = v;
  json::object line{{"archived_at", now},         {"source", source},
                    {"record_id", e.record_id},   {"timestamp", e.timestamp},
                    {"content_sha256", identity}, {"fields", std::move(fields)}};
  return json::serialize(line);
}

// The journal copy: the BMC's message when it has one, else every field
// (an IPMI record: decoded type, timestamp, raw bytes).
std::string summary(const ArchiveEntry& e) {
  for (const auto& [k, v] : e.fields)
    if (k == "Message" || k == "message") return v;
  std::string out;
  for (const auto& [k, v] : e.fields) out += fmt::format("{}{}={}", out.empty() ? "" : " ", k, v);
  return out;
}

void copy_to_journal(const ArchiveEntry& e, const std::string& identity,
                     const std::string& source) {
  const auto message = summary(e);
  log_event(spdlog::level::info,
            fmt::format("SEL entry {} archived ({}{}): {}", e.record_id, source,
                        e.timestamp.empty() ? "" : ", time " + e.timestamp, message),
            {{"SEL_RECORD_ID", e.record_id},
             {"SEL_TIMESTAMP", e.timestamp},
             {"SEL_SOURCE", source},
             {"SEL_CONTENT_SHA256", identity},
             {"SEL_MESSAGE", message}});
}

}  // namespace

std::string content_identity(const ArchiveEntry& entry) {
  auto fields = entry.fields;
  std::sort(fields.begin(), fields.end());
  // Length-prefixed, so no choice of values can make two entries hash the same input.
  std::string input;
  auto add = [&input](const std::string& s) { input += fmt::format("{}:{};", s.size(), s); };
  add(entry.record_id);
  add(entry.timestamp);
  for (const auto& [k, v] : fields) {
    add(k);
    add(v);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

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

ArchiveResult SelArchive::append(const std::vector<ArchiveEntry>& entries,
                                 const std::string& source) {
  ArchiveResult result;
  if (auto error = ensure_directory(dir_); !error.empty()) return {error, 0, 0};
  std::set<std::string> known;
  collect_identities(current_file(), known);
  collect_identities(current_file() + ".1", known);
  std::string batch;
  const double now = unix_now();
  std::vector<std::pair<const ArchiveEntry*, std::string>> fresh;
  for (const auto& e : entries) {
    auto identity = content_identity(e);
    if (!known.insert(identity).second) {
      ++result.duplicates;
      continue;
    }
    batch += render(e, identity, source, now);
    batch += '\n';
    fresh.emplace_back(&e, std::move(identity));
  }
  if (batch.empty()) return result;
  if (auto error = rotate_if_needed(batch.size()); !error.empty()) return {error, 0, 0};
  if (ends_mid_line(current_file())) batch.insert(0, 1, '\n');
  if (auto error = append_durably(current_file(), batch); !error.empty())
    return {fmt::format("{}; the SEL was not cleared", error), 0, result.duplicates};
  result.written = fresh.size();
  // The journal gets a copy; the file above is the record of truth.
  for (const auto& [e, identity] : fresh) copy_to_journal(*e, identity, source);
  return result;
}

}  // namespace bmcquiet::policy
