// The SEL as a Redfish LogService. Redfish has no SEL reservation, so the
// "reservation" is the entry count seen when reading: clear() re-reads the
// count and refuses when entries arrived meanwhile (they would vanish
// unarchived); the next pass archives them. ClearLog goes to the advertised
// target with the ClearType its ActionInfo or AllowableValues ask for.
//
// fill() runs every reconcile, so it never downloads Entries when it can
// avoid it (an iDRAC takes 18 s for Sel/Entries): the count comes from
// ?$top=1 when the service honours it, else from the collector's last
// snapshot when recent, else from one GET of Entries that is then reused for
// as long as a snapshot count would be. After a clear, only counts read later
// are used, so the verifying observe sees the emptied log.
#include <fmt/format.h>

#include "policy/redfish_items.hpp"
#include "policy/redfish_util.hpp"
#include "redfish/client.hpp"

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

std::uint64_t plausible_capacity(std::optional<double> capacity) {
  return capacity && *capacity > 0 && *capacity <= 65536 ? std::uint64_t(*capacity) : 0;
}

class RedfishSel final : public SelSource, public std::enable_shared_from_this<RedfishSel> {
 public:
  using SystemClock = std::chrono::system_clock;

  RedfishSel(RedfishClient c, SelLogSpec spec, bool from_model)
      : client_(std::move(c)), spec_(std::move(spec)), log_(spec_.path), from_model_(from_model) {}
  std::string transport() const override { return "redfish"; }

  void fill(std::function<void(SelFill)> done) override {
    if (from_model_) return count(plausible_capacity(spec_.capacity), std::move(done));
    client_->get(log_, [self = shared_from_this(), done = std::move(done)](Response r) {
      if (!r.ok()) return done(fill_failed(rf::problem(r, "GET", self->log_)));
      self->spec_.entries_path = r.body["Entries"].link();
      self->count(plausible_capacity(r.body["MaxNumberOfRecords"].number()), done);
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
          self->clear_with_parameters([self, done](ActOutcome outcome) {
            if (outcome.ok) self->forget_counts();
            done(std::move(outcome));
          });
        });
  }

 private:
  // A capacity of 0 makes the SEL item unsupported whatever the count: no request.
  void count(std::uint64_t capacity, std::function<void(SelFill)> done) {
    if (capacity == 0) return done({"", 0, 0});
    if (auto n = recent_count()) return done({"", *n, capacity});
    const bool top = spec_.top_skip;
    const auto path = spec_.entries_path + (top ? "?$top=1" : "");
    client_->get(path, [self = shared_from_this(), capacity, top, path, done](Response e) {
      if (top && (e.status == 400 || e.status == 501)) {
        self->spec_.top_skip = false;  // advertised but refused: count the plain way
        return self->count(capacity, done);
      }
      if (!e.ok()) return done(fill_failed(rf::problem(e, "GET", path)));
      const auto n = top ? e.body["Members@odata.count"].number() : entry_count(e.body);
      if (!n) return done(fill_failed(path + " has no Members@odata.count"));
      // With $top the count is one cheap request: no need to keep it.
      if (!top) self->own_count_ = {std::uint64_t(*n), SystemClock::now()};
      done({"", std::uint64_t(*n), capacity});
    });
  }

  // The policy's own count, or the collector's, when taken within
  // spec_.recent. A snapshot may carry a count made up to a log interval
  // before it was taken, so after a clear only snapshots taken a whole
  // spec_.recent later are trusted; the own count read after the clear
  // serves meanwhile.
  std::optional<std::uint64_t> recent_count() const {
    const auto now = SystemClock::now();
    auto fresh = [&](SystemClock::time_point taken) { return now - taken <= spec_.recent; };
    if (own_count_ && own_count_->second >= cleared_at_ && fresh(own_count_->second))
      return own_count_->first;
    if (spec_.top_skip) return std::nullopt;  // one cheap request beats an older count
    const auto snapshot = client_->last_snapshot();
    const auto trusted_from =
        cleared_at_ == SystemClock::time_point{} ? cleared_at_ : cleared_at_ + spec_.recent;
    if (!snapshot || snapshot->taken < trusted_from || !fresh(snapshot->taken)) return std::nullopt;
    for (const auto& l : snapshot->logs)
      if (rf::without_trailing_slash(l.path) == rf::without_trailing_slash(log_) && l.entries &&
          *l.entries >= 0)
        return std::uint64_t(*l.entries);
    return std::nullopt;
  }

  void forget_counts() {
    own_count_.reset();
    cleared_at_ = SystemClock::now();
  }

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
  SelLogSpec spec_;
  std::string log_, entries_;
  bool from_model_;
  Json action_;
  std::optional<std::pair<std::uint64_t, SystemClock::time_point>> own_count_;
  SystemClock::time_point cleared_at_{};
};

}  // namespace

std::shared_ptr<SelSource> make_redfish_sel(RedfishClient client, std::string log_service) {
  SelLogSpec spec;
  spec.path = std::move(log_service);
  return std::make_shared<RedfishSel>(std::move(client), std::move(spec), false);
}

std::shared_ptr<SelSource> make_redfish_sel(RedfishClient client, SelLogSpec log) {
  return std::make_shared<RedfishSel>(std::move(client), std::move(log), true);
}

}  // namespace bmcquiet::policy
