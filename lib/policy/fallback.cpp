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
    if (!refusal_.empty())
      return done(Observation::unsupported(fmt::format(
          "unsupported (read-only here): {}; no other transport serves {} (configure bmc.ipmi "
          "or a vendor profile with a switch for it){}",
          refusal_, to_string(item_),
          refusal_.find("HTTP 403") != std::string::npos
              ? "; a 403 can also mean the BMC account lacks the privilege to configure it"
              : "")));
    primary_->observe(std::move(done));
  }

  void act(std::function<void(ActOutcome)> done) override {
    if (switched_) return fallback_->act(std::move(done));
    primary_->act([self = shared_from_this(), done = std::move(done)](ActOutcome outcome) {
      if (!outcome.refused) return done(std::move(outcome));
      self->refusal_ = outcome.error;
      if (!self->fallback_) return done(std::move(outcome));
      self->switched_ = true;
      const auto item = std::string(to_string(self->item_));
      log_event(
          spdlog::level::warn,
          fmt::format("policy: {}: {} refused the write ({}); using {} from now on", item,
                      self->primary_->transport(), outcome.error, self->fallback_->transport()),
          {{"ITEM", item}, {"RESULT", "fallback"}, {"TRANSPORT", self->transport()}});
      self->fallback_->act(std::move(done));
    });
  }

 private:
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
