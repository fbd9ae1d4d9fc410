// Small helpers shared by the policy's Redfish backends and discovery.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "policy/item.hpp"
#include "redfish/client.hpp"

namespace bmcquiet::policy::rf {

// "GET /redfish/v1/...: HTTP 404; check bmc.redfish and the BMC"
std::string problem(const redfish::HttpResponse& r, std::string_view what, const std::string& path);
// GETs every path (the client queues them); answers in the order asked.
void get_all(const std::shared_ptr<redfish::Client>& client, std::vector<std::string> paths,
             std::function<void(std::vector<redfish::HttpResponse>)> done);
// The resource's ETag: the header, else the body's @odata.etag (many BMCs
// only put it there).
std::string etag_of(const redfish::HttpResponse& r);
// A fresh GET for the ETag, then PATCH with If-Match the body made from what
// the BMC shows now: a concurrent change by someone else makes the BMC answer
// 412 instead of being overwritten. A member the GET marks as not allowing
// the value (@Redfish.AllowableValues) is refused without a PATCH, and so is
// a PATCH answered 400/403/405 (ActOutcome::refused).
void patch_current(const std::shared_ptr<redfish::Client>& client, const std::string& path,
                   std::function<std::string(const redfish::Json& current)> body,
                   std::function<void(ActOutcome)> done);
// Why the resource as read (`current`) marks a member of the patch as not
// writable (@Redfish.AllowableValues without the value, or
// @Redfish.WriteableProperties without the member); "" when nothing says so.
std::string read_only_in(const redfish::Json& current, const std::string& patch,
                         const std::string& path);
// The @odata.id of each member of a collection.
std::vector<std::string> member_links(const redfish::Json& collection);
// The member down the keys ({"SerialConsole","IPMI","ServiceEnabled"}); null when absent.
redfish::Json at(redfish::Json body, const std::vector<std::string>& keys);
// A path without trailing slashes: "/redfish/v1/Managers/1/" and "/redfish/v1/Managers/1"
// name the same resource.
std::string without_trailing_slash(std::string path);

}  // namespace bmcquiet::policy::rf
