#include "support/tls_files.hpp"

namespace bmcquiet::test {

TlsFiles make_tls_files(const TempDir& dir, const std::string& name) {
  const auto base = dir.path() + "/" + name;
  TlsFiles f{base + "-ca.pem",     base + "-server.pem", base + "-server.key",
             base + "-client.pem", base + "-client.key", ""};
  dir.write(name + "-san.ext", "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n");
  const std::string quiet = " 2>&1";
  const std::string script =
      "set -e; cd " + dir.path() + "; n=" + name +
      "; openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
      "-subj /CN=bmcquiet-test-ca -keyout $n-ca.key -out $n-ca.pem" +
      quiet +
      "; for who in server client; do"
      " openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
      "-subj /CN=bmcquiet-$who -keyout $n-$who.key -out $n-$who.csr" +
      quiet +
      "; openssl x509 -req -in $n-$who.csr -CA $n-ca.pem -CAkey $n-ca.key -CAcreateserial "
      "-days 2 -extfile $n-san.ext -out $n-$who.pem" +
      quiet + "; done";
  auto r = run_command("bash -c '" + script + "'");
  if (r.exit_code != 0) f.error = r.output;
  return f;
}

std::string bcrypt_hash(const std::string& password, int cost) {
  if (!have_command("htpasswd")) return {};
  auto r = run_command("htpasswd -nbBC " + std::to_string(cost) + " u '" + password + "'");
  auto colon = r.output.find(':');
  if (r.exit_code != 0 || colon == std::string::npos) return {};
  auto hash = r.output.substr(colon + 1);
  while (!hash.empty() && (hash.back() == '\n' || hash.back() == '\r')) hash.pop_back();
  return hash;
}

}  // namespace bmcquiet::test
