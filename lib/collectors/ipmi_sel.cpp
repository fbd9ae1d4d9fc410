#include "collectors/ipmi_sel.hpp"

#include <fmt/format.h>

#include "collectors/ipmi_collector.hpp"
#include "ipmi/iana.hpp"
#include "metrics/metrics.hpp"
#include "metrics/names.hpp"

namespace bmcquiet {
namespace {

constexpr const char* kFree = "bmcquiet_sel_free_bytes";
constexpr const char* kFreeHelp = "Free space in the BMC's System Event Log (IPMI Get SEL Info)";
constexpr const char* kLastAdd = "bmcquiet_sel_last_add_timestamp_seconds";
constexpr const char* kLastAddHelp =
    "When the BMC last added a SEL entry (absent: never, or before the BMC's clock was set)";
constexpr const char* kLastErase = "bmcquiet_sel_last_erase_timestamp_seconds";
constexpr const char* kLastEraseHelp =
    "When the BMC's SEL was last erased (absent: never, or before the BMC's clock was set)";
constexpr const char* kOverflow = "bmcquiet_sel_overflow";
constexpr const char* kOverflowHelp =
    "1 when the BMC's SEL overflowed: events were dropped since it was last cleared";

const Labels kLog{{"log", "ipmi_sel"}};
// IPMI 2.0 §37: 0x00000000-0x20000000 count seconds since the BMC's start,
// not since 1970 (its clock was not set yet): no wall time to export.
constexpr std::uint32_t kLastRelativeTimestamp = 0x20000000;

std::string firmware(const ipmi::DeviceId& d) {
  // Minor is BCD ("9.08", as ipmitool mc info prints it); the vendor's
  // auxiliary revision follows when the BMC gives one (all zero: none).
  auto text = fmt::format("{}.{:02x}", d.firmware_major & 0x7F, d.firmware_minor);
  if (d.aux_firmware.value_or(0)) text += fmt::format("+{:08x}", *d.aux_firmware);
  return text;
}

class IpmiSelCollector final : public IpmiCollector {
 public:
  using IpmiCollector::IpmiCollector;

  void collect_ipmi(CollectDone done) override {
    if (identity_) return read_sel(std::move(done));
    client_->get_device_id(
        [this, alive = alive(), done = std::move(done)](ipmi::Result<ipmi::DeviceId> id) mutable {
          if (!alive.lock()) return;
          if (!id.ok()) return fail(id.error, std::move(done));
          publish_identity(*id.value);
          read_sel(std::move(done));
        });
  }

 private:
  void read_sel(CollectDone done) {
    client_->get_sel_info(
        [this, alive = alive(), done = std::move(done)](ipmi::Result<ipmi::SelInfo> info) {
          if (!alive.lock()) return;
          if (!info.ok()) return fail(info.error, std::move(done));
          publish_sel(*info.value);
          done(CollectOutcome::success());
        });
  }

  // Unknown now: every series goes (none frozen), and the identity is read
  // again once the BMC answers (it may come back with new firmware).
  void fail(const ipmi::Error& error, CollectDone done) {
    remove_all();
    done(CollectOutcome::failure(error.message, ipmi::problem_kind(error)));
  }

  void publish_identity(const ipmi::DeviceId& d) {
    identity_ = Labels{{"source", "ipmi"},
                       {"vendor", ipmi::iana::vendor_name(d.manufacturer_id)},
                       {"model", fmt::format("0x{:04x}", d.product_id)},
                       {"firmware", firmware(d)}};
    metrics_.set_info(names::kBmcInfo, names::kBmcInfoHelp, *identity_, "source");
  }

  void publish_sel(const ipmi::SelInfo& s) {
    metrics_.gauge(names::kSelEntries, names::kSelEntriesHelp, kLog).Set(s.entries);
    metrics_.gauge(names::kSelCapacity, names::kSelCapacityHelp, kLog).Set(s.capacity_entries());
    metrics_.gauge(kFree, kFreeHelp, kLog).Set(s.free_bytes);
    metrics_.gauge(kOverflow, kOverflowHelp, kLog).Set(s.overflow ? 1 : 0);
    publish_time(kLastAdd, kLastAddHelp, s.last_add_time);
    publish_time(kLastErase, kLastEraseHelp, s.last_erase_time);
  }

  void publish_time(const char* name, const char* help, std::optional<std::uint32_t> t) {
    if (t && *t > kLastRelativeTimestamp)
      metrics_.gauge(name, help, kLog).Set(double(*t));
    else
      metrics_.remove_gauge(name, kLog);
  }

  void remove_all() {
    for (const char* name :
         {names::kSelEntries, names::kSelCapacity, kFree, kOverflow, kLastAdd, kLastErase})
      metrics_.remove_gauge(name, kLog);
    if (identity_) metrics_.remove_gauge(names::kBmcInfo, *identity_);
    identity_.reset();
  }

  std::optional<Labels> identity_;  // set: Get Device ID answered since the last failure
};

}  // namespace

std::unique_ptr<Collector> make_ipmi_sel_collector(const CollectorEnv& env,
                                                   ConfigSection& section) {
  // Read (and so validated) whatever the transport: a typo must not wait.
  const bool inband = section.get_bool("inband", false);
  if (!env.bmc || !env.bmc->has_ipmi()) return nullptr;  // bmc.ipmi.transport: none
  if (env.bmc->transports().ipmi->transport == ipmi::TransportKind::inband && !inband)
    return nullptr;  // in-band requests may raise SMIs: only where the operator asks
  return std::make_unique<IpmiSelCollector>(env);
}

}  // namespace bmcquiet
