#include "ipmi/lan_mac.hpp"

#include <fmt/format.h>

#include "ipmi/client.hpp"

namespace bmcquiet::ipmi {
namespace {

constexpr std::uint8_t kNetfnApp = 0x06;
constexpr std::uint8_t kNetfnTransport = 0x0C;
constexpr std::uint8_t kCmdGetChannelInfo = 0x42;
constexpr std::uint8_t kCmdGetLanConfig = 0x02;
constexpr std::uint8_t kParamMac = 5;
constexpr std::uint8_t kMedium8023 = 0x04;

// Walks the channels one request at a time (the client is single-flight
// anyway); shared so every callback keeps it alive.
struct Walk : std::enable_shared_from_this<Walk> {
  std::shared_ptr<Client> client;
  std::function<void(Result<std::vector<LanMac>>)> done;
  std::vector<LanMac> found;
  std::vector<std::uint8_t> known;  // LAN channels already found: no scan

  void next(std::uint8_t channel) {
    if (!known.empty()) return next_known();
    if (channel > kLastChannel) return finish();
    client->raw(channel_info_request(channel), [self = shared_from_this(), channel](auto r) {
      self->on_info(channel, std::move(r));
    });
  }

  void on_info(std::uint8_t channel, Result<Response> r) {
    if (!r.ok()) return fail(std::move(r.error));
    const auto lan = r.value->cc == kCcOk ? decode_is_lan_channel(r.value->data) : std::nullopt;
    if (!lan.value_or(false)) return next(channel + 1);
    read_mac(channel, [self = shared_from_this(), channel] { self->next(channel + 1); });
  }

  void next_known() {
    const auto channel = known.front();
    known.erase(known.begin());
    read_mac(channel, [self = shared_from_this()] {
      if (self->known.empty()) return self->finish();
      self->next_known();
    });
  }

  void read_mac(std::uint8_t channel, std::function<void()> then) {
    client->raw(lan_mac_request(channel),
                [self = shared_from_this(), channel, then = std::move(then)](auto m) {
                  if (!m.ok()) return self->fail(std::move(m.error));
                  if (m.value->cc == kCcOk)
                    if (auto mac = decode_lan_mac(m.value->data))
                      self->found.push_back({channel, *mac});
                  then();
                });
  }

  // No answer at all (raw() reports completion codes as answers): asking
  // the next channels would only wait out the same timeout again.
  void fail(Error e) { done(Result<std::vector<LanMac>>::failure(std::move(e))); }
  void finish() { done(Result<std::vector<LanMac>>::success(std::move(found))); }
};

}  // namespace

Request channel_info_request(std::uint8_t channel) {
  return {kNetfnApp, kCmdGetChannelInfo, {static_cast<std::uint8_t>(channel & 0x0F)}};
}

Request lan_mac_request(std::uint8_t channel) {
  // Byte 1 bit 7 clear: the parameter's value, not only its revision.
  return {kNetfnTransport,
          kCmdGetLanConfig,
          {static_cast<std::uint8_t>(channel & 0x0F), kParamMac, 0x00, 0x00}};
}

std::optional<bool> decode_is_lan_channel(const Bytes& data) {
  if (data.size() < 2) return std::nullopt;  // channel number, medium type, ...
  return (data[1] & 0x7F) == kMedium8023;
}

std::optional<std::string> decode_lan_mac(const Bytes& data) {
  if (data.size() < 7) return std::nullopt;  // parameter revision + 6 bytes
  bool zero = true, ones = true;
  for (std::size_t i = 1; i < 7; ++i) {
    zero = zero && data[i] == 0x00;
    ones = ones && data[i] == 0xFF;
  }
  if (zero || ones) return std::nullopt;
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", data[1], data[2], data[3],
                     data[4], data[5], data[6]);
}

void read_lan_macs(const std::shared_ptr<Client>& client,
                   std::function<void(Result<std::vector<LanMac>>)> done,
                   std::vector<std::uint8_t> lan_channels) {
  auto walk = std::make_shared<Walk>();
  walk->client = client;
  walk->done = std::move(done);
  walk->known = std::move(lan_channels);
  walk->next(kFirstChannel);
}

}  // namespace bmcquiet::ipmi
