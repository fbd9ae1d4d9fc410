// Shared by the SMI unit tests: fake CPUID input, a recording pinner, a rig.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <set>

#include "collectors/smi_sampler.hpp"
#include "metrics/metrics.hpp"
#include "platform/cpuid.hpp"
#include "support/fake_smi.hpp"
#include "support/helpers.hpp"

namespace bmcquiet::test {

// CPUID registers as the instruction returns them for a vendor and signature.
inline CpuidRegisters registers(const char (&vendor)[13], std::uint32_t signature) {
  CpuidRegisters r;
  std::memcpy(&r.leaf0[1], vendor, 4);
  std::memcpy(&r.leaf0[3], vendor + 4, 4);
  std::memcpy(&r.leaf0[2], vendor + 8, 4);
  r.leaf1_eax = signature;
  return r;
}

inline const CpuidInfo kSapphireRapids = decode_cpuid(registers("GenuineIntel", 0x000806F8));
inline const CpuidInfo kGenoa = decode_cpuid(registers("AuthenticAMD", 0x00A10F11));
inline const CpuidInfo kBulldozer = decode_cpuid(registers("AuthenticAMD", 0x00600F20));

inline bool contains(const std::string& text, const std::string& needle) {
  INFO(text);
  return text.find(needle) != std::string::npos;
}

// Pins only to the CPUs it is told exist; records every pin.
class FakePinner final : public CpuPinner {
 public:
  explicit FakePinner(std::set<int> allowed) : allowed_(std::move(allowed)) {}
  bool pin(int cpu) override {
    pins.push_back(cpu);
    return allowed_.count(cpu) > 0;
  }
  void unpin(const std::vector<int>& home) override {
    ++unpins;
    last_home = home;
  }
  std::uint64_t syscalls() const override { return pins.size() + unpins; }
  std::vector<int> pins;
  int unpins = 0;
  std::vector<int> last_home;

 private:
  std::set<int> allowed_;
};

struct Rig {
  TempDir dir;
  FakeCpuTree tree{dir.path()};
  Metrics metrics;
  std::shared_ptr<FakePinner> pinner = std::make_shared<FakePinner>(std::set<int>{0});
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();

  std::unique_ptr<SmiSampler> sampler(SmiSettings s = {}, CpuidInfo cpuid = kSapphireRapids,
                                      std::shared_ptr<PerfBackend> perf = nullptr) {
    return std::make_unique<SmiSampler>(metrics, tree.paths(), CpuSelection{}, s,
                                        SmiHardware{cpuid, std::move(perf), pinner});
  }
  double value(const std::string& series) const {
    auto v = sample_value(metrics.serialize(), series);
    INFO(series);
    REQUIRE(v);
    return *v;
  }
  bool has(const std::string& series) const {
    return sample_value(metrics.serialize(), series).has_value();
  }
};

inline SmiSettings smi_only() {
  SmiSettings s;
  s.throttle = false;
  return s;
}

}  // namespace bmcquiet::test
