// The power cap over Redfish, on the server chassis only:
// - the Control resource (Chassis/Controls, ControlType Power): SetPoint in
//   W/Watt/Watts (or %), ControlMode or Status.State Disabled = no cap;
// - else the deprecated Power.PowerControl array: the whole-chassis member is
//   the server's, whatever its position; CPU/memory members are reported,
//   never written. Its PATCH sends {} for every other member (Redfish array
//   PATCH rules: fewer elements would delete the rest) and reads back that
//   they are intact;
// - either behind a vendor's OEM enable switch (OemGatedPowerCap): Dell keeps
//   showing LimitInWatts while ServerPwr.1.PowerCapSetting is Disabled.
// Nothing is written outside the advertised range, and a cap that is off is
// never switched on (policy/power_cap.hpp).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <utility>

#include "core/log.hpp"
#include "policy/power_cap.hpp"
#include "policy/redfish_items.hpp"
#include "policy/redfish_util.hpp"
#include "redfish/client.hpp"

namespace bmcquiet::policy {
namespace {

using redfish::HttpResponse;
using redfish::Json;
using rf::problem;

// What act() does with the resource as it is now: a PATCH body, nothing
// (already fine), or a refusal (why nothing may be written).
struct Write {
  std::string body;
  std::string refused;
};
using Decide = std::function<Write(const Json& current)>;
// Runs after a successful PATCH with the body the write was decided on.
using AfterWrite = std::function<void(const Json& before, std::function<void(ActOutcome)>)>;

std::string etag_of(const HttpResponse& r) {
  return r.etag.empty() ? r.body["@odata.etag"].string().value_or("") : r.etag;
}

// A fresh GET (for the ETag and the current values), then the PATCH decided
// from them, sent with If-Match: a concurrent change makes the BMC answer 412.
void write_current(const RedfishClient& client, const std::string& path, Decide decide,
                   AfterWrite after, std::function<void(ActOutcome)> done) {
  client->get(path, [client, path, decide = std::move(decide), after = std::move(after),
                     done = std::move(done)](HttpResponse r) {
    if (!r.ok()) return done(ActOutcome::failure(problem(r, "GET", path)));
    const auto write = decide(r.body);
    if (!write.refused.empty()) return done(ActOutcome::failure(write.refused));
    if (write.body.empty()) return done(ActOutcome::success());
    client->patch(path, write.body, etag_of(r),
                  [path, before = r.body, after, done](HttpResponse p) {
                    if (p.status == 412)
                      return done(ActOutcome::failure(
                          fmt::format("PATCH {}: changed by someone else meanwhile (412)", path)));
                    if (!p.ok()) return done(ActOutcome::failure(problem(p, "PATCH", path)));
                    if (!after) return done(ActOutcome::success());
                    after(before, done);
                  });
  });
}

// Observation from a fresh GET of the resource.
void get_and_judge(const RedfishClient& client, const std::string& path,
                   std::function<Observation(const Json&)> judge,
                   std::function<void(Observation)> done) {
  client->get(path, [path, judge = std::move(judge), done = std::move(done)](HttpResponse r) {
    if (!r.ok()) return done(Observation::failed(problem(r, "GET", path)));
    done(judge(r.body));
  });
}

PowerRange range_of(const Json& limit, const std::string& path) {
  return {limit["AllowableMin"].number(), limit["AllowableMax"].number(),
          fmt::format("AllowableMin/AllowableMax of {}", path)};
}

class PowerControlBackend final : public ItemBackend,
                                  public std::enable_shared_from_this<PowerControlBackend> {
 public:
  PowerControlBackend(RedfishClient c, std::string path, double floor, PowerRange vendor)
      : client_(std::move(c)), path_(std::move(path)), floor_(floor), vendor_(std::move(vendor)) {}
  std::string transport() const override { return "redfish"; }

  void observe(std::function<void(Observation)> done) override {
    get_and_judge(
        client_, path_, [self = shared_from_this()](const Json& c) { return self->judge(c); },
        std::move(done));
  }

  // Raises the set point to the floor, or (no floor) turns the control off;
  // a control that is off stays off, a floor out of range is not written.
  void act(std::function<void(ActOutcome)> done) override {
    auto self = shared_from_this();
    write_current(
        client_, path_,
        [self](const Json& control) -> Write {
          const auto cap = self->state(control);
          if (!cap.off_reason.empty()) return {};
          if (self->floor_ <= 0) return {R"({"ControlMode":"Disabled"})", ""};
          if (auto why = floor_outside_range(cap.range, self->floor_, self->path_); !why.empty())
            return {"", why};
          return {fmt::format(R"({{"SetPoint":{:.0f}}})", self->floor_), ""};
        },
        nullptr, std::move(done));
  }

 private:
  std::string units(const Json& control) const {
    return control["SetPointUnits"].string().value_or("W");
  }

  PowerCapState state(const Json& control) const {
    PowerCapState cap;
    cap.where = path_;
    cap.range = range_of(control, path_).narrowed_by(vendor_);
    if (control["ControlMode"].string() == "Disabled")
      cap.off_reason = fmt::format("ControlMode Disabled at {}", path_);
    else if (control["Status"]["State"].string() == "Disabled")
      cap.off_reason = fmt::format("Status.State Disabled at {}", path_);
    if (is_watts(units(control))) cap.limit_watts = control["SetPoint"].number();
    return cap;
  }

  Observation judge(const Json& control) const {
    const auto cap = state(control);
    const auto set_point = control["SetPoint"].number();
    const auto u = units(control);
    if (!cap.off_reason.empty() || !set_point || is_watts(u)) return judge_power_cap(cap, floor_);
    if (u != "%")
      return Observation::unsupported(
          fmt::format("{}: SetPointUnits '{}' is not W, Watt, Watts or %", path_, u));
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
  PowerRange vendor_;
};

// A PowerControl member for the whole chassis (not one CPU or memory domain).
bool whole_chassis(const Json& member) {
  const auto context = member["PhysicalContext"].string().value_or("");
  return context.empty() || context == "Chassis" || context == "SystemBoard";
}

// The server's member: whole-chassis, with a PowerLimit, the lowest MemberId
// (the array's order is the BMC's, not a meaning). -1 when there is none.
long server_member(const Json& members) {
  long best = -1;
  std::string best_id;
  for (std::size_t i = 0; i < members.size(); ++i) {
    const auto m = members[i];
    if (!m["PowerLimit"].is_object() || !whole_chassis(m)) continue;
    auto id = m["MemberId"].string().value_or(std::to_string(i));
    id.insert(0, id.size() < 8 ? 8 - id.size() : 0, '0');  // "10" after "9"
    if (best < 0 || id < best_id) best = long(i), best_id = std::move(id);
  }
  return best;
}

std::string member_label(const Json& m, std::size_t index) {
  return m["MemberId"].string().value_or(std::to_string(index));
}

// The LimitException to write instead of HardPowerOff: LogEventOnly keeps a
// record of the excursion; NoAction where that is all the BMC allows.
std::optional<std::string> safe_exception(const Json& limit) {
  const auto allowed = limit["LimitException@Redfish.AllowableValues"];
  if (!allowed.is_array()) return "LogEventOnly";
  for (const char* v : {"LogEventOnly", "NoAction"})
    for (std::size_t i = 0; i < allowed.size(); ++i)
      if (allowed[i].string() == v) return std::string(v);
  return std::nullopt;
}

class LegacyPowerCap final : public ItemBackend,
                             public std::enable_shared_from_this<LegacyPowerCap> {
 public:
  LegacyPowerCap(RedfishClient c, std::string path, double floor, PowerRange vendor)
      : client_(std::move(c)), path_(std::move(path)), floor_(floor), vendor_(std::move(vendor)) {}
  std::string transport() const override { return "redfish"; }

  void observe(std::function<void(Observation)> done) override {
    get_and_judge(
        client_, path_,
        [self = shared_from_this()](const Json& p) { return self->judge(p["PowerControl"]); },
        std::move(done));
  }

  void act(std::function<void(ActOutcome)> done) override {
    auto self = shared_from_this();
    write_current(
        client_, path_, [self](const Json& power) { return self->decide(power["PowerControl"]); },
        [self](const Json& before, std::function<void(ActOutcome)> finish) {
          self->read_back(before, std::move(finish));
        },
        std::move(done));
  }

 private:
  std::string where(const Json& members, long index) const {
    return fmt::format("{} PowerControl member {}", path_,
                       member_label(members[std::size_t(index)], std::size_t(index)));
  }

  PowerCapState state(const Json& members, long index) const {
    const auto m = members[std::size_t(index)];
    const auto limit = m["PowerLimit"];
    PowerCapState cap;
    cap.where = where(members, index);
    cap.limit_watts = limit["LimitInWatts"].number();
    cap.hard_power_off = cap.limit_watts && limit["LimitException"].string() == "HardPowerOff";
    cap.range = range_of(limit, cap.where).narrowed_by(vendor_);
    if (m["Status"]["State"].string() == "Disabled")
      cap.off_reason = fmt::format("Status.State Disabled at {}", cap.where);
    return cap;
  }

  // CPU / memory domain limits: shown, never written.
  static std::string others(const Json& members, long server) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < members.size(); ++i) {
      const auto limit = members[i]["PowerLimit"]["LimitInWatts"].number();
      if (long(i) == server || !limit) continue;
      out.push_back(fmt::format("{} ({}) {:.0f} W", member_label(members[i], i),
                                members[i]["PhysicalContext"].string().value_or("unstated context"),
                                *limit));
    }
    return out.empty()
               ? ""
               : fmt::format("not written, other PowerControl members: {}", fmt::join(out, ", "));
  }

  Observation judge(const Json& members) const {
    const auto server = server_member(members);
    if (server < 0)
      return Observation::unsupported(
          fmt::format("{} has no whole-chassis PowerControl member with a PowerLimit", path_));
    auto o = judge_power_cap(state(members, server), floor_);
    if (auto note = others(members, server); !note.empty())
      o.detail += (o.detail.empty() ? "" : "; ") + note;
    return o;
  }

  // Only the server's member changes; every other element is {}.
  Write decide(const Json& members) const {
    const auto server = server_member(members);
    if (server < 0) return {"", fmt::format("{}: the server's PowerControl member is gone", path_)};
    const auto cap = state(members, server);
    if (!cap.off_reason.empty() || !cap.limit_watts) return {};
    std::vector<std::string> limit;
    const bool raise = floor_ <= 0 || *cap.limit_watts < floor_;
    if (raise && floor_ > 0) {
      if (auto why = floor_outside_range(cap.range, floor_, cap.where); !why.empty())
        return {"", why};
    }
    if (raise)
      limit.push_back(floor_ > 0 ? fmt::format(R"("LimitInWatts":{:.0f})", floor_)
                                 : R"("LimitInWatts":null)");
    if (cap.hard_power_off && floor_ > 0) {
      const auto exception = safe_exception(members[std::size_t(server)]["PowerLimit"]);
      if (!exception)
        return {"", fmt::format("{}: LimitException HardPowerOff, and the BMC allows neither "
                                "LogEventOnly nor NoAction; change it on the BMC",
                                cap.where)};
      limit.push_back(fmt::format(R"("LimitException":{})", Json::quote(*exception)));
    }
    if (limit.empty()) return {};
    std::vector<std::string> elements(members.size(), "{}");
    elements[std::size_t(server)] =
        fmt::format(R"({{"PowerLimit":{{{}}}}})", fmt::join(limit, ","));
    return {fmt::format(R"({{"PowerControl":[{}]}})", fmt::join(elements, ",")), ""};
  }

  // A BMC that ignores the array PATCH rules replaces or drops the other
  // members: said plainly, with what they were, since only a person can tell
  // which values to put back.
  void read_back(const Json& before, std::function<void(ActOutcome)> done) {
    client_->get(path_, [self = shared_from_this(), before, done](HttpResponse r) {
      if (!r.ok()) return done(ActOutcome::failure(problem(r, "GET (read back)", self->path_)));
      const auto was = before["PowerControl"], now = r.body["PowerControl"];
      const auto server = server_member(was);
      std::vector<std::string> changed;
      if (now.size() != was.size())
        changed.push_back(fmt::format("{} members instead of {}", now.size(), was.size()));
      for (std::size_t i = 0; i < was.size() && changed.empty(); ++i) {
        if (long(i) == server) continue;
        if (now[i]["MemberId"].dump() != was[i]["MemberId"].dump() ||
            now[i]["PowerLimit"].dump() != was[i]["PowerLimit"].dump())
          changed.push_back(fmt::format("member {} PowerLimit was {}, now {}",
                                        member_label(was[i], i), was[i]["PowerLimit"].dump(),
                                        now[i]["PowerLimit"].dump()));
      }
      if (changed.empty()) return done(ActOutcome::success());
      done(ActOutcome::failure(fmt::format(
          "PATCH {} changed PowerControl members it was told to leave alone ({}): the BMC does "
          "not follow the Redfish array PATCH rules; check those limits on the BMC",
          self->path_, fmt::join(changed, "; "))));
    });
  }

  RedfishClient client_;
  std::string path_;
  double floor_;
  PowerRange vendor_;
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
        // "1205 W" of "1205 W, LimitException HardPowerOff": no cap, no exception.
        const auto limit = standard.current.substr(0, standard.current.find(','));
        const bool shows_cap = !limit.empty() && limit.rfind("none", 0) != 0;
        if (shows_cap) self->log_disagreement(limit);
        const auto configured = shows_cap ? fmt::format(", {} configured", limit) : std::string();
        done(Observation::compliant(
            fmt::format("none (cap disabled in {}{})", self->where_, configured), desired));
      });
    });
  }

  // No floor: the switch goes off (the vendor's way to lift a cap). A floor:
  // the standard limit is raised to it (within the vendor's thresholds) and
  // the switch is left as it is; it is never switched on.
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

// The server's cap decides the item; the devices' limits are what the
// collector last read (the policy reads none of them itself: a GPU server has
// dozens), shown beside it so nobody mistakes them for the server's.
class WithDeviceLimits final : public ItemBackend,
                               public std::enable_shared_from_this<WithDeviceLimits> {
 public:
  WithDeviceLimits(RedfishClient c, std::shared_ptr<ItemBackend> server,
                   std::vector<std::string> others)
      : client_(std::move(c)), server_(std::move(server)), others_(std::move(others)) {}
  std::string transport() const override { return server_->transport(); }
  void act(std::function<void(ActOutcome)> done) override { server_->act(std::move(done)); }

  void observe(std::function<void(Observation)> done) override {
    server_->observe([self = shared_from_this(), done](Observation o) {
      if (o.status == Observation::Status::error) return done(std::move(o));
      for (const auto& note : {self->others(), self->devices()})
        if (!note.empty()) o.detail += (o.detail.empty() ? "" : "; ") + note;
      done(std::move(o));
    });
  }

 private:
  std::string devices() const {
    const auto snapshot = client_ ? client_->last_snapshot() : nullptr;
    if (!snapshot || snapshot->device_limits.empty()) return "";
    std::vector<std::string> out;
    for (const auto& d : snapshot->device_limits) {
      const auto value = !d.enabled ? std::string("off")
                         : d.watts  ? fmt::format("{:.0f} W", *d.watts)
                                    : std::string("no limit");
      out.push_back(fmt::format("{} ({}) {}", d.chassis, d.role, value));
    }
    return fmt::format("device limits, reported and never written: {}", fmt::join(out, ", "));
  }

  std::string others() const {
    return others_.empty() ? ""
                           : fmt::format(
                                 "other power controls of the server chassis, never "
                                 "written: {}",
                                 fmt::join(others_, ", "));
  }

  RedfishClient client_;
  std::shared_ptr<ItemBackend> server_;
  std::vector<std::string> others_;
};

}  // namespace

std::shared_ptr<ItemBackend> with_device_limits(RedfishClient client,
                                                std::shared_ptr<ItemBackend> server_cap,
                                                std::vector<std::string> server_others) {
  return std::make_shared<WithDeviceLimits>(std::move(client), std::move(server_cap),
                                            std::move(server_others));
}

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
                                                        double floor_watts, PowerRange vendor) {
  return std::make_shared<PowerControlBackend>(std::move(client), std::move(control_path),
                                               floor_watts, std::move(vendor));
}

std::shared_ptr<ItemBackend> make_redfish_power_cap(RedfishClient client, std::string power_path,
                                                    double floor_watts, PowerRange vendor) {
  return std::make_shared<LegacyPowerCap>(std::move(client), std::move(power_path), floor_watts,
                                          std::move(vendor));
}

}  // namespace bmcquiet::policy
