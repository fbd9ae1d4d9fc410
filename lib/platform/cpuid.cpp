#include "platform/cpuid.hpp"

#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace bmcquiet {

CpuidInfo decode_cpuid(const CpuidRegisters& regs) {
  CpuidInfo info;
  char id[13] = {};
  // The vendor string is spelled across ebx, edx, ecx in that order.
  std::memcpy(id, &regs.leaf0[1], 4);
  std::memcpy(id + 4, &regs.leaf0[3], 4);
  std::memcpy(id + 8, &regs.leaf0[2], 4);
  info.vendor_id = id;
  if (info.vendor_id == "GenuineIntel") info.vendor = CpuVendor::intel;
  if (info.vendor_id == "AuthenticAMD") info.vendor = CpuVendor::amd;
  if (info.vendor_id == "HygonGenuine") info.vendor = CpuVendor::hygon;
  const std::uint32_t sig = regs.leaf1_eax;
  const unsigned base_family = (sig >> 8) & 0xF;
  const unsigned base_model = (sig >> 4) & 0xF;
  info.family = base_family == 0xF ? base_family + ((sig >> 20) & 0xFF) : base_family;
  info.model = (base_family == 0xF || base_family == 0x6) ? (((sig >> 16) & 0xF) << 4) | base_model
                                                          : base_model;
  return info;
}

std::optional<CpuidRegisters> read_cpuid() {
#if defined(__x86_64__) || defined(__i386__)
  CpuidRegisters regs;
  auto& r = regs.leaf0;
  if (!__get_cpuid(0, &r[0], &r[1], &r[2], &r[3])) return std::nullopt;
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (r[0] >= 1 && __get_cpuid(1, &eax, &ebx, &ecx, &edx)) regs.leaf1_eax = eax;
  return regs;
#else
  return std::nullopt;
#endif
}

const char* to_string(CpuVendor vendor) {
  switch (vendor) {
    case CpuVendor::intel:
      return "intel";
    case CpuVendor::amd:
      return "amd";
    case CpuVendor::hygon:
      return "hygon";
    case CpuVendor::unknown:
      break;
  }
  return "unknown";
}

bool is_zen(const CpuidInfo& info) {
  return (info.vendor == CpuVendor::amd && info.family >= 0x17) || info.vendor == CpuVendor::hygon;
}

}  // namespace bmcquiet
