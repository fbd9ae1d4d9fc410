// Discovery of one BMC's model (internal to lib/redfish): a queue of links to
// fetch that survives failed polls, so a slow BMC is walked once, a little
// more with every poll, and never from the start again unless a known
// resource 404s, the BMC rebooted or a reload asked for it.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "redfish/client.hpp"
#include "redfish/model.hpp"

namespace bmcquiet::redfish {

// Members of a collection inlined, where ProtocolFeaturesSupported says so.
inline constexpr const char* kExpandMembers = "?$expand=.($levels=1)";

// One link discovery still has to follow, and what its body is for.
struct Fetch {
  enum Kind {
    root,
    chassis_collection,
    manager_collection,
    system_collection,
    chassis,
    manager,
    system,
    network_protocol,
    thermal_subsystem,
    fan_members,
    control_members,
    log_collection,
    log_service,
    media_collection,
    media,
    environment_check,  // does EnvironmentMetrics give the draw? else the PSUs are walked
    power_subsystem,
    power_supplies,
    power_supply,
    sensor_list,
  };
  std::string path;
  Kind kind = root;
  std::string owner;      // the chassis path (sub-resources) or "manager"/"system" (logs, media)
  unsigned attempts = 0;  // rounds in which the BMC answered others but failed this one
};

class Discovery {
 public:
  Discovery(std::string data_model, const std::string& root_path = "/redfish/v1");

  // The next link to follow, nullopt when none is waiting (some may be in flight).
  std::optional<Fetch> next();
  // Feeds one answer in: queues what it links to, fills the model. A failed
  // fetch other than a dangling link (404, 4xx) is queued again for later.
  void done(const Fetch& fetch, const HttpResponse& response);

  // A new poll: links that failed in earlier rounds are tried again (one try
  // per round, so a failing link cannot eat a poll's whole budget).
  void new_round();

  bool waiting() const { return !pending_.empty(); }
  unsigned in_flight() const { return in_flight_; }
  std::size_t left() const { return pending_.size() + later_.size() + in_flight_; }
  bool complete() const { return model_.complete; }
  // Chassis whose readable links are all known (sub-resources fetched).
  bool chassis_ready(const std::string& path) const;

  // The model as far as discovery got; roles and order are settled here.
  Model& model() { return model_; }
  std::shared_ptr<const Model> publish();

  // Slow-schedule bodies (Manager, NetworkProtocol, media, OEM) live in
  // model().bodies; when they were last refreshed:
  std::chrono::steady_clock::time_point slow_read_at{};

 private:
  void queue(const std::string& path, Fetch::Kind kind, const std::string& owner = "");
  void on_root(const Json& body);
  void on_chassis(const Json& body, const std::string& path);
  void on_manager(const Json& body, const std::string& path);
  void on_system(const Json& body, const std::string& path);
  void on_log_service(const Json& body, const Fetch& fetch);
  void on_media(const Json& body, const Fetch& fetch);
  void on_chassis_part(const Json& body, const Fetch& fetch);
  void on_power_part(const Json& body, const Fetch& fetch);
  void finish();
  void settle_order();
  ChassisModel* chassis_at(const std::string& path);

  std::string data_model_;
  Model model_;
  std::string providing_manager_;
  std::deque<Fetch> pending_, later_;
  std::set<std::string> seen_;                    // links queued once (by normalised @odata.id)
  std::map<std::string, unsigned> chassis_wait_;  // chassis path → its sub-fetches not done
  std::map<std::string, std::string> base_ids_;   // log/media path → "<owner>/<Id>"
  unsigned in_flight_ = 0;
  bool round_answered_ = false;  // the BMC answered a fetch of this round
};

// Settles each chassis' role (the rules are in chassis_roles.cpp) and sorts
// the chassis by path, so nothing depends on the order the BMC lists them.
void assign_roles(Model& model);

// The chassis' Sensors collection as read now: which members every poll
// reads (temperatures and fans only when the member Ids or inline types say
// which is which, else all; a member already known to be neither stays out).
void take_sensor_list(ChassisModel& chassis, const Json& collection);

// A link's identity for de-duplication: trailing slashes and fragments dropped.
std::string normalise_link(const std::string& path);

}  // namespace bmcquiet::redfish
