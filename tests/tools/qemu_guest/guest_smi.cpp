// guest_smi: raises System Management Interrupts inside the QEMU test guest by
// writing the APM control port (0xB2), which QEMU's q35 chipset turns into an
// SMI on the writing CPU. It exists so the tests can give the smi collector and
// the in-band self-cost count real SMIs to count; on real hardware the port
// belongs to the firmware, so the tool refuses to run outside a hypervisor.
//
//   guest_smi COUNT        raise exactly COUNT SMIs, then exit
//   guest_smi --for MS     raise SMIs back to back for MS milliseconds
#include <sys/io.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace {

constexpr unsigned short kApmControlPort = 0xB2;

bool in_a_hypervisor() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);)
    if (line.rfind("flags", 0) == 0) return line.find(" hypervisor") != std::string::npos;
  return false;
}

int usage() {
  std::fputs("usage: guest_smi COUNT | guest_smi --for MILLISECONDS\n", stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) return usage();
  if (!in_a_hypervisor()) {
    std::fputs("guest_smi: not a virtual machine; refusing to poke the firmware's SMI port\n",
               stderr);
    return 1;
  }
  if (::ioperm(kApmControlPort, 1, 1) != 0) {
    std::fprintf(stderr, "guest_smi: ioperm(0x%x): %s (needs root / CAP_SYS_RAWIO)\n",
                 kApmControlPort, std::strerror(errno));
    return 1;
  }
  const bool timed = std::strcmp(argv[1], "--for") == 0;
  if (timed != (argc == 3)) return usage();
  const long n = std::strtol(argv[timed ? 2 : 1], nullptr, 10);
  if (n <= 0) return usage();
  if (!timed) {
    for (long i = 0; i < n; ++i) ::outb(0, kApmControlPort);
    return 0;
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(n);
  long raised = 0;
  for (; std::chrono::steady_clock::now() < until; ++raised) ::outb(0, kApmControlPort);
  std::printf("guest_smi: raised %ld SMIs\n", raised);
  return 0;
}
