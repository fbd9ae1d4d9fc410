#include <catch2/catch.hpp>

#include "platform/cpu_topology.hpp"
#include "support/helpers.hpp"

using namespace bmcquiet;

TEST_CASE("cpulist parsing follows the kernel format") {
  CHECK(*parse_cpu_list("0-3,8,10-11\n") == CpuSet{0, 1, 2, 3, 8, 10, 11});
  CHECK(parse_cpu_list("\n")->empty());
  CHECK(parse_cpu_list("")->empty());
  CHECK_FALSE(parse_cpu_list("a-b"));
  CHECK_FALSE(parse_cpu_list("5-2"));
  CHECK_FALSE(parse_cpu_list("1,,2"));
  CHECK(parse_cpu_list("8191")->count(8191));
  CHECK(format_cpu_list({0, 1, 2, 3, 8, 10, 11}) == "0-3,8,10-11");
}

// INT_MAX once overflowed the expansion loop and allocated until bad_alloc.
TEST_CASE("cpulist ids above the kernel's limit are rejected, not expanded") {
  CHECK_FALSE(parse_cpu_list("2147483647"));
  CHECK_FALSE(parse_cpu_list("0-2147483647"));
  CHECK_FALSE(parse_cpu_list("8192"));
  CHECK_FALSE(parse_cpu_list("8000-8192"));
  CHECK_FALSE(parse_cpu_list("99999999999999999999"));
  CHECK(format_cpu_list({}) == "");
}

TEST_CASE("roles come from isolated and nohz_full, overrides win") {
  test::TempDir sys;
  sys.write("devices/system/cpu/online", "0-7\n");
  sys.write("devices/system/cpu/isolated", "4-5\n");
  sys.write("devices/system/cpu/nohz_full", "5-6\n");
  auto roles = resolve_cpu_roles(sys.path(), {});
  CHECK(roles.error.empty());
  CHECK(roles.isolated == CpuSet{4, 5, 6});
  CHECK(roles.housekeeping == CpuSet{0, 1, 2, 3, 7});

  CpuSelection sel;
  sel.isolated = CpuSet{1};
  roles = resolve_cpu_roles(sys.path(), sel);
  CHECK(roles.isolated == CpuSet{1});
  CHECK(roles.housekeeping == CpuSet{0, 2, 3, 4, 5, 6, 7});
}

TEST_CASE("missing isolation files mean no isolated CPUs; a missing online file is an error") {
  test::TempDir sys;
  sys.write("devices/system/cpu/online", "0-1\n");
  auto roles = resolve_cpu_roles(sys.path(), {});
  CHECK(roles.isolated.empty());
  CHECK(roles.housekeeping == CpuSet{0, 1});
  test::TempDir empty;
  roles = resolve_cpu_roles(empty.path(), {});
  CHECK(roles.error.find("devices/system/cpu/online") != std::string::npos);
  CHECK(roles.error.find("--path.sysfs") != std::string::npos);
}
