#include "policy/fallback.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/log.hpp"

namespace bmcquiet::policy {
namespace {

class FallbackBackend final : public ItemBackend,
                              public std::enable_shared_from_this<FallbackBackend> {
 public:
  FallbackBackend(ItemId item, std::shared_ptr<ItemBackend> primary,
                  std::shared_ptr<ItemBackend> fallback)
      : item_(item), primary_(std::move(primary)), fallback_(std::move(fallback)) {}

  std::string transport() const override {
    return switched_ ? fallback_->transport() : primary_->transport();
  }

  void observe(std::function<void(Observation)> done) override {
    if (switched_) return fallback_->observe(std::move(done));
    if (!refusal_.empty()) return done(read_only_here());
    // A read-only mark seen while reading is remembered as a refusal at once,
    // so the first pass already uses the fallback (or says unsupported).
    primary_->observe([self = shared_from_this(), done = std::move(done)](Observation o) {
      if (!o.write_refused) return done(std::move(o));
      if (!self->refuse(o.detail)) return done(self->read_only_here());
      self->fallback_->observe(std::move(done));
    });
  }

  void act(std::function<void(ActOutcome)> done) override {
    if (switched_) return fallback_->act(std::move(done));
    primary_->act([self = shared_from_this(), done = std::move(done)](ActOutcome outcome) {
      if (!outcome.refused) return done(std::move(outcome));
      if (!self->refuse(outcome.error)) return done(std::move(outcome));
      self->fallback_->act(std::move(done));
    });
  }

 private:
  // Remembers the primary's refusal; true when the fallback serves from now on.
  bool refuse(const std::string& why) {
    refusal_ = why;
    if (!fallback_) return false;
    switched_ = true;
    const auto item = std::string(to_string(item_));
    log_event(spdlog::level::warn,
              fmt::format("policy: {}: {} refuses the write ({}); using {} from now on", item,
                          primary_->transport(), why, fallback_->transport()),
              {{"ITEM", item}, {"RESULT", "fallback"}, {"TRANSPORT", transport()}});
    return true;
  }

  Observation read_only_here() const {
    return Observation::unsupported(fmt::format(
        "unsupported (read-only here): {}; no other transport serves {} (configure bmc.ipmi "
        "or a vendor profile with a switch for it){}",
        refusal_, to_string(item_),
        refusal_.find("HTTP 403") != std::string::npos
            ? "; a 403 can also mean the BMC account lacks the privilege to configure it"
            : ""));
  }

  ItemId item_;
  std::shared_ptr<ItemBackend> primary_, fallback_;
  std::string refusal_;    // why the primary refused, once it did
  bool switched_ = false;  // the fallback serves the item now
};

}  // namespace

std::shared_ptr<ItemBackend> make_fallback(ItemId item, std::shared_ptr<ItemBackend> primary,
                                           std::shared_ptr<ItemBackend> fallback) {
  return std::make_shared<FallbackBackend>(item, std::move(primary), std::move(fallback));
}

}  // namespace bmcquiet::policy
