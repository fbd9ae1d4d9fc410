// The BMC's own LAN MAC addresses over IPMI, as `ipmitool lan print` shows
// them: Get Channel Info finds the 802.3 LAN channels (never assumed to be
// channel 1), then Get LAN Configuration Parameters, parameter 5 (MAC
// Address, IPMI 2.0 table 23-4), reads each one's MAC. Built on
// Client::raw(): the decoders here are pure and fuzzed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ipmi/types.hpp"

namespace bmcquiet::ipmi {

class Client;

inline constexpr std::uint8_t kFirstChannel = 0x01;
inline constexpr std::uint8_t kLastChannel = 0x0B;  // 0x0C-0x0D reserved, 0x0E/0x0F "this"/system

// Get Channel Info (App, 0x42) and Get LAN Configuration Parameters
// (Transport, 0x02) requests.
Request channel_info_request(std::uint8_t channel);
Request lan_mac_request(std::uint8_t channel);

// Whether a Get Channel Info answer names an 802.3 LAN channel (medium 0x04).
// nullopt when the answer is too short to tell.
std::optional<bool> decode_is_lan_channel(const Bytes& data);
// "aa:bb:cc:dd:ee:ff" from a parameter 5 answer (revision byte, 6 bytes);
// nullopt when short, or all zeros / broadcast (no address configured).
std::optional<std::string> decode_lan_mac(const Bytes& data);

struct LanMac {
  std::uint8_t channel = 0;
  std::string mac;  // lower case, colon separated
};

// Every LAN channel's MAC, channels in order. Fails when a request gets no
// answer (the BMC is not reachable); channels that are not LAN or report no
// MAC (a completion code) are simply absent. `lan_channels` from an earlier
// answer skips the channel scan (11 requests, each of which may raise an
// SMI in-band): only their MACs are read again.
void read_lan_macs(const std::shared_ptr<Client>& client,
                   std::function<void(Result<std::vector<LanMac>>)> done,
                   std::vector<std::uint8_t> lan_channels = {});

}  // namespace bmcquiet::ipmi
