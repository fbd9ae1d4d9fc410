// The host watchdog over Redfish (ComputerSystem.HostWatchdogTimer). With
// min_timeout 0 it is a plain property (FunctionEnabled false, see
// redfish_discovery.cpp). With min_timeout > 0 the rule is "if it runs, its
// timeout is at least min_timeout, its action unchanged": most schema versions
// have no timeout property at all, and turning the function off would
// disarm a watchdog the host relies on, so without one the item is
// unsupported here. A BMC that does show a timeout gets it raised.
#include <fmt/format.h>

#include "policy/redfish_items.hpp"
#include "policy/redfish_util.hpp"
#include "redfish/client.hpp"

namespace bmcquiet::policy {
namespace {

using redfish::HttpResponse;
using redfish::Json;

bool ends_with(const std::string& s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

class TimeoutWatchdog final : public ItemBackend,
                              public std::enable_shared_from_this<TimeoutWatchdog> {
 public:
  TimeoutWatchdog(RedfishClient c, std::string path, WatchdogTimeout t, std::chrono::seconds min)
      : client_(std::move(c)), path_(std::move(path)), timeout_(std::move(t)), min_(min) {}
  std::string transport() const override { return "redfish"; }

  void observe(std::function<void(Observation)> done) override {
    client_->get(path_, [self = shared_from_this(), done = std::move(done)](HttpResponse r) {
      if (!r.ok()) return done(Observation::failed(rf::problem(r, "GET", self->path_)));
      done(self->judge(r.body["HostWatchdogTimer"]));
    });
  }

  // Only the timeout: FunctionEnabled and TimeoutAction stay as they are.
  void act(std::function<void(ActOutcome)> done) override {
    const auto value = double(min_.count()) * timeout_.per_second;
    const auto body =
        fmt::format(R"({{"HostWatchdogTimer":{{{}:{:.0f}}}}})", Json::quote(timeout_.key), value);
    rf::patch_current(
        client_, path_, [body](const Json&) { return body; }, std::move(done));
  }

 private:
  Observation judge(const Json& timer) const {
    const auto desired = fmt::format("off, or timeout >= {} s with its action", min_.count());
    if (!timer["FunctionEnabled"].boolean().value_or(false))
      return Observation::compliant("off", desired);
    const auto raw = timer[timeout_.key].number();
    if (!raw)
      return Observation::unsupported(
          fmt::format("{} HostWatchdogTimer no longer shows {}", path_, timeout_.key));
    const double seconds = *raw / timeout_.per_second;
    const auto current = fmt::format("on, timeout {:.0f} s, action {}", seconds,
                                     timer["TimeoutAction"].string().value_or("unstated"));
    return seconds >= double(min_.count()) ? Observation::compliant(current, desired)
                                           : Observation::drifted(current, desired);
  }

  RedfishClient client_;
  std::string path_;
  WatchdogTimeout timeout_;
  std::chrono::seconds min_;
};

}  // namespace

std::optional<WatchdogTimeout> watchdog_timeout_of(const Json& timer) {
  for (const auto& key : timer.keys()) {
    if (key.find("Timeout") == std::string::npos || !timer[key].is_number()) continue;
    const bool ms = ends_with(key, "Ms") || ends_with(key, "Milliseconds");
    return WatchdogTimeout{key, ms ? 1000.0 : 1.0};
  }
  return std::nullopt;
}

std::shared_ptr<ItemBackend> make_redfish_watchdog_timeout(RedfishClient client,
                                                           std::string system_path,
                                                           WatchdogTimeout timeout,
                                                           std::chrono::seconds min_timeout) {
  return std::make_shared<TimeoutWatchdog>(std::move(client), std::move(system_path),
                                           std::move(timeout), min_timeout);
}

}  // namespace bmcquiet::policy
