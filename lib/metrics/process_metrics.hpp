// The process_* series every Prometheus client library exports (client_golang's
// process collector): CPU seconds, memory, file descriptors and start time of
// this process, read from the real /proc/self at each scrape (never from
// paths.procfs, which may point at a test or container tree).
#pragma once

#include <memory>

#include <prometheus/collectable.h>

namespace bmcquiet {

std::shared_ptr<prometheus::Collectable> make_process_metrics();

}  // namespace bmcquiet
