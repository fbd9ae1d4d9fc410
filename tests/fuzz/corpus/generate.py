#!/usr/bin/env python3
"""Writes the fuzz harnesses' seed corpora next to this file: the project's
own fixtures (tests/fixtures, never the captures under ../shared) plus
hand-made boundary inputs (count -1, 1e308, 1e999 = inf, huge CPU ids,
truncated RMCP+ packets). Rerun after editing: python3 generate.py
(libFuzzer then adds what it finds to its working corpus, not to these)."""
import hashlib
import json
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
# Trees bigger than this compact to inputs too slow to mutate (hgx: 1.3 MB).
MAX_TREE = 256 * 1024


def write(harness, seeds):
    out = os.path.join(HERE, harness)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    for name, data in seeds:
        if isinstance(data, str):
            data = data.encode()
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


def fixture_files(subdir, ext):
    base = os.path.join(FIXTURES, subdir)
    for name in sorted(os.listdir(base)):
        if name.endswith(ext):
            with open(os.path.join(base, name), "rb") as f:
                yield name, f.read()


def compact(doc):
    return json.dumps(doc, separators=(",", ":"), sort_keys=True)


def redfish_trees():
    base = os.path.join(FIXTURES, "redfish")
    for vendor in sorted(os.listdir(base)):
        top = os.path.join(base, vendor)
        if not os.path.isdir(top):
            continue
        tree = {}
        for dirpath, _, files in os.walk(top):
            if "index.json" in files:
                path = "/" + os.path.relpath(dirpath, top)
                with open(os.path.join(dirpath, "index.json")) as f:
                    tree[path] = json.load(f)
        yield vendor, tree


BOUNDARY_BODIES = [
    {"Members@odata.count": -1, "Members": []},
    {"Members@odata.count": 1e308, "Members": [{"@odata.id": "/redfish/v1/x"}]},
    {"Members@odata.count": 4.5, "Members": []},
    {"Id": "Sel", "LogEntryType": "SEL", "MaxNumberOfRecords": -1},
    {"Id": "Sel", "LogEntryType": "SEL", "MaxNumberOfRecords": 1e308},
    {"Id": "Sel", "LogEntryType": "SEL", "MaxNumberOfRecords": 18446744073709551616},
    {"Reading": 1e308, "ReadingUnits": "Cel", "ReadingType": "Temperature",
     "Status": {"State": "Enabled"}},
    {"Reading": -1e308, "ReadingUnits": "RPM", "ReadingType": "Rotational"},
    {"PowerControl": [{"PowerConsumedWatts": 1e308,
                       "PowerLimit": {"LimitInWatts": -1, "LimitException": "HardPowerOff"}}]},
    {"ControlType": "Power", "SetPoint": 1e308, "AllowableMin": -1e308, "AllowableMax": 1e308,
     "ControlMode": "Automatic", "SetPointUnits": "W"},
    {"Fans": [{"Reading": 2147483648, "ReadingUnits": "RPM"}],
     "Temperatures": [{"ReadingCelsius": -273.16}]},
]


def redfish():
    bodies, trees = {}, []
    for vendor, tree in redfish_trees():
        for doc in tree.values():
            text = compact(doc)
            if len(text) <= 16 * 1024:
                bodies[hashlib.sha1(text.encode()).hexdigest()[:12]] = text
        text = compact(tree)
        if len(text) <= MAX_TREE:
            trees.append((vendor + ".json", text))
    for i, doc in enumerate(BOUNDARY_BODIES):
        bodies["boundary-%02d" % i] = compact(doc)
    # 1e999 is no double: Boost.JSON reads it as infinity (or refuses it).
    bodies["boundary-inf"] = '{"Members@odata.count":1e999,"Reading":-1e999,"SetPoint":1e999}'
    write("redfish_readers", sorted((k + ".json", v) for k, v in bodies.items()))
    # A BMC whose links loop, point outside /redfish, or answer 500.
    loop = {"/redfish/v1": {"Chassis": {"@odata.id": "/redfish/v1/Chassis"},
                            "Managers": {"@odata.id": "/redfish/v1/"}},
            "/redfish/v1/Chassis": {"Members@odata.count": -1,
                                    "Members": [{"@odata.id": "/redfish/v1/Chassis#x"},
                                                {"@odata.id": "http://evil/redfish/v1"}]},
            "/redfish/v1/Systems": 500, "@model": "subsystem"}
    trees.append(("loop.json", compact(loop)))
    write("redfish_discovery", trees)


def smbios():
    seeds = []
    for name, data in fixture_files("smbios", ".bin"):
        seeds.append((name, data))
        seeds.append(("cut-" + name, data[: len(data) // 2]))
    # A type 42 whose length byte claims more than the table holds.
    seeds.append(("length-past-end.bin", struct.pack("<BBH", 42, 0xFF, 1) + bytes(8)))
    write("smbios", seeds)


def ipmi_codec():
    seeds = [
        # Get Device ID: cc, id, rev, fw1, fw2, ipmi ver, support, mfg(3), product(2), aux(4)
        ("device-id", bytes([0, 0x20, 0x81, 0x02, 0x10, 0x02, 0xBF, 0x57, 0x01, 0, 0x01, 0x0B,
                             0, 0, 0, 0])),
        # DCMI: group extension first, then the payload
        ("dcmi-power-reading", bytes([0, 0xDC, 0x10, 0x01, 0x05, 0x00, 0xFF, 0xFF, 0x20, 0x01,
                                      0x80, 0x62, 0x2B, 0x68, 0xE8, 0x03, 0, 0, 0x40])),
        ("dcmi-power-limit", bytes([0, 0xDC, 0, 0, 0x01, 0xB0, 0x04, 0xE8, 0x03, 0, 0, 0x05, 0])),
        ("dcmi-capabilities", bytes([0, 0xDC, 0x01, 0x05, 0x02, 0x01, 0x01, 0x00, 0x00])),
        ("watchdog", bytes([0, 0x44, 0x01, 0x00, 0x00, 0x58, 0x02, 0x58, 0x02])),
        ("sel-info", bytes([0, 0x51, 0x08, 0x00, 0x00, 0xFF, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x0F])),
        ("sel-entry", bytes([0, 0xFF, 0xFF, 0x01, 0x00, 0x02, 0, 0, 0, 0, 0x20, 0, 0x04, 0x07,
                             0x01, 0x6F, 0x01, 0xFF, 0xFF])),
        ("sol", bytes([0, 0x11, 0x01])),
        ("cc-c5", bytes([0xC5])),
        ("empty", bytes([0])),
        ("sel-entry-truncated", bytes([0, 0xFF, 0xFF, 0x01])),
    ]
    write("ipmi_codec", seeds)


def ipmi_sdr():
    def full(m=1, b=0, r_exp=0, b_exp=0, fmt=0, lin=0, unit=1, name=b"CPU Temp", idcode=None):
        r = bytearray(48)
        r[0:5] = bytes([1, 0, 0x51, 0x01, 0])
        r[5:14] = bytes([0x20, 0, 0x10, 3, 1, 0x7F, 0x68, 0x01, 0x01])
        r[20], r[21], r[23] = fmt << 6, unit, lin
        m &= 0x3FF
        b &= 0x3FF
        r[24], r[25] = m & 0xFF, (m >> 8) << 6
        r[26], r[27] = b & 0xFF, (b >> 8) << 6
        r[29] = ((r_exp & 0xF) << 4) | (b_exp & 0xF)
        r[47] = (0xC0 | len(name)) if idcode is None else idcode
        r += name
        r[4] = len(r) - 5
        return bytes(r)
    compact = bytearray(32)
    compact[0:5] = bytes([2, 0, 0x51, 0x02, 0])
    compact[5:14] = bytes([0x20, 0, 0x60, 0x20, 1, 0x7F, 0x68, 0x0C, 0x6F])
    compact[23], compact[24], compact[31] = 0x1F, 0x80 | 24, 0xC4
    compact += b"DIMM"
    compact[4] = len(compact) - 5
    seeds = [
        ("full-temperature", full()),
        ("full-voltage-mbexp", full(m=118, b=-15, r_exp=-3, b_exp=1, unit=4, name=b"P12V")),
        ("full-2s-complement", full(fmt=2, name=b"Inlet Temp")),
        ("full-1s-complement", full(fmt=1)),
        ("full-m-min-b-max", full(m=-512, b=511, r_exp=7, b_exp=-8)),
        ("full-sqrt", full(lin=0x0A, unit=5)),
        ("full-1-over-x", full(lin=0x07)),
        ("full-oem-nonlinear", full(lin=0x70)),
        ("full-6bit-name", full(name=bytes([0x70, 0x24, 0xD9]), idcode=0x84)),
        ("full-bcd-name", full(name=bytes([0x12, 0xC5]), idcode=0x42)),
        ("full-unicode-name", full(name=b"\x41\x00", idcode=0x02)),
        ("full-name-past-end", full(name=b"Sh", idcode=0xDF)),
        ("full-length-lies", full()[:4] + bytes([0xF0]) + full()[5:]),
        ("full-truncated", full()[:30]),
        ("compact-shared", bytes(compact)),
        # found by the harness: a length byte that ends before the ID string
        ("compact-length-before-id", bytes(compact[:4]) + bytes([2]) + bytes(compact[5:])),
        ("mc-locator", bytes([3, 0, 0x51, 0x12, 11, 0x20, 0, 0, 0, 0, 0, 0, 0, 7, 1, 0, 0xC3])
         + b"BMC"),
        ("repository-info", bytes([0, 0x51, 0x0B, 0, 0xFE, 0xFF, 1, 0, 0, 0, 2, 0, 0, 0, 2])),
        ("sensor-reading", bytes([0, 0x2D, 0xC0, 0, 0])),
        ("header-only", bytes([1, 0, 0x51, 0x01, 0])),
        ("empty", b""),
    ]
    write("ipmi_sdr", seeds)


def rmcp():
    def packet(ptype, payload, sid=0x02000000, length=None):
        n = len(payload) if length is None else length
        return (bytes([0x06, 0x00, 0xFF, 0x07, 0x06, ptype]) + struct.pack("<IIH", sid, 0, n)
                + payload)
    open_resp = bytes([1, 0, 4, 0]) + struct.pack("<II", 0xA0A1A2A3, 0x01020304) \
        + bytes([0, 0, 0, 8, 3, 0, 0, 0]) + bytes([1, 0, 0, 8, 4, 0, 0, 0]) \
        + bytes([2, 0, 0, 8, 1, 0, 0, 0])
    rakp2 = bytes([2, 0, 0, 0]) + struct.pack("<I", 0xA0A1A2A3) + bytes(range(32)) + bytes(32)
    rakp4 = bytes([3, 0, 0, 0]) + struct.pack("<I", 0xA0A1A2A3) + bytes(16)
    lan = bytes([0x81, 0x1C, 0x63, 0x20, 0x04, 0x01, 0x00, 0x20, 0x81, 0x02, 0xBF])
    seeds = [
        ("open-session-response", open_resp),
        ("open-session-error", bytes([1, 0x12, 0, 0, 1, 2, 3, 4])),
        ("rakp2", rakp2),
        ("rakp4", rakp4),
        ("lan-response", lan),
        ("packet-open", packet(0x11, open_resp)),
        ("packet-rakp2", packet(0x13, rakp2)),
        ("packet-length-past-end", packet(0x11, open_resp, length=0xFFFF)),
        ("packet-truncated", packet(0x11, open_resp)[:15]),
        ("packet-authenticated-no-trailer", packet(0xC0, bytes(16))),
        ("packet-encrypted-only", packet(0x80, bytes(32))),
        ("packet-encrypted-short", packet(0x80, bytes(15))),
    ]
    write("rmcp", seeds)


def proc_interrupts():
    seeds = list(fixture_files("interrupts", ".txt"))
    seeds += [
        ("cpu-2-to-the-32", "           CPU0       CPU4294967296\n  0:  1  2  IO-APIC timer\n"),
        ("cpu-max", "CPU8191\n  NMI:  18446744073709551615  Non-maskable interrupts\n"),
        ("cpu-past-max", "CPU8192\nCAL: 1 Function call interrupts\n"),
        ("descending", "CPU1 CPU0\n  4: 1 2 IO-APIC 4-edge ttyS0\n"),
        ("count-overflow", "CPU0\n  4: 18446744073709551616 IO-APIC 4-edge ttyS0\n"),
        ("no-newline", "CPU0"),
    ]
    write("proc_interrupts", seeds)


def cpu_list():
    lists = ["0-3,8,10-11", "", "\n", "0", "8191", "8192", "2147483647", "0-8191", "8191-0",
             "-1", "1-", ",", "0,,1", "0-2147483647", "99999999999999999999", "0-3\n", " 1",
             "0-1:2", "4294967296"]
    write("cpu_list", [("%02d" % i, s) for i, s in enumerate(lists)])


def duration():
    texts = ["250ms", "1s", "5m", "1h", "2d", "10us", "1ns", "0s", "0.5s", "1e308d", "1e-308s",
             "nan", "nans", "infs", "-1s", "-0s", "106751d", "106752d",
             "9223372036854775807ns", "9223372036854775808ns", "99999999999999999999d", "1xd",
             "1", "s", "1 s", "0x10s"]
    write("duration", [("%02d" % i, s) for i, s in enumerate(texts)])


def config():
    with open(os.path.join(ROOT, "config", "bmcquiet.yaml")) as f:
        default = f.read()
    # Hermetic: the kernel files go to a directory that does not exist.
    hermetic = ("paths:\n  procfs: /nonexistent/proc\n  sysfs: /nonexistent/sys\n"
                "  devfs: /nonexistent/dev\n  state: /nonexistent/state\n")
    seeds = [
        ("default.yaml", default),
        ("isolated-int-max.yaml", hermetic + "cpus:\n  isolated: 2147483647\n"),
        ("isolated-range.yaml", hermetic + "cpus:\n  isolated: 0-2147483647\n"
                                          "  housekeeping: 0\n"),
        ("interval-1e308.yaml", hermetic + "collectors:\n  interrupts:\n    interval: 1e308d\n"),
        ("interval-nan.yaml", hermetic + "collectors:\n  smi:\n    interval: nans\n"),
        ("int-overflow.yaml", hermetic + "bmc:\n  redfish:\n    url: https://[::1]:0\n"
                                         "    max_response_bytes: 99999999999999999999\n"
                                         "    max_in_flight: -1\n"),
        ("ipmi-lan.yaml", hermetic + "bmc:\n  ipmi:\n    transport: lan\n    host: 127.0.0.1\n"
                                     "    port: 65536\n    cipher_suite: 3\n    retries: 1e308\n"),
        ("tsc-gap.yaml", hermetic + "collectors:\n  tsc_gap:\n    cpu: 8191\n"
                                    "    width: 1e-308s\n    period: 1e308s\n    priority: 1e308\n"),
        ("policy.yaml", hermetic + "policy:\n  mode: enforce\n  items:\n    power_cap:\n"
                                   "      floor_watts: 1e308\n    watchdog:\n"
                                   "      min_timeout: 24h\n    sel:\n      max_fill_ratio: .nan\n"),
        ("anchors.yaml", "a: &a [*a]\nb: *a\n"),
        # Found by this fuzzer: an alias inside its own anchor overflowed the stack.
        ("alias-cycle.yaml", "bmc:\n: &a [*a]\n"),
        ("alias-bomb.yaml", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
            "a%d: &a%d [%s]\n" % (i, i, ", ".join(["*a%d" % (i - 1)] * 10)) for i in range(1, 8))),
        ("deep.yaml", "bmc:\n  x: " + "[" * 40 + "]" * 40 + "\n"),
        ("not-a-map.yaml", "- 1\n- 2\n"),
    ]
    write("config", seeds)


def inband_ipmi_users():
    # FuzzedDataProvider strings end at a backslash followed by another byte:
    # pid, comm, status, type, then the ipmi_si counters in their order.
    def fields(*parts):
        return "\\n".join(parts).encode()
    counters = ["12", "7", "0", "18446744073709551615", "18446744073709551616", "-1", "", "1e308",
                "3\n", "x", "0"]
    write("inband_ipmi_users", [
        ("kcs", fields("1234", "ipmitool\n", "Name:\tipmitool\nCpus_allowed_list:\t0-3\n", "kcs\n",
                       *counters)),
        ("huge-cpus", fields("99999999999999999999", "x", "Cpus_allowed_list:\t0-2147483647\n",
                             "bt", *counters)),
        ("no-newline", fields("1", "", "Cpus_allowed_list:", "", "1")),
    ])


def policy_values():
    docs = [
        {"limit": 1205, "min": 150, "max": 1000, "floor": 800, "units": "Watts"},
        {"limit": -1, "min": 1e308, "max": -1e308, "floor": 1e308, "hard": True},
        {"limit": 1e308, "floor": -1, "off": "ControlMode Disabled", "vendor_min": 0,
         "vendor_max": 1e308},
        {"HostWatchdogTimer": {"TimeoutMs": -1, "FunctionEnabled": True}},
        {"HostWatchdogTimer": {"Oem": {}, "Timeout": 1e308}},
    ]
    seeds = [("%02d.json" % i, compact(d)) for i, d in enumerate(docs)]
    seeds.append(("inf.json", '{"limit":1e999,"min":-1e999,"floor":1e999}'))
    write("policy_values", seeds)


def pause_file():
    texts = ['{"since":1764000000.5,"until":0,"reason":"maintenance"}\n',
             '{"since":1764000000,"until":1764003600,"reason":""}',
             '{"since":"yesterday","until":0}', '{"since":1,"until":null}',
             '{"since":1,"until":1e999}', '{"since":-1e308,"until":1e308,"reason":7}',
             '{"since":1,"until":2,"reason":"torn', "[1,2]", ""]
    write("pause_file", [("%02d.json" % i, t) for i, t in enumerate(texts)])


def ctl_status():
    item = {"setting": "ipmi_sol", "mode": "enforce", "state": "drifted",
            "visible_state": "paused", "current": "enabled", "desired": "disabled",
            "detail": "", "transport": "redfish"}
    docs = [
        {"identity": "Dell iDRAC9", "profile": "dell", "identification": "Manager.Manufacturer",
         "pause": {"since": 1764000000, "until": 0, "reason": "maintenance"},
         "last_reconcile": 1764000100.5, "items": [item]},
        {"pause": {"since": -1, "until": 1e308, "reason": ""}, "last_reconcile": 1e308,
         "items": [1, item]},
        {"pause": None, "pause_error": "x", "last_reconcile": -1e308, "items": {}},
        {"changes": [item, "x"]},
        {"changes": {}},
        {"items": None},
    ]
    seeds = [("%02d.json" % i, compact(d)) for i, d in enumerate(docs)]
    write("ctl_status", seeds)


if __name__ == "__main__":
    redfish()
    smbios()
    ipmi_codec()
    ipmi_sdr()
    rmcp()
    proc_interrupts()
    cpu_list()
    duration()
    config()
    inband_ipmi_users()
    policy_values()
    pause_file()
    ctl_status()
