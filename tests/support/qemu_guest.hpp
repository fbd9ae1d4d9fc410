// A throwaway QEMU guest running Debian's own kernel (scripts/fetch-guest-kernel)
// with the real ipmi_si KCS driver, wired to an ipmi_sim VM interface. The
// guest boots an initramfs built by tests/tools/qemu_guest/make-initramfs
// (busybox + the host binaries the test names), runs the test's script with
// its output on the serial console, and powers off.
//
// Software emulation (TCG), never KVM: it boots in ~5 s on these machines,
// needs no /dev/kvm, and KVM under nested virtualisation hung at boot here.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "support/helpers.hpp"

namespace bmcquiet::test {

struct GuestRun {
  bool powered_off = false;  // the script finished and the guest shut down in time
  std::string console;       // the serial console, kernel messages included
  std::string log;           // QEMU's own stderr
  // The text a script printed between "@@begin NAME" and "@@end NAME".
  std::string section(const std::string& name) const;
};

// Under CI=true a missing guest fails the test (scripts/setup-test provides it);
// elsewhere the test skips and says what to run.
bool guest_required();

class QemuGuest {
 public:
  // Skip reason when QEMU, busybox-static, cpio or the kernel is missing.
  static std::string unavailable();
  // Skip reason when the systemd root (scripts/fetch-guest-rootfs) is missing.
  static std::string rootfs_unavailable();
  static std::string rootfs_dir();

  // base_rootfs: start the guest's root from this tree (Debian with systemd;
  // the test then asks for systemd with /test/boot-systemd) instead of busybox alone.
  explicit QemuGuest(std::string base_rootfs = "");
  // A staged tree (DESTDIR of `cmake --install`) copied over the guest's root.
  void set_overlay(std::string tree) { overlay_ = std::move(tree); }
  // A directory tree the guest sees as /test/<rel> (e.g. a Redfish mockup).
  void add_tree(const std::string& source_dir, const std::string& rel) const;
  // A file the guest sees as /test/<rel>; /test/run is its script (busybox sh).
  void add_file(const std::string& rel, const std::string& content) const;
  // Boots with the KCS interface connected to 127.0.0.1:bmc_vm_port; the
  // binaries (with their shared libraries) are on the guest's PATH.
  // on_request: called (on this thread, while the guest runs) with REQUEST for
  // every console line "@@host REQUEST", so a script can ask the host to act
  // (stop the BMC, bring it back) at a precise point.
  GuestRun boot(int bmc_vm_port, const std::vector<std::string>& binaries,
                std::chrono::seconds timeout,
                const std::function<void(const std::string&)>& on_request = {}) const;

 private:
  TempDir dir_;
  std::string kernel_dir_;
  std::string base_rootfs_;
  std::string overlay_;
};

}  // namespace bmcquiet::test
