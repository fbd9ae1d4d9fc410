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
  CHECK(missing.error.find("/etc/credstore/other") != std::string::npos);
}

// The credstore lookup itself runs in the systemd guest test (a real
// /etc/credstore); here the parts that need no root: the file and the
// directory systemd hands over.
TEST_CASE("check_secret names a missing, empty or readable secret and the fix", "[credentials]") {
  test::TempDir dir;
  ::unsetenv("CREDENTIALS_DIRECTORY");
  const std::string name = "bmcquiet.test-absent-credential";
  auto missing = check_secret(name, dir.path() + "/absent");
  CHECK(missing.find("/etc/credstore/" + name) != std::string::npos);
  CHECK(missing.find("nor " + dir.path() + "/absent") != std::string::npos);
  CHECK(missing.find("sudo install -m 0600 /dev/stdin /etc/credstore/" + name) !=
        std::string::npos);

  auto file = dir.write("pw", "");
  ::chmod(file.c_str(), 0600);
  CHECK(check_secret(name, file).find(file + " is empty") != std::string::npos);
  dir.write("pw", "s3cret-never-printed\n");
  ::chmod(file.c_str(), 0644);
  auto readable = check_secret(name, file);
  CHECK(readable.find("mode 0644") != std::string::npos);
  CHECK(readable.find("chmod 600 " + file) != std::string::npos);
  CHECK(readable.find("s3cret") == std::string::npos);
  ::chmod(file.c_str(), 0600);
  CHECK(check_secret(name, file).empty());

  dir.write("creds/" + name, "from-systemd");
  ::setenv("CREDENTIALS_DIRECTORY", (dir.path() + "/creds").c_str(), 1);
  CHECK(check_secret(name, "").empty());
  ::unsetenv("CREDENTIALS_DIRECTORY");
}
