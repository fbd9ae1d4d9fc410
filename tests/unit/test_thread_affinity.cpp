// confine_threads() against this process's real threads, in a forked child so
// the test binary keeps its own affinity.
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "platform/thread_affinity.hpp"
#include "support/child.hpp"

using namespace bmcquiet;

namespace {

bool runs_on_cpus_0_and_1() {
  auto mask = current_thread_affinity();
  return mask && mask->count(0) && mask->count(1);
}

// A thread that registers, pins itself to CPU 1 and holds until released.
struct PinnedHelper {
  std::mutex m;
  std::condition_variable cv;
  bool pinned = false, release = false;
  std::thread thread{[this] {
    PlacedThread placed;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(1, &one);
    ::sched_setaffinity(0, sizeof one, &one);
    std::unique_lock lock(m);
    pinned = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
  }};
  void wait_pinned() {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return pinned; });
  }
  ~PinnedHelper() {
    {
      std::lock_guard lock(m);
      release = true;
    }
    cv.notify_all();
    thread.join();
  }
};

// 0 when the registered thread kept CPU 1 and every other thread got CPU 0.
int confine_and_check() {
  std::thread idle([] { std::this_thread::sleep_for(std::chrono::milliseconds(200)); });
  PinnedHelper pinned;
  pinned.wait_pinned();
  auto result = confine_threads({0});
  int bad = result.placed == 1 && result.confined >= 2 && result.errors.empty() ? 0 : 10;
  int placed_seen = 0;
  for (const auto& t : list_thread_placement()) {
    if (t.placed) {
      ++placed_seen;
      if (t.allowed != CpuSet{1}) bad |= 1;
    } else if (t.allowed != CpuSet{0}) {
      bad |= 2;
    }
  }
  if (placed_seen != 1) bad |= 4;
  idle.join();
  return bad;
}

}  // namespace

TEST_CASE("confine_threads moves every thread but the registered ones") {
  if (!runs_on_cpus_0_and_1()) {
    WARN("this test needs CPUs 0 and 1 in its affinity mask: skipped");
    return;
  }
  CHECK(bmcquiet::test::run_in_child([] { ::_exit(confine_and_check()); }) == 0);
}

TEST_CASE("list_thread_placement reads this thread's Cpus_allowed_list") {
  auto threads = list_thread_placement();
  REQUIRE_FALSE(threads.empty());
  auto mine = current_thread_affinity();
  REQUIRE(mine);
  // The main thread's tid is the pid.
  auto main = std::find_if(threads.begin(), threads.end(),
                           [](const auto& t) { return t.tid == ::getpid(); });
  REQUIRE(main != threads.end());
  CHECK(main->allowed == *mine);
  CHECK_FALSE(main->placed);
}
