// The SEL as a Redfish LogService. Redfish has no SEL reservation, so the
// clear is guarded by reading again: immediately before ClearLog every page
// of Entries is re-read, and the clear is sent only when the log holds
// exactly the entries archived for it (same count, same content). Entries
// that arrived meanwhile, or a BMC that restarted and reused record IDs,
// stop the clear; the next pass archives them first. ClearLog goes to the
// advertised target with the ClearType its ActionInfo or AllowableValues ask
// for.
//
// Entries are read across every page: Members@odata.nextLink, or $skip where
// the service honours it and the page holds fewer members than its count.
// Members the BMC inlines (an iDRAC lists whole entries) are used as they
// are; bare links are fetched one by one. Every count and capacity the BMC
// reports is checked before use: a negative, fractional, non-finite or absurd
// number is an error naming the URL, and nothing is cleared.
//
// fill() runs every reconcile, so it never downloads Entries when it can
// avoid it (an iDRAC takes 18 s for Sel/Entries): the count comes from
// ?$top=1 when the service honours it, else from the collector's last
// snapshot when recent, else from one GET of Entries that is then reused for
// as long as a snapshot count would be. After a clear, only counts read later
// are used, so the verifying observe sees the emptied log.
#include <fmt/format.h>

#include <cmath>
#include <set>

#include "policy/redfish_items.hpp"
#include "policy/redfish_util.hpp"
#include "redfish/client.hpp"

namespace bmcquiet::policy {
namespace {

using redfish::HttpResponse;
using redfish::Json;

// Beyond this a count or capacity is a BMC bug, not a log (IPMI stops at 65535).
constexpr double kAbsurdEntries = 1 << 20;
// A paged read that needs more pages than this is a BMC that pages for ever.
constexpr std::size_t kMaxPages = 10000;

// "" when n is a whole number from lowest to kAbsurdEntries; else why not.
std::string not_whole(std::optional<double> n, const std::string& shown, double lowest) {
  if (!n) return fmt::format("{} is not a number", shown);
  if (!std::isfinite(*n) || *n != std::floor(*n) || *n < lowest || *n > kAbsurdEntries)
    return fmt::format("{} is not a whole number from {} to {}", shown, lowest, kAbsurdEntries);
  return {};
}

// A number as people write it (Boost.JSON would print 4.5 as 4.5E0); anything else as JSON.
std::string shown(const Json& v) {
  if (auto n = v.number()) return fmt::format("{}", *n);
  return v.dump();
}

struct Counted {
  std::string error;
  std::uint64_t n = 0;
};

// The collection's entry count, read from its first page.
Counted collection_count(const Json& page, const std::string& where) {
  const auto v = page["Members@odata.count"];
  if (v.is_null()) {
    if (page.contains("Members@odata.nextLink"))
      return {where + " is paged but has no Members@odata.count; nothing is cleared"};
    if (!page["Members"].is_array())
      return {where + " has neither Members@odata.count nor Members; is it a LogEntry collection?"};
    return {"", page["Members"].size()};
  }
  if (auto why = not_whole(v.number(), shown(v), 0); !why.empty())
    return {
        fmt::format("{}: Members@odata.count {}; nothing is cleared until the BMC reports a "
                    "valid count",
                    where, why)};
  return {"", std::uint64_t(*v.number())};
}

// MaxNumberOfRecords: 0 when the BMC does not say (the item is then unsupported).
Counted log_capacity(std::optional<double> n, const std::string& shown, const std::string& where) {
  if (!n && shown == "null") return {};
  if (auto why = not_whole(n, shown, 1); !why.empty())
    return {fmt::format("{}: MaxNumberOfRecords {}; the SEL fill is unknown and nothing is cleared",
                        where, why)};
  return {"", std::uint64_t(*n)};
}

// Everything the BMC gave, so the archive keeps every timestamp (Created,
// EventTimestamp, Modified...) and every OEM field; only the ETag, which a
// BMC may recompute at will, is left out of the content.
ArchiveEntry to_entry(const Json& body) {
  ArchiveEntry e;
  e.record_id = body["Id"].string().value_or(body.link());
  e.timestamp =
      body["Created"].string().value_or(body["EventTimestamp"].string().value_or(std::string()));
  for (const auto& key : body.keys()) {
    if (key == "@odata.etag") continue;
    auto v = body[key];
    e.fields.emplace_back(key, v.string().value_or(v.dump()));
  }
  return e;
}

bool has_content(const Json& member) {
  for (const auto& key : member.keys())
    if (key.rfind("@odata.", 0) != 0) return true;
  return false;
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

// One read of every page of Entries.
struct PageWalk {
  std::string entries;
  std::optional<std::uint64_t> count;  // the first page's
  std::vector<ArchiveEntry> inlined;
  std::vector<std::string> links;        // members to fetch one by one
  std::set<std::string> members, pages;  // seen so far
};

// Adds a page's members not seen before; "" or what is wrong with the page.
std::string add_members(const Json& page, const std::string& where, PageWalk& walk,
                        std::size_t& added) {
  const auto members = page["Members"];
  for (std::size_t i = 0; i < members.size(); ++i) {
    const auto m = members[i];
    const auto link = m.link();
    const auto key = link.empty() ? "Id:" + m["Id"].string().value_or("") : link;
    if (key == "Id:")
      return where + ": a member has neither @odata.id nor Id; its entry cannot be archived";
    if (!walk.members.insert(rf::without_trailing_slash(key)).second) continue;
    ++added;
    if (has_content(m))
      walk.inlined.push_back(to_entry(m));
    else
      walk.links.push_back(link);
  }
  return {};
}

struct NextPage {
  std::string error;
  std::string path = {};  // "" after the last page
};

NextPage next_page(const Json& page, const std::string& where, const PageWalk& walk,
                   std::size_t added, bool top_skip) {
  if (auto link = page["Members@odata.nextLink"].string()) {
    if (link->empty() || link->front() != '/' || link->rfind("//", 0) == 0)
      return {fmt::format("{}: Members@odata.nextLink '{}' is not a path on this BMC; not cleared",
                          where, *link)};
    if (walk.pages.count(rf::without_trailing_slash(*link)))
      return {
          fmt::format("{}: Members@odata.nextLink leads back to {}, a page already read; "
                      "not cleared",
                      where, *link)};
    if (added == 0)
      return {fmt::format("{}: a page with no new entries links to another ({}); not cleared",
                          where, *link)};
    return {"", *link};
  }
  if (top_skip && added > 0 && walk.count && walk.members.size() < *walk.count)
    return {"", fmt::format("{}?$skip={}", walk.entries, walk.members.size())};
  return {};
}

std::string describe_change(const std::vector<ArchiveEntry>& archived,
                            const std::vector<ArchiveEntry>& now) {
  std::set<std::string> known;
  for (const auto& e : archived) known.insert(content_identity(e));
  std::size_t unarchived = 0;
  std::string example;
  for (const auto& e : now)
    if (!known.count(content_identity(e)) && ++unarchived == 1) example = e.record_id;
  if (unarchived == 0 && now.size() == archived.size()) return {};
  return fmt::format("{} entries archived for this clear, {} now, {} of them not archived{}",
                     archived.size(), now.size(), unarchived,
                     example.empty() ? "" : " (e.g. record " + example + ")");
}

class RedfishSel final : public SelSource, public std::enable_shared_from_this<RedfishSel> {
 public:
  using SystemClock = std::chrono::system_clock;

  RedfishSel(RedfishClient c, SelLogSpec spec, bool from_model)
      : client_(std::move(c)), spec_(std::move(spec)), log_(spec_.path), from_model_(from_model) {}
  std::string transport() const override { return "redfish"; }

  void fill(std::function<void(SelFill)> done) override {
    if (from_model_) {
      if (!spec_.capacity && !spec_.capacity_problem.empty())
        return done(fill_failed(spec_.capacity_problem +
                                "; the SEL fill is unknown and nothing is cleared"));
      const auto shown = spec_.capacity ? fmt::format("{}", *spec_.capacity) : "null";
      auto capacity = log_capacity(spec_.capacity, shown, log_);
      if (!capacity.error.empty()) return done(fill_failed(capacity.error));
      return count(capacity.n, std::move(done));
    }
    client_->get(log_, [self = shared_from_this(), done = std::move(done)](HttpResponse r) {
      if (!r.ok()) return done(fill_failed(rf::problem(r, "GET", self->log_)));
      self->spec_.entries_path = r.body["Entries"].link();
      const auto max = r.body["MaxNumberOfRecords"];
      auto capacity = log_capacity(max.number(), shown(max), self->log_);
      if (!capacity.error.empty()) return done(fill_failed(capacity.error));
      self->count(capacity.n, done);
    });
  }

  void reserve_and_read(std::function<void(SelRead)> done) override {
    client_->get(log_, [self = shared_from_this(), done = std::move(done)](HttpResponse r) {
      if (!r.ok()) return done(read_failed(rf::problem(r, "GET", self->log_)));
      self->entries_ = r.body["Entries"].link();
      self->action_ = r.body["Actions"]["#LogService.ClearLog"];
      if (self->entries_.empty())
        return done(read_failed(self->log_ + " has no Entries link; nothing can be archived"));
      self->read_entries(done);
    });
  }

  // The last look before the clear: every page again, compared with what was archived.
  void clear(const SelRead& archived, std::function<void(ActOutcome)> done) override {
    read_entries([self = shared_from_this(), archived = archived.entries,
                  done = std::move(done)](SelRead now) {
      if (!now.error.empty()) return done(ActOutcome::failure(now.error + "; not cleared"));
      if (auto change = describe_change(archived, now.entries); !change.empty())
        return done(ActOutcome::failure(
            fmt::format("{} changed since it was archived ({}); not cleared, the next pass "
                        "archives the new entries first",
                        self->entries_, change)));
      self->clear_with_parameters([self, done](ActOutcome outcome) {
        if (outcome.ok) self->forget_counts();
        done(std::move(outcome));
      });
    });
  }

 private:
  void read_entries(std::function<void(SelRead)> done) {
    auto walk = std::make_shared<PageWalk>();
    walk->entries = entries_;
    read_page(walk, entries_, std::move(done));
  }

  void read_page(std::shared_ptr<PageWalk> walk, const std::string& page,
                 std::function<void(SelRead)> done) {
    if (walk->pages.size() >= kMaxPages)
      return done(read_failed(
          fmt::format("{}: more than {} pages; not cleared", walk->entries, kMaxPages)));
    walk->pages.insert(rf::without_trailing_slash(page));
    client_->get(page, [self = shared_from_this(), walk, page, done](HttpResponse r) {
      if (!r.ok()) return done(read_failed(rf::problem(r, "GET", page)));
      if (walk->pages.size() == 1) {
        auto count = collection_count(r.body, page);
        if (!count.error.empty()) return done(read_failed(count.error));
        walk->count = count.n;
      }
      std::size_t added = 0;
      if (auto error = add_members(r.body, page, *walk, added); !error.empty())
        return done(read_failed(error));
      auto next = next_page(r.body, page, *walk, added, self->spec_.top_skip);
      if (!next.error.empty()) return done(read_failed(next.error));
      if (!next.path.empty()) return self->read_page(walk, next.path, done);
      self->fetch_linked(walk, done);
    });
  }

  void fetch_linked(std::shared_ptr<PageWalk> walk, std::function<void(SelRead)> done) {
    if (walk->count && walk->members.size() != *walk->count)
      return done(read_failed(fmt::format(
          "{}: read {} entries on {} page(s) but the log counts {}; entries arrived meanwhile "
          "or the paging is inconsistent; not cleared, the next pass reads again",
          walk->entries, walk->members.size(), walk->pages.size(), *walk->count)));
    rf::get_all(client_, walk->links, [walk, done](std::vector<HttpResponse> answers) {
      SelRead read;
      read.entries = std::move(walk->inlined);
      for (std::size_t i = 0; i < answers.size(); ++i) {
        if (!answers[i].ok())
          return done(read_failed(rf::problem(answers[i], "GET", walk->links[i])));
        read.entries.push_back(to_entry(answers[i].body));
      }
      read.reservation = std::to_string(read.entries.size());
      done(std::move(read));
    });
  }

  // A capacity of 0 makes the SEL item unsupported whatever the count: no request.
  void count(std::uint64_t capacity, std::function<void(SelFill)> done) {
    if (capacity == 0) return done({"", 0, 0});
    if (auto n = recent_count()) return done({"", *n, capacity});
    if (spec_.entries_path.empty()) return done(fill_failed(log_ + " has no Entries link"));
    const bool top = spec_.top_skip;
    const auto path = spec_.entries_path + (top ? "?$top=1" : "");
    client_->get(path, [self = shared_from_this(), capacity, top, path, done](HttpResponse e) {
      if (top && (e.status == 400 || e.status == 501)) {
        self->spec_.top_skip = false;  // advertised but refused: count the plain way
        return self->count(capacity, done);
      }
      if (!e.ok()) return done(fill_failed(rf::problem(e, "GET", path)));
      if (top && e.body["Members@odata.count"].is_null())
        return done(fill_failed(path + " has no Members@odata.count"));
      const auto n = collection_count(e.body, path);
      if (!n.error.empty()) return done(fill_failed(n.error));
      // With $top the count is one cheap request: no need to keep it.
      if (!top) self->own_count_ = {n.n, SystemClock::now()};
      done({"", n.n, capacity});
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
      if (rf::without_trailing_slash(l.path) == rf::without_trailing_slash(log_) &&
          not_whole(l.entries, "", 0).empty())
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
      self->client_->post(target, clear_body(allowed), [target, done](HttpResponse p) {
        done(p.ok() ? ActOutcome::success() : ActOutcome::failure(rf::problem(p, "POST", target)));
      });
    };
    const auto info = action_["@Redfish.ActionInfo"].string().value_or("");
    if (info.empty()) return post(strings(action_["ClearType@Redfish.AllowableValues"]));
    client_->get(info, [info, post](HttpResponse i) {
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
