#include "policy/ipmi_items.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "ipmi/client.hpp"
#include "policy/item_table.hpp"
#include "policy/power_cap.hpp"

namespace bmcquiet::policy {
namespace {

template <class T>
std::string failure(const ipmi::Result<T>& r, std::string_view command) {
  return fmt::format("IPMI {}: {}", command,
                     r.error.message.empty() ? ipmi::to_string(r.error.status) : r.error.message);
}

ActOutcome done_outcome(const ipmi::Result<ipmi::Done>& r, std::string_view command) {
  return r.ok() ? ActOutcome::success() : ActOutcome::failure(failure(r, command));
}

class SolBackend final : public ItemBackend {
 public:
  explicit SolBackend(IpmiClient c) : client_(std::move(c)) {}
  std::string transport() const override { return "ipmi"; }
  void observe(std::function<void(Observation)> done) override {
    client_->get_sol_enabled([done = std::move(done)](ipmi::Result<bool> r) {
      if (!r.ok()) return done(Observation::failed(failure(r, "Get SOL Configuration")));
      done(*r.value ? Observation::drifted("enabled", "disabled")
                    : Observation::compliant("disabled", "disabled"));
    });
  }
  void act(std::function<void(ActOutcome)> done) override {
    client_->set_sol_enabled(false, [done = std::move(done)](ipmi::Result<ipmi::Done> r) {
      done(done_outcome(r, "Set SOL Configuration"));
    });
  }

 private:
  IpmiClient client_;
};

// IPMI's countdown is 16 bits of 100 ms: 6553.5 s at most.
constexpr double kMaxWatchdogSeconds = 0xFFFF / 10.0;

// min_timeout 0: the watchdog must be off. min_timeout > 0: if it runs, its
// timeout is at least min_timeout and its use and action are the host's.
// A host that pets the timer (Reset Watchdog Timer) restarts the countdown
// from the initial countdown, so the initial one is what is judged and set.
class WatchdogBackend final : public ItemBackend {
 public:
  WatchdogBackend(IpmiClient c, std::chrono::seconds min) : client_(std::move(c)), min_(min) {}
  std::string transport() const override { return "ipmi"; }
  void observe(std::function<void(Observation)> done) override {
    client_->get_watchdog(
        [min = min_, done = std::move(done)](ipmi::Result<ipmi::WatchdogState> r) {
          if (!r.ok()) return done(Observation::failed(failure(r, "Get Watchdog Timer")));
          const auto desired =
              min.count() > 0
                  ? fmt::format("off, or running with timeout >= {} s and its action", min.count())
                  : std::string("off");
          if (!r.value->running) return done(Observation::compliant("off", desired));
          const double timeout = r.value->initial_countdown_100ms / 10.0;
          const auto current = fmt::format("running, timeout {:.1f} s, action {}", timeout,
                                           action_name(r.value->timeout_action));
          if (min.count() == 0 || timeout < double(min.count()))
            return done(Observation::drifted(current, desired));
          done(Observation::compliant(current, desired));
        });
  }
  void act(std::function<void(ActOutcome)> done) override {
    if (min_.count() > 0 && double(min_.count()) > kMaxWatchdogSeconds)
      return done(ActOutcome::failure(fmt::format(
          "watchdog.min_timeout {} s is longer than IPMI's watchdog can count ({:.1f} s); "
          "not written: lower min_timeout",
          min_.count(), kMaxWatchdogSeconds)));
    client_->get_watchdog([client = client_, min = min_,
                           done = std::move(done)](ipmi::Result<ipmi::WatchdogState> r) {
      if (!r.ok()) return done(ActOutcome::failure(failure(r, "Get Watchdog Timer")));
      if (!r.value->running) return done(ActOutcome::success());  // stopped meanwhile
      client->set_watchdog(settings_for(*r.value, min), [done](ipmi::Result<ipmi::Done> set) {
        done(done_outcome(set, "Set Watchdog Timer"));
      });
    });
  }

 private:
  static std::string action_name(std::uint8_t action) {
    constexpr const char* kNames[] = {"none", "hard reset", "power down", "power cycle"};
    return action < 4 ? kNames[action] : fmt::format("0x{:02x}", action);
  }

  // The host's use, action and pre-timeout kept. With a minimum, "don't
  // stop": the running countdown restarts from the longer value at once and
  // keeps running; without one, Set stops the timer.
  static ipmi::WatchdogSettings settings_for(const ipmi::WatchdogState& now,
                                             std::chrono::seconds min) {
    ipmi::WatchdogSettings s;
    s.timer_use = now.timer_use & 0x07;
    s.dont_log = now.dont_log;
    s.timeout_action = now.timeout_action;
    s.pretimeout_interrupt = now.pretimeout_interrupt;
    s.pretimeout_seconds = now.pretimeout_seconds;
    s.dont_stop = min.count() > 0;
    s.initial_countdown_100ms =
        min.count() > 0 ? std::uint16_t(min.count() * 10) : now.initial_countdown_100ms;
    return s;
  }

  IpmiClient client_;
  std::chrono::seconds min_;
};

PowerCapState dcmi_state(const ipmi::PowerLimitState& s) {
  PowerCapState cap;
  cap.where = "DCMI power limit";
  if (!s.active) return cap;  // inactive: no cap, whatever limit is configured
  if (!s.limit) return cap;
  cap.limit_watts = s.limit->limit_watts;
  cap.hard_power_off =
      s.limit->exception_action == std::uint8_t(ipmi::ExceptionAction::power_off_and_log);
  return cap;
}

// DCMI reports no range; a BMC that refuses the value says 0x84.
std::string dcmi_set_failure(const ipmi::Result<ipmi::Done>& r, double floor) {
  if (r.error.status == ipmi::Status::completion_code && r.error.cc == ipmi::kCcDcmiLimitOutOfRange)
    return fmt::format(
        "IPMI DCMI Set Power Limit: the BMC refused {:.0f} W as outside its power limit range "
        "(0x84); the limit is unchanged: set power_cap.floor_watts within the BMC's range, or 0 "
        "to have the limit deactivated",
        floor);
  return failure(r, "DCMI Set Power Limit");
}

class PowerCapBackend final : public ItemBackend {
 public:
  PowerCapBackend(IpmiClient c, double floor) : client_(std::move(c)), floor_(floor) {}
  std::string transport() const override { return "ipmi"; }
  void observe(std::function<void(Observation)> done) override {
    client_->dcmi_get_power_limit(
        [floor = floor_, done = std::move(done)](ipmi::Result<ipmi::PowerLimitState> r) {
          if (!r.ok()) return done(Observation::failed(failure(r, "DCMI Get Power Limit")));
          auto o = judge_power_cap(dcmi_state(*r.value), floor);
          // judge_power_cap names the Redfish term; DCMI's is its exception action.
          for (auto* text : {&o.current, &o.detail}) {
            const std::string redfish = "LimitException HardPowerOff";
            if (auto at = text->find(redfish); at != std::string::npos)
              text->replace(at, redfish.size(), "exception action hard power off");
          }
          done(std::move(o));
        });
  }
  // No floor: the limit is deactivated. A floor: the limit is raised to it and
  // a hard-power-off exception becomes log-only, its other terms kept; an
  // inactive limit is never activated.
  void act(std::function<void(ActOutcome)> done) override {
    if (floor_ <= 0) {
      client_->dcmi_activate_power_limit(false, [done](ipmi::Result<ipmi::Done> r) {
        done(done_outcome(r, "DCMI Activate Power Limit"));
      });
      return;
    }
    client_->dcmi_get_power_limit([client = client_, floor = floor_,
                                   done = std::move(done)](ipmi::Result<ipmi::PowerLimitState> r) {
      if (!r.ok()) return done(ActOutcome::failure(failure(r, "DCMI Get Power Limit")));
      const auto cap = dcmi_state(*r.value);
      if (!cap.limit_watts) return done(ActOutcome::success());  // deactivated meanwhile
      auto limit = *r.value->limit;
      if (*cap.limit_watts < floor) limit.limit_watts = std::uint16_t(floor);
      if (cap.hard_power_off)
        limit.exception_action = std::uint8_t(ipmi::ExceptionAction::log_only);
      client->dcmi_set_power_limit(limit, [done, floor](ipmi::Result<ipmi::Done> set) {
        done(set.ok() ? ActOutcome::success() : ActOutcome::failure(dcmi_set_failure(set, floor)));
      });
    });
  }

 private:
  IpmiClient client_;
  double floor_;
};

// Timestamp of a SEL record: bytes 3-6 (LSB first) for system event and
// timestamped OEM records; none for the others.
std::string sel_timestamp(const ipmi::SelEntry& e) {
  if (e.record_type >= 0xE0) return "";
  const std::uint32_t t =
      e.raw[3] | (e.raw[4] << 8) | (e.raw[5] << 16) | (std::uint32_t(e.raw[6]) << 24);
  return std::to_string(t);
}

// The timestamp as a person reads it (IPMI v2.0 §37: values up to 0x20000000
// count seconds since the BMC started, 0xFFFFFFFF is "unspecified").
std::string sel_time(const std::string& seconds) {
  const auto t = std::stoull(seconds);
  if (t == 0xFFFFFFFFu) return "unspecified";
  if (t <= 0x20000000u) return fmt::format("{} s after BMC start", t);
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time_t(t)));
}

std::string hex(const std::uint8_t* bytes, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += fmt::format("{:02x}", bytes[i]);
  return out;
}

// The archive's copy of one record: its decoded type and fields, timestamp and
// the raw 16 bytes, so nothing the BMC stored is lost and the journal copy
// can be read without a decoder.
ArchiveEntry archived_record(const ipmi::SelEntry& entry) {
  const auto& raw = entry.raw;
  ArchiveEntry e{std::to_string(entry.record_id), sel_timestamp(entry), {}};
  const auto type = entry.record_type;
  e.fields.emplace_back("type", type == 0x02   ? "system event"
                                : type >= 0xE0 ? "OEM non-timestamped"
                                : type >= 0xC0 ? "OEM timestamped"
                                               : "unknown");
  e.fields.emplace_back("record_type", fmt::format("0x{:02x}", type));
  if (!e.timestamp.empty()) e.fields.emplace_back("time", sel_time(e.timestamp));
  if (type == 0x02) {
    e.fields.emplace_back("generator_id", fmt::format("0x{:02x}{:02x}", raw[8], raw[7]));
    e.fields.emplace_back("sensor_type", fmt::format("0x{:02x}", raw[10]));
    e.fields.emplace_back("sensor_number", fmt::format("0x{:02x}", raw[11]));
    e.fields.emplace_back("event", raw[12] & 0x80 ? "deassertion" : "assertion");
    e.fields.emplace_back("event_type", fmt::format("0x{:02x}", raw[12] & 0x7F));
    e.fields.emplace_back("event_data", hex(&raw[13], 3));
  } else if (type >= 0xC0 && type < 0xE0) {
    e.fields.emplace_back("manufacturer_id",
                          std::to_string(raw[7] | (raw[8] << 8) | (raw[9] << 16)));
  }
  e.fields.emplace_back("raw", hex(raw.data(), raw.size()));
  return e;
}

class IpmiSel final : public SelSource {
 public:
  explicit IpmiSel(IpmiClient c) : client_(std::move(c)) {}
  std::string transport() const override { return "ipmi"; }

  void fill(std::function<void(SelFill)> done) override {
    client_->get_sel_info([done = std::move(done)](ipmi::Result<ipmi::SelInfo> r) {
      SelFill f;
      if (!r.ok()) {
        f.error = failure(r, "Get SEL Info");
        return done(f);
      }
      f.used = r.value->entries;
      f.capacity = r.value->capacity_entries();
      done(f);
    });
  }

  // The reservation is taken first; an erase or re-reservation by anyone
  // else cancels it, and the clear then fails with 0xC5.
  void reserve_and_read(std::function<void(SelRead)> done) override {
    client_->reserve_sel([client = client_, done = std::move(done)](ipmi::Result<std::uint16_t> r) {
      if (!r.ok()) {
        SelRead out;
        out.error = failure(r, "Reserve SEL");
        return done(out);
      }
      const auto reservation = *r.value;
      client->get_sel_entries(reservation,
                              [reservation, done](ipmi::Result<std::vector<ipmi::SelEntry>> e) {
                                SelRead out;
                                if (!e.ok()) {
                                  out.error = failure(e, "Get SEL Entry");
                                  return done(out);
                                }
                                for (const auto& entry : *e.value)
                                  out.entries.push_back(archived_record(entry));
                                out.reservation = std::to_string(reservation);
                                done(std::move(out));
                              });
    });
  }

  // Entries added after the read do not cancel an IPMI reservation, so the
  // count is compared first; a BMC restart (which may reuse record IDs)
  // cancels it, so the clear then fails with 0xC5 instead of erasing.
  void clear(const SelRead& archived, std::function<void(ActOutcome)> done) override {
    const auto id = std::uint16_t(std::stoul(archived.reservation));
    const auto count = archived.entries.size();
    client_->get_sel_info(
        [client = client_, id, count, done = std::move(done)](ipmi::Result<ipmi::SelInfo> info) {
          if (!info.ok()) return done(ActOutcome::failure(failure(info, "Get SEL Info")));
          if (info.value->entries != count)
            return done(ActOutcome::failure(fmt::format(
                "the SEL holds {} entries but {} were archived for this clear; not cleared, the "
                "next pass archives the new entries first",
                info.value->entries, count)));
          client->clear_sel(id, [done](ipmi::Result<ipmi::SelClearStatus> r) {
            done(r.ok() ? ActOutcome::success() : ActOutcome::failure(failure(r, "Clear SEL")));
          });
        });
  }

 private:
  IpmiClient client_;
};

}  // namespace

std::shared_ptr<ItemBackend> make_ipmi_sol(IpmiClient client) {
  return std::make_shared<SolBackend>(std::move(client));
}
std::shared_ptr<ItemBackend> make_ipmi_watchdog(IpmiClient client, std::chrono::seconds min) {
  return std::make_shared<WatchdogBackend>(std::move(client), min);
}
std::shared_ptr<ItemBackend> make_ipmi_power_cap(IpmiClient client, double floor_watts) {
  return std::make_shared<PowerCapBackend>(std::move(client), floor_watts);
}
std::shared_ptr<SelSource> make_ipmi_sel(IpmiClient client) {
  return std::make_shared<IpmiSel>(std::move(client));
}

void complete_with_ipmi(IpmiClient client, const PolicySettings& settings,
                        SelItemOptions sel_options, BmcSupport discovery,
                        std::function<void(BmcSupport)> done) {
  client->get_device_id([client, settings, sel_options, d = std::move(discovery),
                         done = std::move(done)](ipmi::Result<ipmi::DeviceId> r) mutable {
    if (r.ok()) {
      d.identity.ipmi_manufacturer_id = r.value->manufacturer_id;
      d.profile = identify(d.identity).profile;
    } else if (!d.ok) {  // neither transport answered
      d.error = (d.error.empty() ? "" : d.error + "; ") + failure(r, "Get Device ID");
      return done(std::move(d));
    }
    d.ok = true;
    d.error.clear();
    auto fill = [&d](ItemId id, std::shared_ptr<ItemBackend> b) {
      if (d.backends.try_emplace(id, b).second) d.unsupported.erase(id);  // IPMI serves it
    };
    for (const auto& spec : item_specs())
      if (spec.ipmi) fill(spec.id, spec.ipmi(client, settings));
    fill(ItemId::sel, make_sel_backend(make_ipmi_sel(client), sel_options));
    done(std::move(d));
  });
}

}  // namespace bmcquiet::policy
