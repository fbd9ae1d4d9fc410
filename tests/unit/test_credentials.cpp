#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>

#include "core/credentials.hpp"
#include "support/helpers.hpp"

using namespace bmcquiet;

TEST_CASE("secrets load from a private file and are refused from a readable one", "[credentials]") {
  test::TempDir dir;
  auto file = dir.write("bmc.password", "hunter2\n");
  ::chmod(file.c_str(), 0600);
  ::unsetenv("CREDENTIALS_DIRECTORY");
  auto ok = load_secret("bmc-password", file);
  REQUIRE(ok.secret);
  CHECK(ok.secret->reveal() == "hunter2");

  ::chmod(file.c_str(), 0640);
  auto refused = load_secret("bmc-password", file);
  CHECK_FALSE(refused.secret);
  CHECK(refused.error.find("mode 0640") != std::string::npos);
  CHECK(refused.error.find("chmod 600") != std::string::npos);
  CHECK(refused.error.find("hunter2") == std::string::npos);
}

TEST_CASE("systemd credentials win over the file", "[credentials]") {
  test::TempDir dir;
  dir.write("creds/bmc-password", "from-systemd");
  ::setenv("CREDENTIALS_DIRECTORY", (dir.path() + "/creds").c_str(), 1);
  auto r = load_secret("bmc-password", "");
  ::unsetenv("CREDENTIALS_DIRECTORY");
  REQUIRE(r.secret);
  CHECK(r.secret->reveal() == "from-systemd");
  auto missing = load_secret("other", "");
  CHECK_FALSE(missing.secret);
  CHECK(missing.error.find("LoadCredential=other") != std::string::npos);
}
