#include "redfish/bmc_nic.hpp"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "core/mac_address.hpp"
#include "redfish/client.hpp"
#include "redfish/discovery.hpp"
#include "redfish/oem.hpp"

namespace bmcquiet::redfish {
namespace {

std::string mac_of(const Json& value) {
  return normalise_mac(value.string().value_or("")).value_or("");
}

bool under(const std::string& link, const std::string& collection) {
  if (collection.empty()) return false;
  const auto base = normalise_link(collection);
  return normalise_link(link).rfind(base + "/", 0) == 0;
}

// The standard word: Links.Ports into the Manager's DedicatedNetworkPorts or
// SharedNetworkPorts (Redfish Manager v1_16).
std::optional<NicWord> standard_word(const Json& manager, const Json& body) {
  const auto ports = body["Links"]["Ports"];
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const auto link = ports[i].link();
    if (under(link, manager["SharedNetworkPorts"].link()))
      return NicWord{true, "Links.Ports=" + link};
    if (under(link, manager["DedicatedNetworkPorts"].link()))
      return NicWord{false, "Links.Ports=" + link};
  }
  return std::nullopt;
}

std::vector<std::string> members_of(const Json& collection) {
  std::vector<std::string> out;
  const auto members = collection["Members"];
  for (std::size_t i = 0; i < members.size(); ++i)
    if (auto l = members[i].link(); l.rfind("/redfish/v1/", 0) == 0) out.push_back(l);
  return out;
}

// One read: every request in flight counted; done runs when the last ends.
struct Reader : std::enable_shared_from_this<Reader> {
  std::shared_ptr<Client> client;
  std::function<void(BmcPorts)> done;
  std::shared_ptr<const Model> model;
  BmcPorts out;
  std::optional<NicWord> manager_word;
  unsigned pending = 0;

  void get(const std::string& path, std::function<void(const Json&)> use) {
    ++pending;
    client->get(path, [self = shared_from_this(), path, use = std::move(use)](HttpResponse r) {
      if (r.ok())
        use(r.body);
      else if (!r.refused && self->out.error.empty())
        self->out.error = fmt::format("{}: {}", path,
                                      r.error.empty() ? fmt::format("HTTP {}", r.status) : r.error);
      if (--self->pending == 0) self->finish();
    });
  }

  void start() {
    ++pending;  // held until every first request is queued
    for (const auto& m : model->managers) {
      const auto found = model->bodies.find(m.path);
      if (found == model->bodies.end()) continue;
      const Json manager = found->second;
      const auto link = manager["EthernetInterfaces"].link();
      if (link.empty()) continue;
      get(link, [this, manager](const Json& collection) {
        for (const auto& member : members_of(collection))
          get(member, [this, manager](const Json& body) {
            out.ports.push_back(decode_ethernet_interface(manager, body));
          });
      });
    }
    if (model->vendor && model->vendor->name() == "dell")
      for (const auto& path : model->oem_resources)
        if (is_manager_set(path))  // iDRAC.Embedded.1's, not the large System one
          get(path, [this](const Json& body) {
            if (!manager_word) manager_word = attributes_nic_word(body);
          });
    if (--pending == 0) finish();
  }

  // Dell names each attribute set after its component: the Manager's is the
  // one whose last segment is a Manager's Id.
  bool is_manager_set(const std::string& path) const {
    const auto id = normalise_link(path).substr(normalise_link(path).rfind('/') + 1);
    for (const auto& m : model->managers)
      if (m.id == id) return true;
    return false;
  }

  void finish() {
    for (auto& p : out.ports)
      if (!p.word && !p.host_interface) p.word = manager_word;
    std::sort(out.ports.begin(), out.ports.end(), [](const auto& a, const auto& b) {
      return std::tie(a.manager, a.id) < std::tie(b.manager, b.id);
    });
    done(std::move(out));
  }
};

}  // namespace

BmcPort decode_ethernet_interface(const Json& manager, const Json& body) {
  BmcPort p;
  p.manager = manager["Id"].string().value_or("");
  p.id = body["Id"].string().value_or("");
  p.mac = mac_of(body["MACAddress"]);
  p.permanent_mac = mac_of(body["PermanentMACAddress"]);
  if (auto enabled = body["InterfaceEnabled"].boolean())
    p.enabled = *enabled;
  else
    p.enabled = body["Status"]["State"].string().value_or("Enabled") != "Disabled";
  p.host_interface = !body["Links"]["HostInterface"].link().empty() ||
                     body["Oem"]["Hpe"]["InterfaceType"].string() == "HostInterface";
  p.word = interface_nic_word(body);
  if (!p.word) p.word = standard_word(manager, body);
  return p;
}

void read_bmc_ports(const std::shared_ptr<Client>& client, std::function<void(BmcPorts)> done) {
  client->discover([client, done = std::move(done)](std::shared_ptr<const Model> model,
                                                    std::string error) mutable {
    if (!model || model->managers.empty()) {
      BmcPorts none;
      none.error = error.empty() ? "the BMC lists no Manager" : error;
      return done(std::move(none));
    }
    auto reader = std::make_shared<Reader>();
    reader->client = client;
    reader->done = std::move(done);
    reader->model = std::move(model);
    reader->start();
  });
}

}  // namespace bmcquiet::redfish
