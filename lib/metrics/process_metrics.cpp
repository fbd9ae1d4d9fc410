#include "metrics/process_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

namespace bmcquiet {
namespace {

struct Stat {
  double cpu_seconds = 0, start_ticks = 0, virtual_bytes = 0, resident_pages = 0;
};

// /proc/self/stat past the command name, which may hold spaces and parentheses.
std::optional<Stat> read_stat() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 2));
  std::vector<std::string> f;  // f[0] is field 3 (state)
  for (std::string word; fields >> word;) f.push_back(word);
  if (f.size() < 22) return std::nullopt;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  Stat s;
  s.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;  // utime + stime
  s.start_ticks = std::stod(f[19]) / ticks;                       // seconds after boot
  s.virtual_bytes = std::stod(f[20]);
  s.resident_pages = std::stod(f[21]);
  return s;
}

std::optional<double> boot_time() {
  std::ifstream in("/proc/stat");
  for (std::string key; in >> key;) {
    if (key == "btime") {
      double t = 0;
      if (in >> t) return t;
      return std::nullopt;
    }
    in.ignore(1 << 20, '\n');
  }
  return std::nullopt;
}

double open_fds() {
  std::error_code ec;
  double n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec))
    ++n;
  return n;
}

prometheus::MetricFamily family(const char* name, const char* help, prometheus::MetricType type,
                                double value) {
  prometheus::MetricFamily f{name, help, type, {}};
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(m);
  return f;
}

class ProcessMetrics : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    using prometheus::MetricType;
    std::vector<prometheus::MetricFamily> out;
    if (auto s = read_stat()) {
      out.push_back(family("process_cpu_seconds_total",
                           "Total user and system CPU time spent in seconds.", MetricType::Counter,
                           s->cpu_seconds));
      out.push_back(family("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                           MetricType::Gauge, s->virtual_bytes));
      out.push_back(family("process_resident_memory_bytes", "Resident memory size in bytes.",
                           MetricType::Gauge,
                           s->resident_pages * static_cast<double>(sysconf(_SC_PAGESIZE))));
      if (auto boot = boot_time())
        out.push_back(family("process_start_time_seconds",
                             "Start time of the process since unix epoch in seconds.",
                             MetricType::Gauge, *boot + s->start_ticks));
    }
    out.push_back(family("process_open_fds", "Number of open file descriptors.", MetricType::Gauge,
                         open_fds()));
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0)
      out.push_back(family("process_max_fds", "Maximum number of open file descriptors.",
                           MetricType::Gauge, static_cast<double>(limit.rlim_cur)));
    return out;
  }
};

}  // namespace

std::shared_ptr<prometheus::Collectable> make_process_metrics() {
  return std::make_shared<ProcessMetrics>();
}

}  // namespace bmcquiet
