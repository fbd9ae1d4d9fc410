#include "policy/redfish_util.hpp"

#include <fmt/format.h>

namespace bmcquiet::policy::rf {

std::string problem(const redfish::HttpResponse& r, std::string_view what,
                    const std::string& path) {
  return fmt::format("{} {}: {}; check bmc.redfish and the BMC", what, path,
                     r.error.empty() ? fmt::format("HTTP {}", r.status) : r.error);
}

void get_all(const std::shared_ptr<redfish::Client>& client, std::vector<std::string> paths,
             std::function<void(std::vector<redfish::HttpResponse>)> done) {
  if (paths.empty()) return done({});
  struct Gather {
    std::vector<redfish::HttpResponse> answers;
    std::size_t left;
    std::function<void(std::vector<redfish::HttpResponse>)> done;
  };
  auto g = std::make_shared<Gather>(
      Gather{std::vector<redfish::HttpResponse>(paths.size()), paths.size(), std::move(done)});
  for (std::size_t i = 0; i < paths.size(); ++i)
    client->get(paths[i], [g, i](redfish::HttpResponse r) {
      g->answers[i] = std::move(r);
      if (--g->left == 0) g->done(std::move(g->answers));
    });
}

std::string etag_of(const redfish::HttpResponse& r) {
  return r.etag.empty() ? r.body["@odata.etag"].string().value_or("") : r.etag;
}

namespace {

bool lists(const redfish::Json& array, const std::string& value_json) {
  for (std::size_t i = 0; i < array.size(); ++i)
    if (array[i].dump() == value_json || (array[i].is_string() && array[i].string() == value_json))
      return true;
  return false;
}

// The first member of the patch that the current body marks as not
// writable: "<Prop>@Redfish.AllowableValues" without the value to write, or
// an object whose "@Redfish.WriteableProperties" does not name the property.
std::string read_only_member(const redfish::Json& current, const redfish::Json& patch,
                             const std::string& where) {
  for (const auto& key : patch.keys()) {
    const auto value = patch[key];
    if (value.is_object()) {
      if (auto found = read_only_member(current[key], value, where + "/" + key); !found.empty())
        return found;
      continue;
    }
    const auto writeable = current["@Redfish.WriteableProperties"];
    if (writeable.is_array() && !lists(writeable, redfish::Json::quote(key)))
      return fmt::format("{}/{} is not among the @Redfish.WriteableProperties there ({})", where,
                         key, writeable.dump());
    const auto allowed = current[key + "@Redfish.AllowableValues"];
    if (allowed.is_array() && !lists(allowed, value.dump()))
      return fmt::format("{}/{} allows only {} ({}@Redfish.AllowableValues)", where, key,
                         allowed.dump(), key);
  }
  return {};
}

}  // namespace

std::string read_only_in(const redfish::Json& current, const std::string& patch,
                         const std::string& path) {
  auto parsed = redfish::Json::parse(patch);
  return parsed ? read_only_member(current, *parsed, path) : std::string();
}

namespace {

ActOutcome patch_outcome(const redfish::HttpResponse& p, const std::string& path) {
  if (p.status == 412)
    return ActOutcome::failure(
        fmt::format("PATCH {}: changed by someone else meanwhile (412)", path));
  if (p.ok()) return ActOutcome::success();
  if (p.status == 400 || p.status == 403 || p.status == 405)
    return ActOutcome::refusal(problem(p, "PATCH", path));
  return ActOutcome::failure(problem(p, "PATCH", path));
}

}  // namespace

void patch_current(const std::shared_ptr<redfish::Client>& client, const std::string& path,
                   std::function<std::string(const redfish::Json& current)> body,
                   std::function<void(ActOutcome)> done) {
  client->get(path, [client, path, body = std::move(body),
                     done = std::move(done)](redfish::HttpResponse r) {
    if (!r.ok()) return done(ActOutcome::failure(problem(r, "GET", path)));
    const auto text = body(r.body);
    if (auto read_only = read_only_in(r.body, text, path); !read_only.empty())
      return done(ActOutcome::refusal(fmt::format("{}; nothing was sent", read_only)));
    client->patch(path, text, etag_of(r),
                  [path, done](redfish::HttpResponse p) { done(patch_outcome(p, path)); });
  });
}

std::vector<std::string> member_links(const redfish::Json& collection) {
  std::vector<std::string> links;
  const auto members = collection["Members"];
  for (std::size_t i = 0; i < members.size(); ++i)
    if (auto link = members[i].link(); !link.empty()) links.push_back(link);
  return links;
}

redfish::Json at(redfish::Json body, const std::vector<std::string>& keys) {
  for (const auto& k : keys) body = body[k];
  return body;
}

std::string without_trailing_slash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace bmcquiet::policy::rf
