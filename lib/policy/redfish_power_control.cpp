// The power cap through the newer Control resource (Chassis/Controls, a member
// with ControlType "Power"): SetPoint in W (or %), ControlMode Disabled = no cap.
// The deprecated Power.PowerControl[0].PowerLimit is handled in
// redfish_items.cpp; discovery prefers this one when a BMC offers both.
// Either can sit behind a vendor's OEM enable switch (OemGatedPowerCap): Dell
// keeps showing the configured LimitInWatts while ServerPwr.1.PowerCapSetting
// is Disabled, and only the switch says whether the cap is enforced.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <utility>

#include "core/log.hpp"

#include "policy/redfish_items.hpp"
#include "policy/redfish_util.hpp"
#include "redfish/client.hpp"

namespace bmcquiet::policy {
namespace {

using redfish::Json;
using redfish::Response;
using rf::problem;

class PowerControlBackend final : public ItemBackend,
                                  public std::enable_shared_from_this<PowerControlBackend> {
 public:
  PowerControlBackend(RedfishClient c, std::string path, double floor)
      : client_(std::move(c)), path_(std::move(path)), floor_(floor) {}
  std::string transport() const override { return "redfish"; }

  void observe(std::function<void(Observation)> done) override {
    client_->get(path_, [self = shared_from_this(), done = std::move(done)](Response r) {
      if (!r.ok()) return done(Observation::failed(problem(r, "GET", self->path_)));
      done(self->judge(r.body));
    });
  }

  // Raises the set point to the floor, or turns the control off when there is
  // no floor or the floor lies above what the control allows.
  void act(std::function<void(ActOutcome)> done) override {
    rf::patch_current(
        client_, path_,
        [floor = floor_](const Json& control) {
          const auto max = control["AllowableMax"].number();
          const bool lift = floor <= 0 || (max && *max < floor) ||
                            control["SetPointUnits"].string().value_or("W") != "W";
          return lift ? std::string(R"({"ControlMode":"Disabled"})")
                      : fmt::format(R"({{"SetPoint":{:.0f}}})", floor);
        },
        std::move(done));
  }

 private:
  Observation judge(const Json& control) const {
    auto set_point = control["SetPoint"].number();
    if (control["ControlMode"].string().value_or("") == "Disabled") set_point.reset();
    const auto units = control["SetPointUnits"].string().value_or("W");
    if (!set_point || units == "W") return judge_power_cap(set_point, floor_);
    if (units != "%")
      return Observation::unsupported(
          fmt::format("{}: SetPointUnits '{}' is not W or %", path_, units));
    if (floor_ > 0)
      return Observation::unsupported(fmt::format(
          "{} caps power at {:.0f} % of an unstated maximum; power_cap.floor_watts is in W: "
          "set the limit in W on the BMC to have it checked",
          path_, *set_point));
    return Observation::drifted(fmt::format("{:.0f} %", *set_point), "none");
  }

  RedfishClient client_;
  std::string path_;
  double floor_;
};

// The gate is an ordinary property backend over the vendor's switch:
// "compliant" there means capping is off.
class OemGatedPowerCap final : public ItemBackend,
                               public std::enable_shared_from_this<OemGatedPowerCap> {
 public:
  OemGatedPowerCap(std::shared_ptr<ItemBackend> gate, std::string where,
                   std::shared_ptr<ItemBackend> standard, double floor)
      : gate_(std::move(gate)),
        where_(std::move(where)),
        standard_(std::move(standard)),
        floor_(floor) {}
  std::string transport() const override { return gate_->transport(); }

  void observe(std::function<void(Observation)> done) override {
    gate_->observe([self = shared_from_this(), done](Observation gate) {
      using Status = Observation::Status;
      if (gate.status == Status::error || gate.status == Status::unsupported)
        return done(Observation::failed(fmt::format("{}: {}", self->where_, gate.detail)));
      const bool capping = gate.status == Status::drifted;
      self->standard_->observe([self, capping, done](Observation standard) {
        if (capping || standard.status == Observation::Status::error) return done(standard);
        const auto desired = judge_power_cap(std::nullopt, self->floor_).desired;
        const bool shows_cap = !standard.current.empty() && standard.current != "none";
        if (shows_cap) self->log_disagreement(standard.current);
        const auto configured =
            shows_cap ? fmt::format(", {} configured", standard.current) : std::string();
        done(Observation::compliant(
            fmt::format("none (cap disabled in {}{})", self->where_, configured), desired));
      });
    });
  }

  // No floor: the switch goes off (the vendor's way to lift a cap). A floor:
  // the standard limit is raised to it and the switch is left as it is.
  void act(std::function<void(ActOutcome)> done) override {
    (floor_ > 0 ? standard_ : gate_)->act(std::move(done));
  }

 private:
  void log_disagreement(const std::string& limit) {
    if (std::exchange(disagreement_logged_, true)) return;
    log_event(spdlog::level::warn,
              fmt::format("policy: power_cap: the standard power limit shows {}, but {} says "
                          "capping is off; the vendor's switch decides (no active cap)",
                          limit, where_),
              {{"ITEM", "power_cap"}, {"OEM_SOURCE", where_}});
  }

  std::shared_ptr<ItemBackend> gate_;
  std::string where_;
  bool disagreement_logged_ = false;
  std::shared_ptr<ItemBackend> standard_;
  double floor_;
};

}  // namespace

std::shared_ptr<ItemBackend> make_oem_gated_power_cap(RedfishClient client, PropertySpec gate,
                                                      std::string gate_where,
                                                      std::shared_ptr<ItemBackend> standard,
                                                      double floor_watts) {
  return std::make_shared<OemGatedPowerCap>(
      make_redfish_property(std::move(client), std::move(gate)), std::move(gate_where),
      std::move(standard), floor_watts);
}

std::shared_ptr<ItemBackend> make_redfish_power_control(RedfishClient client,
                                                        std::string control_path,
                                                        double floor_watts) {
  return std::make_shared<PowerControlBackend>(std::move(client), std::move(control_path),
                                               floor_watts);
}

}  // namespace bmcquiet::policy
