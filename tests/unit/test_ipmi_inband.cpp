// The in-band transport where no BMC exists: the Linux driver's device is
// replaced by a pollable eventfd-backed fake at the InbandDevice seam (the
// ioctl structs are the only part not exercised), so queueing, msgid matching,
// timeouts, retries and the SMI self-cost accounting run as in production.
// The real open path is checked against files that are not IPMI devices.
#include <sys/eventfd.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>
#include <deque>
#include <functional>

#include "ipmi/codec.hpp"
#include "ipmi/config.hpp"
#include "ipmi/inband.hpp"
#include "metrics/metrics.hpp"
#include "platform/smi_source.hpp"
#include "support/helpers.hpp"

using namespace bmcquiet;
using namespace bmcquiet::ipmi;
using namespace std::chrono_literals;

namespace {

using Responder = std::function<std::optional<Response>(const Request&)>;

class FakeDevice final : public InbandDevice {
 public:
  FakeDevice(Responder responder, int* sends)
      : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
        responder_(std::move(responder)),
        sends_(sends) {}
  ~FakeDevice() override { ::close(fd_); }
  int fd() const override { return fd_; }
  int send(long msgid, const Request& request) override {
    ++*sends_;
    if (auto r = responder_(request)) {
      queue_.push_back({msgid, *r});
      std::uint64_t one = 1;
      REQUIRE(::write(fd_, &one, sizeof(one)) == sizeof(one));
    }
    return 0;
  }
  int receive(long* msgid, Response* response) override {
    if (queue_.empty()) {
      std::uint64_t drained = 0;
      (void)!::read(fd_, &drained, sizeof(drained));
      return EAGAIN;
    }
    *msgid = queue_.front().first;
    *response = queue_.front().second;
    queue_.pop_front();
    return 0;
  }

 private:
  int fd_;
  Responder responder_;
  int* sends_;
  std::deque<std::pair<long, Response>> queue_;
};

// Every read is 3 SMIs later than the one before.
class FakeSmi final : public SmiSource {
 public:
  SmiRead read(int) override { return {true, count_ += 3, 0, {}}; }
  SmiSourceKind kind() const override { return SmiSourceKind::intel_msr; }
  int counter_bits() const override { return 32; }
  std::uint64_t syscalls() const override { return 0; }
  void forget(int) override {}

 private:
  std::uint64_t count_ = 100;
};

Response device_id_answer() {
  return {0, {0x20, 0x01, 0x01, 0x00, 0x02, 0x9F, 0xA2, 0x02, 0x00, 0x01, 0x00}};  // Dell 674
}

template <class T, class Start>
Result<T> await(boost::asio::io_context& io, Start start) {
  std::optional<Result<T>> out;
  start([&](Result<T> r) { out = std::move(r); });
  io.restart();
  while (!out && io.run_one_for(5s)) {
  }
  REQUIRE(out);
  return std::move(*out);
}

struct Rig {
  boost::asio::io_context io;
  Metrics metrics;
  int sends = 0;
  std::uint64_t smis = 0;
  std::shared_ptr<Client> client;

  explicit Rig(Responder responder) {
    ClientConfig config;
    config.transport = TransportKind::inband;
    config.device = "/dev/fake-ipmi0";
    config.timeout = 50ms;
    config.retries = 1;
    InbandHooks hooks;
    hooks.open_device = [this, responder](std::string*) {
      return std::make_unique<FakeDevice>(responder, &sends);
    };
    hooks.open_smi = [] { return std::make_unique<FakeSmi>(); };
    hooks.on_smis = [this](std::uint64_t n) { smis += n; };
    client = make_client(io, config, &metrics, make_inband_transport(io, config, hooks));
  }
};

}  // namespace

TEST_CASE("in-band: answers are matched by msgid and each request's SMIs are counted",
          "[ipmi][inband]") {
  Rig rig([](const Request& r) -> std::optional<Response> {
    if (r.netfn == 0x06 && r.cmd == 0x01) return device_id_answer();
    return Response{0xC1, {}};
  });
  auto id = await<DeviceId>(rig.io, [&](auto cb) { rig.client->get_device_id(cb); });
  REQUIRE(id.ok());
  CHECK(id.value->manufacturer_id == 674);
  auto caps =
      await<DcmiCapabilities>(rig.io, [&](auto cb) { rig.client->dcmi_get_capabilities(cb); });
  CHECK(caps.error.cc == 0xC1);
  CHECK(caps.error.message.find("/dev/fake-ipmi0") != std::string::npos);
  CHECK(rig.smis == 6);  // two requests, 3 SMIs between each before/after pair
  CHECK(std::string(rig.client->transport_name()) == "inband");
  auto scrape = rig.metrics.serialize();
  CHECK(test::sample_value(scrape, R"(bmcquiet_ipmi_requests_total{transport="inband"})") == 2.0);
}

TEST_CASE("in-band: requests queue single-flight and complete in call order", "[ipmi][inband]") {
  Rig rig([](const Request&) -> std::optional<Response> { return device_id_answer(); });
  std::vector<int> order;
  for (int i = 0; i < 3; ++i)
    rig.client->get_device_id([&order, i](Result<DeviceId> r) {
      CHECK(r.ok());
      order.push_back(i);
    });
  CHECK(order.empty());  // callbacks never run inside the call
  rig.io.run_for(2s);
  CHECK(order == std::vector<int>{0, 1, 2});
  CHECK(rig.sends == 3);
}

TEST_CASE("in-band: a silent BMC times out after the retries", "[ipmi][inband]") {
  Rig rig([](const Request&) -> std::optional<Response> { return std::nullopt; });
  auto r = await<DeviceId>(rig.io, [&](auto cb) { rig.client->get_device_id(cb); });
  CHECK(r.error.status == Status::timeout);
  CHECK(rig.sends == 2);  // first attempt + 1 retry
  CHECK(rig.client->stats().timeouts == 2);
  CHECK(rig.smis == 0);  // no answer, nothing attributed
}

TEST_CASE("in-band: the real device path rejects what is not an IPMI device", "[ipmi][inband]") {
  test::TempDir dir;
  std::string error;
  CHECK_FALSE(open_linux_ipmi_device(dir.path() + "/ipmi0", &error));
  CHECK(error.find("cannot open " + dir.path() + "/ipmi0") != std::string::npos);
  CHECK(error.find("modprobe") != std::string::npos);
  auto file = dir.write("ipmi0", "");
  CHECK_FALSE(open_linux_ipmi_device(file, &error));
  CHECK(error.find("is not an IPMI device") != std::string::npos);

  // Through the Client: a clear transport error, no crash, the next call retries.
  boost::asio::io_context io;
  ClientConfig config;
  config.transport = TransportKind::inband;
  config.device = dir.path() + "/missing";
  config.count_smis = false;
  auto client = Client::create(io, config, nullptr);
  auto r = await<DeviceId>(io, [&](auto cb) { client->get_device_id(cb); });
  CHECK(r.error.status == Status::transport);
  CHECK(r.error.message.find("missing") != std::string::npos);
}

TEST_CASE("bmc.ipmi config: defaults, validation and the device under devfs", "[ipmi][config]") {
  auto read = [](const std::string& yaml, std::shared_ptr<ConfigDiagnostics>& diag) {
    diag = std::make_shared<ConfigDiagnostics>("test.yaml");
    auto root = ConfigSection::parse(yaml, diag);
    auto section = root.section("ipmi");
    Paths paths;
    paths.devfs = "/host/dev";
    auto c = read_client_config(section, paths);
    section.finish();
    return c;
  };
  std::shared_ptr<ConfigDiagnostics> diag;
  CHECK_FALSE(read("", diag));
  CHECK(diag->ok());
  auto inband = read("ipmi:\n  transport: inband\n", diag);
  REQUIRE(inband);
  CHECK(inband->device == "/host/dev/ipmi0");
  CHECK(inband->count_smis);
  auto lan = read("ipmi:\n  transport: lanplus\n  host: bmc\n  username: u\n", diag);
  REQUIRE(lan);
  CHECK(lan->cipher_suite == 17);
  CHECK(lan->privilege == Privilege::admin);
  CHECK(lan->timeout == 2s);
  CHECK_FALSE(read("ipmi:\n  transport: lanplus\n  username: u\n", diag));
  CHECK(diag->summary().find("ipmi.host") != std::string::npos);
  read("ipmi:\n  transport: lanplus\n  host: h\n  username: u\n  cipher_suite: 1\n", diag);
  CHECK_FALSE(diag->ok());
  read("ipmi:\n  transport: lanplus\n  host: h\n  username: u\n  cipher_suite: 8\n", diag);
  CHECK(diag->summary().find("cipher_suite") != std::string::npos);
}
