// Standard first, but not for ever: when the BMC refuses the standard write
// for good (HTTP 400/403/405, or the property is marked read-only), the same
// item is served by another transport if one is configured (IPMI, or the
// vendor's switch), else it is `unsupported (read-only here)` from then on,
// so the engine reports it once instead of failing every pass.
#pragma once

#include <memory>

#include "policy/item.hpp"

namespace bmcquiet::policy {

// fallback may be null: a refusal then makes the item unsupported.
std::shared_ptr<ItemBackend> make_fallback(ItemId item, std::shared_ptr<ItemBackend> primary,
                                           std::shared_ptr<ItemBackend> fallback);

}  // namespace bmcquiet::policy
