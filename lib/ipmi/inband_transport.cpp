// In-band IPMI over the Linux IPMI driver, on the event loop: the device fd is
// non-blocking and pollable, so a request is one SEND_COMMAND ioctl and its
// answer is read when the fd turns readable. The driver talks KCS/SSIF/BT to
// the BMC in the kernel; on some platforms that traps into firmware (SMIs), so
// each request is bracketed by SMI-count reads on the calling CPU.
#include <fcntl.h>
#include <linux/ipmi.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cerrno>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "ipmi/inband.hpp"
#include "platform/smi_source.hpp"

namespace bmcquiet::ipmi {
namespace {

namespace asio = boost::asio;

class LinuxIpmiDevice final : public InbandDevice {
 public:
  explicit LinuxIpmiDevice(int fd) : fd_(fd) {}
  ~LinuxIpmiDevice() override { ::close(fd_); }
  int fd() const override { return fd_; }

  int send(long msgid, const Request& r) override {
    ipmi_system_interface_addr addr{};
    addr.addr_type = IPMI_SYSTEM_INTERFACE_ADDR_TYPE;
    addr.channel = IPMI_BMC_CHANNEL;
    ipmi_req req{};
    req.addr = reinterpret_cast<unsigned char*>(&addr);
    req.addr_len = sizeof(addr);
    req.msgid = msgid;
    req.msg.netfn = r.netfn;
    req.msg.cmd = r.cmd;
    req.msg.data = const_cast<unsigned char*>(r.data.data());
    req.msg.data_len = static_cast<unsigned short>(r.data.size());
    return ::ioctl(fd_, IPMICTL_SEND_COMMAND, &req) < 0 ? errno : 0;
  }

  int receive(long* msgid, Response* response) override {
    ipmi_addr addr{};
    unsigned char data[IPMI_MAX_MSG_LENGTH + 1];
    ipmi_recv recv{};
    recv.addr = reinterpret_cast<unsigned char*>(&addr);
    recv.addr_len = sizeof(addr);
    recv.msg.data = data;
    recv.msg.data_len = sizeof(data);
    if (::ioctl(fd_, IPMICTL_RECEIVE_MSG_TRUNC, &recv) < 0 && errno != EMSGSIZE) return errno;
    if (recv.recv_type != IPMI_RESPONSE_RECV_TYPE) return EAGAIN;  // events, commands: not ours
    *msgid = recv.msgid;
    response->cc = recv.msg.data_len > 0 ? data[0] : 0xFF;
    response->data.assign(data + (recv.msg.data_len > 0 ? 1 : 0), data + recv.msg.data_len);
    return 0;
  }

 private:
  int fd_;
};

// Keeps the loop thread on one CPU for the length of a request so "before" and
// "after" are read on the same CPU, from that CPU (no IPI); restores the mask.
class CpuPin {
 public:
  CpuPin() {
    cpu_ = sched_getcpu();
    if (cpu_ < 0 || sched_getaffinity(0, sizeof(saved_), &saved_) != 0) return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu_, &one);
    pinned_ = sched_setaffinity(0, sizeof(one), &one) == 0;
  }
  ~CpuPin() {
    if (pinned_) sched_setaffinity(0, sizeof(saved_), &saved_);
  }
  bool pinned() const { return pinned_; }

 private:
  int cpu_ = -1;
  cpu_set_t saved_{};
  bool pinned_ = false;
};

class InbandTransport final : public Transport,
                              public std::enable_shared_from_this<InbandTransport> {
 public:
  InbandTransport(asio::io_context& io, const ClientConfig& config, InbandHooks hooks)
      : config_(config), hooks_(std::move(hooks)), stream_(io), timer_(io) {}
  ~InbandTransport() override {
    if (stream_.is_open()) stream_.release();  // the device owns and closes the fd
  }

  void send(const Request& request, ResponseDone done) override {
    done_ = std::move(done);
    if (!device_ && !open()) return;
    request_ = request;
    attempts_left_ = config_.retries;
    transmit();
  }

  void close() override {
    ++generation_;
    timer_.cancel();
    if (stream_.is_open()) stream_.release();  // the device owns the fd
    device_.reset();
    pin_.reset();
    finish(Result<Response>::failure({Status::closed, 0, where() + ": client closed"}));
  }

  std::uint64_t timeouts() const override { return timeouts_; }

 private:
  std::string where() const { return "IPMI in-band " + config_.device; }

  bool open() {
    std::string error;
    device_ = hooks_.open_device ? hooks_.open_device(&error)
                                 : open_linux_ipmi_device(config_.device, &error);
    if (!device_) {
      finish(Result<Response>::failure({Status::transport, 0, error}));
      return false;
    }
    stream_.assign(device_->fd());
    if (hooks_.open_smi && !smi_) smi_ = hooks_.open_smi();
    wait_readable();
    return true;
  }

  void transmit() {
    msgid_ = ++next_msgid_;
    start_smi_count();
    if (int err = device_->send(msgid_, request_)) {
      pin_.reset();
      return finish(Result<Response>::failure(
          {Status::transport, 0,
           fmt::format("{}: IPMICTL_SEND_COMMAND failed: {}; is ipmi_si/ipmi_ssif loaded and "
                       "the BMC present?",
                       where(), std::strerror(err))}));
    }
    timer_.expires_after(config_.timeout);
    const auto gen = generation_;
    timer_.async_wait([self = shared_from_this(), gen](boost::system::error_code ec) {
      if (!ec && gen == self->generation_ && self->done_) self->on_timeout();
    });
  }

  void on_timeout() {
    ++timeouts_;
    pin_.reset();
    if (attempts_left_-- > 0) return transmit();
    finish(Result<Response>::failure(
        {Status::timeout, 0,
         fmt::format("{}: no answer after {} attempts of {} ms; check `dmesg` for the ipmi "
                     "driver's state",
                     where(), config_.retries + 1, config_.timeout.count())}));
  }

  void wait_readable() {
    const auto gen = generation_;
    stream_.async_wait(asio::posix::stream_descriptor::wait_read,
                       [self = shared_from_this(), gen](boost::system::error_code ec) {
                         if (ec || gen != self->generation_) return;
                         self->drain();
                         if (gen == self->generation_) self->wait_readable();
                       });
  }

  void drain() {
    for (;;) {
      long msgid = 0;
      Response response;
      const int err = device_->receive(&msgid, &response);
      if (err == EAGAIN || err == EWOULDBLOCK) return;
      if (err) {
        return finish(
            Result<Response>::failure({Status::transport, 0,
                                       fmt::format("{}: IPMICTL_RECEIVE_MSG_TRUNC failed: {}",
                                                   where(), std::strerror(err))}));
      }
      if (!done_ || msgid != msgid_) continue;  // a late answer to an attempt that timed out
      timer_.cancel();
      finish_smi_count();
      finish(Result<Response>::success(std::move(response)));
      return;
    }
  }

  void start_smi_count() {
    if (!smi_) return;
    pin_.emplace();
    before_ = pin_->pinned() ? read_smi_on_this_cpu(*smi_) : SmiRead{};
  }

  void finish_smi_count() {
    if (!smi_ || !pin_) return;
    if (before_.ok) {
      auto after = read_smi_on_this_cpu(*smi_);
      if (after.ok && hooks_.on_smis)
        hooks_.on_smis(counter_delta(before_.count, after.count, smi_->counter_bits()));
    }
    pin_.reset();
  }

  void finish(Result<Response> result) {
    if (auto done = std::move(done_)) {
      done_ = nullptr;
      done(std::move(result));
    }
  }

  ClientConfig config_;
  InbandHooks hooks_;
  asio::posix::stream_descriptor stream_;
  asio::steady_timer timer_;
  std::unique_ptr<InbandDevice> device_;
  std::unique_ptr<SmiSource> smi_;
  std::optional<CpuPin> pin_;
  SmiRead before_;
  Request request_;
  ResponseDone done_;
  long msgid_ = 0, next_msgid_ = 0;
  int attempts_left_ = 0;
  std::uint64_t generation_ = 0, timeouts_ = 0;
};

}  // namespace

std::unique_ptr<InbandDevice> open_linux_ipmi_device(const std::string& path, std::string* error) {
  const int fd = ::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    *error = fmt::format(
        "cannot open {}: {}; load the driver (modprobe ipmi_devintf ipmi_si) "
        "or use bmc.ipmi.transport: lanplus",
        path, std::strerror(errno));
    return nullptr;
  }
  // Prove it is the IPMI driver before the first real request: a harmless
  // ioctl that any other file rejects with ENOTTY.
  unsigned int events = 0;
  if (::ioctl(fd, IPMICTL_GET_MY_ADDRESS_CMD, &events) < 0 && errno == ENOTTY) {
    *error = fmt::format("{} is not an IPMI device (ioctl: {}); check bmc.ipmi.device", path,
                         std::strerror(ENOTTY));
    ::close(fd);
    return nullptr;
  }
  return std::make_unique<LinuxIpmiDevice>(fd);
}

std::shared_ptr<Transport> make_inband_transport(asio::io_context& io, const ClientConfig& config,
                                                 InbandHooks hooks) {
  return std::make_shared<InbandTransport>(io, config, std::move(hooks));
}

}  // namespace bmcquiet::ipmi
