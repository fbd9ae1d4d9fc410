#include "policy/redfish_items.hpp"

#include <fmt/format.h>

#include "policy/redfish_util.hpp"
#include "redfish/client.hpp"

namespace bmcquiet::policy {
namespace {

using redfish::HttpResponse;
using redfish::Json;
using rf::at;
using rf::get_all;
using rf::problem;

// {"A":{"B":value}} for keys A, B.
std::string nested_body(const std::vector<std::string>& keys, const std::string& value) {
  std::string body = value;
  for (auto k = keys.rbegin(); k != keys.rend(); ++k)
    body = fmt::format("{{{}:{}}}", Json::quote(*k), body);
  return body;
}

class PropertyBackend final : public ItemBackend,
                              public std::enable_shared_from_this<PropertyBackend> {
 public:
  PropertyBackend(RedfishClient c, PropertySpec s) : client_(std::move(c)), spec_(std::move(s)) {}
  std::string transport() const override { return spec_.transport; }

  void observe(std::function<void(Observation)> done) override {
    client_->get(spec_.path, [self = shared_from_this(), done = std::move(done)](HttpResponse r) {
      const auto& spec = self->spec_;
      if (!r.ok()) return done(Observation::failed(problem(r, "GET", spec.path)));
      const auto desired = describe_json_value(spec.desired_json);
      auto value = at(r.body, spec.keys);
      if (value.is_null())
        return done(Observation::unsupported(
            fmt::format("{} has no {}", spec.path, fmt::join(spec.keys, "/"))));
      const auto current = describe_json_value(value.dump());
      if (value.dump() == spec.desired_json) return done(Observation::compliant(current, desired));
      // The BMC says up front that it will not take the write: no PATCH is
      // ever tried, and a fallback can take over before the first write.
      auto drift = Observation::drifted(current, desired);
      const auto read_only =
          rf::read_only_in(r.body, nested_body(spec.keys, spec.desired_json), spec.path);
      done(read_only.empty() ? std::move(drift)
                             : Observation::refused(std::move(drift), read_only));
    });
  }

  void act(std::function<void(ActOutcome)> done) override {
    const auto body = nested_body(spec_.keys, spec_.desired_json);
    rf::patch_current(
        client_, spec_.path, [body](const Json&) { return body; }, std::move(done));
  }

 private:
  RedfishClient client_;
  PropertySpec spec_;
};

class MediaBackend final : public ItemBackend, public std::enable_shared_from_this<MediaBackend> {
 public:
  MediaBackend(RedfishClient c, std::vector<MediaSlotRef> slots)
      : client_(std::move(c)), slots_(std::move(slots)) {}
  std::string transport() const override { return "redfish"; }

  struct Slot {
    std::string label, eject_target;
  };
  using Slots = std::function<void(std::string error, std::vector<Slot> inserted)>;

  void inserted_slots(Slots done) {
    std::vector<std::string> paths;
    for (const auto& s : slots_) paths.push_back(s.path);
    get_all(client_, paths, [self = shared_from_this(), done](std::vector<HttpResponse> bodies) {
      std::vector<Slot> inserted;
      for (std::size_t i = 0; i < bodies.size(); ++i) {
        const auto& slot = self->slots_[i];
        const auto& r = bodies[i];
        if (!r.ok()) return done(problem(r, "GET", slot.path), {});
        if (r.body["Inserted"].boolean().value_or(false))
          inserted.push_back(
              {slot.label,
               r.body["Actions"]["#VirtualMedia.EjectMedia"]["target"].string().value_or("")});
      }
      done("", std::move(inserted));
    });
  }

  void observe(std::function<void(Observation)> done) override {
    inserted_slots([done = std::move(done)](std::string error, std::vector<Slot> inserted) {
      if (!error.empty()) return done(Observation::failed(error));
      std::vector<std::string> labels;
      for (const auto& s : inserted) labels.push_back(s.label);
      if (labels.empty()) return done(Observation::compliant("none inserted", "none inserted"));
      done(Observation::drifted(fmt::format("inserted: {}", fmt::join(labels, ", ")),
                                "none inserted"));
    });
  }

  void act(std::function<void(ActOutcome)> done) override {
    inserted_slots([self = shared_from_this(), done = std::move(done)](std::string error,
                                                                       std::vector<Slot> inserted) {
      if (!error.empty()) return done(ActOutcome::failure(error));
      auto left = std::make_shared<std::size_t>(inserted.size());
      auto failure = std::make_shared<std::string>();
      if (inserted.empty()) return done(ActOutcome::success());
      for (const auto& s : inserted) {
        if (s.eject_target.empty()) {
          *failure = fmt::format("slot {} advertises no #VirtualMedia.EjectMedia action", s.label);
          if (--*left == 0) done(ActOutcome::failure(*failure));
          continue;
        }
        self->client_->post(s.eject_target, "{}", [left, failure, done, s](HttpResponse p) {
          if (!p.ok()) *failure = problem(p, "POST", s.eject_target);
          if (--*left == 0)
            done(failure->empty() ? ActOutcome::success() : ActOutcome::failure(*failure));
        });
      }
    });
  }

 private:
  RedfishClient client_;
  std::vector<MediaSlotRef> slots_;
};

}  // namespace

std::string describe_json_value(const std::string& json) {
  if (json == "true") return "enabled";
  if (json == "false") return "disabled";
  if (json == "null") return "none";
  if (json.size() >= 2 && json.front() == '"') return json.substr(1, json.size() - 2);
  return json;
}

std::shared_ptr<ItemBackend> make_redfish_property(RedfishClient client, PropertySpec spec) {
  return std::make_shared<PropertyBackend>(std::move(client), std::move(spec));
}

std::shared_ptr<ItemBackend> make_redfish_media(RedfishClient client,
                                                std::vector<MediaSlotRef> slots) {
  return std::make_shared<MediaBackend>(std::move(client), std::move(slots));
}

}  // namespace bmcquiet::policy
