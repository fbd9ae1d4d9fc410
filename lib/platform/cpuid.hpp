// CPU vendor and family from CPUID, decoded apart from the instruction so
// tests can feed register values of machines that are not this one.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace bmcquiet {

enum class CpuVendor { unknown, intel, amd, hygon };

struct CpuidInfo {
  CpuVendor vendor = CpuVendor::unknown;
  std::string vendor_id;  // the 12-byte string, e.g. "GenuineIntel"
  unsigned family = 0;    // display family (base + extended when base is 0xF)
  unsigned model = 0;     // display model (extended model folded in)
};

// Registers of CPUID leaf 0 (ebx, ecx, edx hold the vendor string) and
// leaf 1's eax (signature), exactly as the instruction returns them.
struct CpuidRegisters {
  std::array<std::uint32_t, 4> leaf0{};  // eax, ebx, ecx, edx
  std::uint32_t leaf1_eax = 0;
};

CpuidInfo decode_cpuid(const CpuidRegisters& regs);
// Executes CPUID on this CPU; nullopt on a non-x86 build.
std::optional<CpuidRegisters> read_cpuid();
const char* to_string(CpuVendor vendor);

// AMD family 17h (Zen) and later, and Hygon (a Zen derivative), count SMIs
// with core PMC event 0x2B (LS_SMI_RX).
bool is_zen(const CpuidInfo& info);

}  // namespace bmcquiet
