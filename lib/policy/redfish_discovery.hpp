// Builds the policy's Redfish backends from the client's model of the BMC
// (redfish/model.hpp): the same discovery the collector reads, never a walk
// of its own. The Manager the model chose (ManagerProvidingService first),
// SOL and watchdog from whichever System has them, virtual media from every
// Manager's and System's slots, the SEL by its kind, the power cap from the
// server chassis only. Standard properties serve everyone; a vendor's OEM
// switch replaces the standard one only when the identified profile is that
// vendor's (no OEM writes without a matching profile).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "policy/item.hpp"
#include "policy/item_table.hpp"
#include "policy/redfish_items.hpp"
#include "redfish/json.hpp"

namespace bmcquiet::redfish {
struct Model;
}

namespace bmcquiet::policy {

void discover_redfish(RedfishClient client, const PolicySettings& settings,
                      SelItemOptions sel_options, std::function<void(BmcSupport)> done);

// The bodies discovery reads: the model's, plus what the policy had to GET
// (OEM resources, the server chassis' Controls) when the model did not hold
// them. Looked up by @odata.id with or without a trailing slash.
class ModelBodies {
 public:
  explicit ModelBodies(std::shared_ptr<const redfish::Model> model) : model_(std::move(model)) {}
  redfish::Json at(const std::string& path) const;  // null when unknown
  bool has(const std::string& path) const { return !at(path).is_null(); }
  void add(const std::string& path, redfish::Json body) { fetched_[path] = std::move(body); }
  const redfish::Model& model() const { return *model_; }

 private:
  std::shared_ptr<const redfish::Model> model_;
  std::map<std::string, redfish::Json> fetched_;
};

// The backends for a model whose bodies are all at hand (no request made;
// the backends use the client later). Exposed for tests over hand-made models.
BmcSupport backends_from_model(const ModelBodies& bodies, const RedfishClient& client,
                               const PolicySettings& settings, SelItemOptions sel_options);

}  // namespace bmcquiet::policy
