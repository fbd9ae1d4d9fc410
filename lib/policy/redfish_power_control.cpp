// The power cap through the newer Control resource (Chassis/Controls, a member
// with ControlType "Power"): SetPoint in W (or %), ControlMode Disabled = no cap.
// The deprecated Power.PowerControl[0].PowerLimit is handled in
// redfish_items.cpp; discovery prefers this one when a BMC offers both.
#include <fmt/format.h>

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

}  // namespace

std::shared_ptr<ItemBackend> make_redfish_power_control(RedfishClient client,
                                                        std::string control_path,
                                                        double floor_watts) {
  return std::make_shared<PowerControlBackend>(std::move(client), std::move(control_path),
                                               floor_watts);
}

}  // namespace bmcquiet::policy
