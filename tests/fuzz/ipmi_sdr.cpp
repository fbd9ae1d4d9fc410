// One SDR record as a BMC's repository may hold it, through the decoder and
// every raw reading through each sensor's conversion; the same bytes as a
// Get SDR Repository Info, Get SDR and Get Sensor Reading answer.
#include "collectors/ipmi_sensors.hpp"
#include "fuzz_common.hpp"
#include "ipmi/sdr.hpp"

using namespace bmcquiet::ipmi;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bmcquiet::fuzz::quiet_logs();
  const Bytes record(data, data + size);
  auto decoded = sdr::decode(record);
  for (const auto& s : decoded.sensors) {
    (void)s.id();
    (void)sdr::entity_name(s.entity_id, s.entity_instance);
    (void)sdr::unit_name(s.base_unit);
    for (int raw = 0; raw < 256; ++raw) {
      std::string why;
      if (auto v = sdr::convert(s, std::uint8_t(raw), &why))
        (void)bmcquiet::ipmi_sensor_series(s, *v);
    }
  }
  std::size_t used = 0;
  (void)sdr::decode_id_string(data, size, &used);
  if (size == 0) return 0;
  Response r{data[0], Bytes(data + 1, data + size)};
  (void)sdr::parse_repository_info(r);
  (void)sdr::parse_reservation(r);
  (void)sdr::parse_sdr(r);
  (void)sdr::parse_sensor_reading(r);
  return 0;
}
