#include "policy/redfish_util.hpp"

#include <fmt/format.h>

namespace bmcquiet::policy::rf {

std::string problem(const redfish::Response& r, std::string_view what, const std::string& path) {
  return fmt::format("{} {}: {}; check bmc.redfish and the BMC", what, path,
                     r.error.empty() ? fmt::format("HTTP {}", r.status) : r.error);
}

void get_all(const std::shared_ptr<redfish::Client>& client, std::vector<std::string> paths,
             std::function<void(std::vector<redfish::Response>)> done) {
  if (paths.empty()) return done({});
  struct Gather {
    std::vector<redfish::Response> answers;
    std::size_t left;
    std::function<void(std::vector<redfish::Response>)> done;
  };
  auto g = std::make_shared<Gather>(
      Gather{std::vector<redfish::Response>(paths.size()), paths.size(), std::move(done)});
  for (std::size_t i = 0; i < paths.size(); ++i)
    client->get(paths[i], [g, i](redfish::Response r) {
      g->answers[i] = std::move(r);
      if (--g->left == 0) g->done(std::move(g->answers));
    });
}

void patch_current(const std::shared_ptr<redfish::Client>& client, const std::string& path,
                   std::function<std::string(const redfish::Json& current)> body,
                   std::function<void(ActOutcome)> done) {
  client->get(
      path, [client, path, body = std::move(body), done = std::move(done)](redfish::Response r) {
        if (!r.ok()) return done(ActOutcome::failure(problem(r, "GET", path)));
        client->patch(path, body(r.body), r.etag, [path, done](redfish::Response p) {
          if (p.status == 412)
            return done(ActOutcome::failure(
                fmt::format("PATCH {}: changed by someone else meanwhile (412)", path)));
          done(p.ok() ? ActOutcome::success() : ActOutcome::failure(problem(p, "PATCH", path)));
        });
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
