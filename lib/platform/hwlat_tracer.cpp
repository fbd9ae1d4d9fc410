#include "platform/hwlat_tracer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "core/files.hpp"

namespace bmcquiet {
namespace {

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

bool write_file(const std::string& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::write(fd, value.data(), value.size()) == ssize_t(value.size());
  ::close(fd);
  return ok;
}

std::optional<std::int64_t> number_after(std::string_view text, std::size_t pos) {
  while (pos < text.size() && text[pos] == ' ') ++pos;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), value);
  if (ec != std::errc()) return std::nullopt;
  return value;
}

bool contains_word(std::string_view list, std::string_view word) {
  while (!list.empty()) {
    auto space = list.find_first_of(" \n");
    if (list.substr(0, space) == word) return true;
    if (space == std::string_view::npos) break;
    list.remove_prefix(space + 1);
  }
  return false;
}

}  // namespace

std::optional<std::int64_t> parse_hwlat_line(std::string_view line) {
  // kernel/trace/trace_output.c: "#%-5u inner/outer(us): %4llu/%-5llu ts:..."
  constexpr std::string_view kTag = "inner/outer(us):";
  auto tag = line.find(kTag);
  if (tag == std::string_view::npos) return std::nullopt;
  auto inner = number_after(line, tag + kTag.size());
  auto slash = line.find('/', tag + kTag.size());
  if (!inner || slash == std::string_view::npos) return std::nullopt;
  auto outer = number_after(line, slash + 1);
  if (!outer) return std::nullopt;
  return std::max(*inner, *outer) * 1000;
}

std::string format_cpumask(int cpu) {
  // Groups of 32 bits, most significant first, separated by commas.
  std::string out = fmt::format("{:x}", 1u << (cpu % 32));
  for (int group = cpu / 32; group > 0; --group) out += ",00000000";
  return out;
}

std::unique_ptr<HwlatTracer> HwlatTracer::acquire(const HwlatSettings& s, std::string* error) {
  const auto& dir = s.tracefs;
  auto available = read_small_file(dir + "/available_tracers");
  if (!available) {
    *error = fmt::format(
        "no tracefs at {} (cannot read available_tracers): mount it (mount -t tracefs nodev {}) "
        "or use backend: tsc",
        dir, dir);
    return nullptr;
  }
  if (!contains_word(*available, "hwlat")) {
    *error = fmt::format(
        "{}/available_tracers has no hwlat: the kernel lacks "
        "CONFIG_HWLAT_TRACER; use backend: tsc",
        dir);
    return nullptr;
  }
  auto current = read_small_file(dir + "/current_tracer");
  if (!current || trimmed(*current) != "nop") {
    *error = fmt::format(
        "{}/current_tracer is '{}', not nop: someone else is tracing and bmcquiet will not "
        "replace their tracer; use backend: tsc, or set it to nop once they are done",
        dir, current ? trimmed(*current) : "unreadable");
    return nullptr;
  }
  auto tracing_on = read_small_file(dir + "/tracing_on");
  if (tracing_on && trimmed(*tracing_on) == "0") {
    *error = fmt::format(
        "{}/tracing_on is 0: someone paused tracing; bmcquiet will not resume "
        "it. Use backend: tsc",
        dir);
    return nullptr;
  }
  std::unique_ptr<HwlatTracer> tracer(new HwlatTracer(dir));
  const std::vector<std::pair<std::string, std::string>> settings = {
      {"tracing_thresh", std::to_string(s.threshold.count())},
      {"tracing_cpumask", format_cpumask(s.cpu)},
      {"hwlat_detector/window", std::to_string(s.window.count())},
      {"hwlat_detector/width", std::to_string(s.width.count())},
      {"current_tracer", "hwlat"},
  };
  for (const auto& [file, value] : settings) {
    const auto path = dir + "/" + file;
    auto before = read_small_file(path);
    if (!before || !write_file(path, value)) {
      const int err = errno ? errno : EIO;
      *error = fmt::format("cannot set {} to {}: {}; restored the previous settings{}", path, value,
                           std::strerror(err),
                           err == EROFS ? " (under systemd, ProtectKernelTunables= makes tracefs "
                                          "read-only: add ReadWritePaths= for it in a drop-in)"
                                        : "");
      tracer->release();
      return nullptr;
    }
    tracer->saved_.push_back({path, trimmed(*before)});
  }
  return tracer;
}

HwlatTracer::~HwlatTracer() { release(); }

void HwlatTracer::release() {
  if (released_) return;
  released_ = true;
  // Someone replaced our tracer since: their settings now, leave them alone.
  auto current = read_small_file(tracefs_ + "/current_tracer");
  const bool took_tracer = !saved_.empty() && saved_.back().file == tracefs_ + "/current_tracer";
  if (took_tracer && (!current || trimmed(*current) != "hwlat")) return;
  for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
    // The tracer's name is "nop"; the other files print what they accept.
    write_file(it->file, it->value);
  }
}

std::vector<std::int64_t> HwlatTracer::drain(std::string* error) {
  std::vector<std::int64_t> samples;
  const auto path = tracefs_ + "/trace_pipe";
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    *error = fmt::format("cannot open {}: {}", path, std::strerror(errno));
    return samples;
  }
  std::string text;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;  // EAGAIN: drained
    text.append(buf, std::size_t(n));
  }
  ::close(fd);
  std::string_view rest(text);
  while (!rest.empty()) {
    auto eol = rest.find('\n');
    if (auto ns = parse_hwlat_line(rest.substr(0, eol))) samples.push_back(*ns);
    if (eol == std::string_view::npos) break;
    rest.remove_prefix(eol + 1);
  }
  return samples;
}

}  // namespace bmcquiet
