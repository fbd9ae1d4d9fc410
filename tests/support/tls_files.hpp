// A throwaway CA with a server certificate (127.0.0.1, ::1, localhost) and a
// client certificate, made with the openssl command in a test's directory.
#pragma once

#include <string>

#include "support/helpers.hpp"

namespace bmcquiet::test {

struct TlsFiles {
  std::string ca_cert, server_cert, server_key, client_cert, client_key;
  std::string error;  // set when openssl failed (its output)
};

// `name` prefixes the files, so one directory can hold two sets (a renewal).
TlsFiles make_tls_files(const TempDir& dir, const std::string& name = "tls");

// htpasswd's bcrypt hash of password at cost `cost` (apache2-utils, an
// implementation independent of the daemon's libxcrypt); empty if unavailable.
std::string bcrypt_hash(const std::string& password, int cost = 10);

}  // namespace bmcquiet::test
