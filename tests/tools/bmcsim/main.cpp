// bmcsim: serves a DMTF-layout Redfish mockup folder as a simulated BMC.
#include <cstdio>
#include <iostream>

#include "sim.hpp"

namespace {

const char* kUsage =
    "usage: bmcsim --mockup DIR [--port N] [--control-port N] [--bind ADDR]\n"
    "              [--tls --cert PEM --key PEM [--wrong-cert PEM --wrong-key PEM]]\n"
    "              [--user NAME] [--password TEXT] [--session-timeout SECONDS]\n"
    "              [--latency-ms N] [--latency-profile README] [--serialize]\n"
    "              [--ready-file PATH]\n";

bool parse(int argc, char** argv, bmcsim::Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--tls" || arg == "--serialize") {
      (arg == "--tls" ? o.tls : o.serialize) = true;
      continue;
    }
    if (i + 1 >= argc) return false;
    const std::string v = argv[++i];
    if (arg == "--mockup")
      o.mockup = v;
    else if (arg == "--port")
      o.port = static_cast<unsigned short>(std::stoi(v));
    else if (arg == "--control-port")
      o.control_port = static_cast<unsigned short>(std::stoi(v));
    else if (arg == "--bind")
      o.bind = v;
    else if (arg == "--cert")
      o.cert = v;
    else if (arg == "--key")
      o.key = v;
    else if (arg == "--wrong-cert")
      o.wrong_cert = v;
    else if (arg == "--wrong-key")
      o.wrong_key = v;
    else if (arg == "--user")
      o.user = v;
    else if (arg == "--password")
      o.password = v;
    else if (arg == "--session-timeout")
      o.session_timeout = std::chrono::seconds(std::stoi(v));
    else if (arg == "--latency-ms")
      o.latency = std::chrono::milliseconds(std::stoi(v));
    else if (arg == "--latency-profile")
      o.latency_profile = v;
    else if (arg == "--ready-file")
      o.ready_file = v;
    else
      return false;
  }
  return !o.mockup.empty() && (!o.tls || (!o.cert.empty() && !o.key.empty()));
}

}  // namespace

int main(int argc, char** argv) {
  bmcsim::Options options;
  try {
    if (!parse(argc, argv, options)) {
      std::cerr << kUsage;
      return 2;
    }
    bmcsim::Store store;
    std::string error;
    if (!store.load(options.mockup, &error)) {
      std::cerr << "bmcsim: " << error << '\n';
      return 1;
    }
    boost::asio::io_context io;
    bmcsim::Sim sim(io, options, std::move(store));
    if (!options.latency_profile.empty() &&
        !sim.load_latency_profile(options.latency_profile, &error)) {
      std::cerr << "bmcsim: " << error << '\n';
      return 1;
    }
    sim.start();
    std::cerr << "bmcsim: serving " << options.mockup << (options.tls ? " over HTTPS" : "") << '\n';
    io.run();
  } catch (const std::exception& e) {
    std::cerr << "bmcsim: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
