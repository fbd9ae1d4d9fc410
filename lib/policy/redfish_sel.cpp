// The SEL as a Redfish LogService. Redfish has no SEL reservation, so the
// "reservation" is the entry count seen when reading: clear() re-reads the
// count and refuses when entries arrived meanwhile (they would vanish
// unarchived); the next pass archives them. ClearLog goes to the advertised
// target with the ClearType its ActionInfo or AllowableValues ask for.
#include <fmt/format.h>

#include "policy/redfish_items.hpp"
#include "policy/redfish_util.hpp"

namespace bmcquiet::policy {
namespace {

using redfish::Json;
using redfish::Response;

std::optional<double> entry_count(const Json& entries) {
  if (auto n = entries["Members@odata.count"].number()) return n;
  if (entries["Members"].is_array()) return double(entries["Members"].size());
  return std::nullopt;
}

SelEntry to_entry(const Json& body) {
  SelEntry e;
  e.record_id = body["Id"].string().value_or(body.link());
  e.timestamp = body["Created"].string().value_or("");
  for (const char* key : {"Message", "MessageId", "Severity", "EntryType", "SensorType",
                          "EntryCode", "SensorNumber", "OemRecordFormat"}) {
    auto v = body[key];
    if (!v.is_null()) e.fields.emplace_back(key, v.string().value_or(v.dump()));
  }
  return e;
}

// ClearLog's body: {} unless the BMC asks for a ClearType.
std::string clear_body(const std::vector<std::string>& allowed) {
  if (allowed.empty()) return "{}";
  std::string pick = allowed.front();
  for (const auto& a : allowed)
    if (a == "ClearAll") pick = a;
  return fmt::format(R"({{"ClearType":{}}})", Json::quote(pick));
}

SelRead read_failed(std::string error) {
  SelRead r;
  r.error = std::move(error);
  return r;
}

SelFill fill_failed(std::string error) {
  SelFill f;
  f.error = std::move(error);
  return f;
}

std::vector<std::string> strings(const Json& array) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < array.size(); ++i)
    if (auto s = array[i].string()) out.push_back(*s);
  return out;
}

class RedfishSel final : public SelSource, public std::enable_shared_from_this<RedfishSel> {
 public:
  RedfishSel(RedfishClient c, std::string log) : client_(std::move(c)), log_(std::move(log)) {}
  std::string transport() const override { return "redfish"; }

  void fill(std::function<void(SelFill)> done) override {
    client_->get(log_, [self = shared_from_this(), done = std::move(done)](Response r) {
      if (!r.ok()) return done(fill_failed(rf::problem(r, "GET", self->log_)));
      const auto capacity = r.body["MaxNumberOfRecords"].number().value_or(0);
      self->client_->get(r.body["Entries"].link(), [capacity, done](Response e) {
        if (!e.ok()) return done(fill_failed(rf::problem(e, "GET", "the SEL entries")));
        const auto n = entry_count(e.body);
        if (!n) return done(fill_failed("the SEL entries collection has no member count"));
        done({"", std::uint64_t(*n),
              std::uint64_t(capacity > 0 && capacity <= 65536 ? capacity : 0)});
      });
    });
  }

  void reserve_and_read(std::function<void(SelRead)> done) override {
    client_->get(log_, [self = shared_from_this(), done = std::move(done)](Response r) {
      if (!r.ok()) return done(read_failed(rf::problem(r, "GET", self->log_)));
      self->entries_ = r.body["Entries"].link();
      self->action_ = r.body["Actions"]["#LogService.ClearLog"];
      self->client_->get(self->entries_, [self, done](Response e) {
        if (!e.ok()) return done(read_failed(rf::problem(e, "GET", self->entries_)));
        SelRead read;
        read.reservation = fmt::format("{}", entry_count(e.body).value_or(-1));
        rf::get_all(self->client_, rf::member_links(e.body),
                    [read, done](std::vector<Response> entries) mutable {
                      for (const auto& entry : entries) {
                        if (!entry.ok())
                          return done(read_failed(rf::problem(entry, "GET", "a SEL entry")));
                        read.entries.push_back(to_entry(entry.body));
                      }
                      done(std::move(read));
                    });
      });
    });
  }

  void clear(const std::string& reservation, std::function<void(ActOutcome)> done) override {
    client_->get(
        entries_, [self = shared_from_this(), reservation, done = std::move(done)](Response e) {
          if (!e.ok()) return done(ActOutcome::failure(rf::problem(e, "GET", self->entries_)));
          const auto now = fmt::format("{}", entry_count(e.body).value_or(-1));
          if (now != reservation)
            return done(ActOutcome::failure(fmt::format(
                "the SEL changed since it was read ({} -> {} entries); not cleared, the next pass "
                "archives the new entries first",
                reservation, now)));
          self->clear_with_parameters(std::move(done));
        });
  }

 private:
  void clear_with_parameters(std::function<void(ActOutcome)> done) {
    const auto target = action_["target"].string().value_or("");
    if (target.empty())
      return done(ActOutcome::failure(log_ + " advertises no #LogService.ClearLog action"));
    auto post = [self = shared_from_this(), target, done](std::vector<std::string> allowed) {
      self->client_->post(target, clear_body(allowed), [target, done](Response p) {
        done(p.ok() ? ActOutcome::success() : ActOutcome::failure(rf::problem(p, "POST", target)));
      });
    };
    const auto info = action_["@Redfish.ActionInfo"].string().value_or("");
    if (info.empty()) return post(strings(action_["ClearType@Redfish.AllowableValues"]));
    client_->get(info, [info, post](Response i) {
      std::vector<std::string> allowed;
      const auto params = i.body["Parameters"];
      for (std::size_t k = 0; k < params.size(); ++k)
        if (params[k]["Name"].string() == "ClearType")
          allowed = strings(params[k]["AllowableValues"]);
      post(std::move(allowed));
    });
  }

  RedfishClient client_;
  std::string log_, entries_;
  Json action_;
};

}  // namespace

std::shared_ptr<SelSource> make_redfish_sel(RedfishClient client, std::string log_service) {
  return std::make_shared<RedfishSel>(std::move(client), std::move(log_service));
}

}  // namespace bmcquiet::policy
