#include "platform/proc_interrupts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "platform/cpu_topology.hpp"

namespace bmcquiet {
namespace {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    auto nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  }
  return lines;
}

void skip_spaces(std::string_view& s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
}

std::string_view next_token(std::string_view& s) {
  skip_spaces(s);
  std::size_t n = 0;
  while (n < s.size() && !std::isspace(static_cast<unsigned char>(s[n]))) ++n;
  auto tok = s.substr(0, n);
  s.remove_prefix(n);
  return tok;
}

std::optional<std::uint64_t> to_u64(std::string_view s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// The kernel lists online CPUs in ascending order. A larger id or another
// order is not a kernel's header: "CPU4294967296" would wrap to CPU 0 and
// give two columns the same label.
std::optional<std::vector<int>> parse_header(std::string_view line) {
  std::vector<int> cpus;
  for (auto tok = next_token(line); !tok.empty(); tok = next_token(line)) {
    if (tok.substr(0, 3) != "CPU") return std::nullopt;
    auto n = to_u64(tok.substr(3));
    if (!n || *n > std::uint64_t(kMaxCpuId)) return std::nullopt;
    if (!cpus.empty() && int(*n) <= cpus.back()) return std::nullopt;
    cpus.push_back(static_cast<int>(*n));
  }
  if (cpus.empty()) return std::nullopt;
  return cpus;
}

std::optional<InterruptRow> parse_row(std::string_view line, std::size_t ncpus) {
  InterruptRow row;
  auto label = next_token(line);
  if (label.size() < 2 || label.back() != ':') return std::nullopt;
  row.label = std::string(label.substr(0, label.size() - 1));
  while (row.counts.size() < ncpus) {
    auto rest = line;
    auto tok = next_token(rest);
    auto value = to_u64(tok);
    if (!value) break;
    row.counts.push_back(*value);
    line = rest;
  }
  skip_spaces(line);
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())))
    line.remove_suffix(1);
  row.description = std::string(line);
  return row;
}

bool mentions_any(std::string_view haystack, std::initializer_list<std::string_view> needles) {
  std::string lower(haystack);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::any_of(needles.begin(), needles.end(),
                     [&](std::string_view n) { return lower.find(n) != std::string::npos; });
}

}  // namespace

std::optional<InterruptTable> parse_proc_interrupts(std::string_view text, std::string* error) {
  auto lines = split_lines(text);
  InterruptTable table;
  auto header = lines.empty() ? std::nullopt : parse_header(lines.front());
  if (!header) {
    if (error)
      *error = fmt::format(
          "the first line is not a CPU header (\"CPU0 CPU1 ...\", ascending, ids up to {})",
          kMaxCpuId);
    return std::nullopt;
  }
  table.cpus = std::move(*header);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    if (auto row = parse_row(lines[i], table.cpus.size())) table.rows.push_back(std::move(*row));
  }
  return table;
}

std::string_view to_string(InterruptSource source) {
  switch (source) {
    case InterruptSource::serial:
      return "serial";
    case InterruptSource::ipmi:
      return "ipmi";
    case InterruptSource::ipi_call:
      return "ipi_call";
    case InterruptSource::ipi_tlb:
      return "ipi_tlb";
    case InterruptSource::ipi_resched:
      return "ipi_resched";
    case InterruptSource::none:
      break;
  }
  return "none";
}

InterruptSource classify_interrupt(const InterruptRow& row) {
  if (row.label == "CAL") return InterruptSource::ipi_call;
  if (row.label == "TLB") return InterruptSource::ipi_tlb;
  if (row.label == "RES") return InterruptSource::ipi_resched;
  // Numbered rows: the action names (last column) say which driver owns the line.
  if (row.label.empty() || !std::isdigit(static_cast<unsigned char>(row.label.front())))
    return InterruptSource::none;
  if (mentions_any(row.description, {"ipmi", "kcs", "ssif"})) return InterruptSource::ipmi;
  if (mentions_any(row.description, {"ttys", "serial", "uart", "8250", "ttyama", "pl011"}))
    return InterruptSource::serial;
  return InterruptSource::none;
}

}  // namespace bmcquiet
