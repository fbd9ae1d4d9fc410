#include "policy/sel_item.hpp"

#include <fmt/format.h>

namespace bmcquiet::policy {
namespace {

class SelBackend final : public ItemBackend, public std::enable_shared_from_this<SelBackend> {
 public:
  SelBackend(std::shared_ptr<SelSource> source, SelItemOptions options)
      : source_(std::move(source)),
        options_(std::move(options)),
        archive_(options_.archive_dir, options_.archive_max_bytes, options_.archive_keep) {}

  std::string transport() const override { return source_->transport(); }

  void observe(std::function<void(Observation)> done) override {
    source_->fill([self = shared_from_this(), done = std::move(done)](SelFill f) {
      const double max_ratio = self->options_.max_fill_ratio;
      // The settings reject such a ratio; a NaN here would read every SEL as full or none.
      if (!(max_ratio > 0 && max_ratio <= 1))
        return done(Observation::failed(fmt::format(
            "sel max_fill_ratio {} is not a ratio above 0 and at most 1; nothing is cleared",
            max_ratio)));
      const auto desired = fmt::format("< {:.0f}% full", max_ratio * 100);
      if (!f.error.empty()) return done(Observation::failed(f.error));
      if (f.capacity == 0)
        return done(Observation::unsupported(
            "the BMC does not report its SEL capacity, so its fill ratio is unknown"));
      if (f.used > f.capacity)
        return done(Observation::failed(fmt::format(
            "the BMC counts {} SEL entries but a capacity of {}; one of the two is wrong, so "
            "nothing is cleared",
            f.used, f.capacity)));
      const double ratio = double(f.used) / double(f.capacity);
      auto current = fmt::format("{}/{} ({:.0f}%)", f.used, f.capacity, ratio * 100);
      done(ratio < max_ratio ? Observation::compliant(current, desired)
                             : Observation::drifted(current, desired));
    });
  }

  void act(std::function<void(ActOutcome)> done) override {
    source_->reserve_and_read([self = shared_from_this(), done = std::move(done)](SelRead read) {
      if (!read.error.empty()) return done(ActOutcome::failure(read.error));
      auto archived = self->archive_.append(read.entries, self->source_->transport());
      if (!archived.error.empty()) return done(ActOutcome::failure(archived.error));
      if (archived.written + archived.duplicates != read.entries.size())
        return done(ActOutcome::failure(fmt::format("{} of {} SEL entries archived; not cleared",
                                                    archived.written + archived.duplicates,
                                                    read.entries.size())));
      if (self->options_.after_archive) self->options_.after_archive();
      self->source_->clear(read, std::move(done));
    });
  }

 private:
  std::shared_ptr<SelSource> source_;
  SelItemOptions options_;
  SelArchive archive_;
};

}  // namespace

std::shared_ptr<ItemBackend> make_sel_backend(std::shared_ptr<SelSource> source,
                                              SelItemOptions options) {
  return std::make_shared<SelBackend>(std::move(source), std::move(options));
}

}  // namespace bmcquiet::policy
