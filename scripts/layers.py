#!/usr/bin/env python3
"""The rooms of lib/ and the one direction their #includes may point.

  scripts/layers.py            counts: upward includes, files per room, the
                               largest files and functions, and how many files
                               adding a collector / policy item / vendor touches
  scripts/layers.py --check    fails (exit 1) on an include that points up,
                               naming file:line, both rooms and what to do

A file may include its own room and any room of a lower rank; never a higher
one, never a peer of the same rank (the transports stay independent of each
other). docs/ARCHITECTURE.md explains each room.
"""
import argparse
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# rank: lower rooms never include higher ones. The top ones are the programs.
RANKS = {
    "core": 0,
    "metrics": 0,
    "platform": 1,
    "ipmi": 2,
    "redfish": 2,
    "measure": 2,
    "bmc": 3,
    "policy": 4,
    "collectors": 5,
    "service": 6,
    "ctl": 7,
    "daemon": 8,
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def source_files():
    """(room, path relative to ROOT) of every C++ file in lib/ and daemon/."""
    out = []
    for top in ("lib", "daemon"):
        for dirpath, _, names in os.walk(os.path.join(ROOT, top)):
            for name in sorted(names):
                if not name.endswith((".cpp", ".hpp")):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, name), ROOT)
                parts = rel.split(os.sep)
                room = "daemon" if parts[0] == "daemon" else parts[1]
                out.append((room, rel))
    return sorted(out, key=lambda x: x[1])


def includes(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            m = INCLUDE.match(line)
            if m and "/" in m.group(1):
                yield number, m.group(1), m.group(1).split("/")[0]


def violations():
    found = []
    for room, path in source_files():
        if room not in RANKS:
            found.append((path, 0, room, None, f"room lib/{room}/ has no rank in scripts/layers.py"))
            continue
        for number, target, to in includes(path):
            if to == room or to not in RANKS:
                continue
            if RANKS[to] >= RANKS[room]:
                found.append((path, number, room, to, target))
    return found


def check():
    bad = violations()
    for path, number, room, to, target in bad:
        if to is None:
            print(f"{path}: {target}: give it a rank in RANKS and a paragraph in docs/ARCHITECTURE.md")
            continue
        kind = "a peer" if RANKS[to] == RANKS[room] else "a higher room"
        print(f'{path}:{number}: {room}/ (rank {RANKS[room]}) includes "{target}" from {kind}, '
              f"{to}/ (rank {RANKS[to]}). Includes point down only "
              f"(core/metrics < platform < ipmi/redfish/measure < bmc < policy < collectors "
              f"< service < ctl < daemon): move the code both need to the lower room, or pass "
              f"it in (a callback, an interface defined below) instead of including upward. "
              f"See docs/ARCHITECTURE.md.")
    if bad:
        print(f"scripts/layers.py --check: {len(bad)} include(s) point up the layers", file=sys.stderr)
        return 1
    print(f"scripts/layers.py --check: {len(source_files())} files, every include points down")
    return 0


def strip_code(text):
    """Text with comments, string and char literals blanked (newlines kept)."""
    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    pattern = r'//[^\n]*|/\*.*?\*/|R"(\w*)\(.*?\)\1"|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\''
    return re.sub(pattern, blank, text, flags=re.S)


SIGNATURE = re.compile(r"\)\s*(?:const\s*)?(?:noexcept\s*)?(?:override\s*)?(?:final\s*)?"
                       r"(?:->\s*[\w:<>,\s*&]+)?\s*$")
NOT_FUNCTION = re.compile(r"\b(if|for|while|switch|catch|return)\s*\(|\[[^\]]*\]\s*\(|=\s*$")


def functions(path):
    """(lines, name) of every outermost function body in a file (a heuristic)."""
    text = strip_code(open(os.path.join(ROOT, path), encoding="utf-8").read())
    found, depth, start, head_from, fn_depth = [], 0, None, 0, None
    for i, ch in enumerate(text):
        if ch == "{":
            if fn_depth is None:
                head = text[head_from:i]
                tail = head[head.rfind(")") - 200 if ")" in head else 0:]
                if SIGNATURE.search(head.rstrip()) and not NOT_FUNCTION.search(tail.split("(")[0] + "("):
                    m = re.search(r"([~\w:]+)\s*\([^()]*(?:\([^()]*\)[^()]*)*\)[^()]*$", head)
                    if m and m.group(1) not in ("if", "for", "while", "switch", "catch"):
                        fn_depth, start = depth, (i, m.group(1))
            depth += 1
            head_from = i + 1
        elif ch == "}":
            depth -= 1
            if fn_depth is not None and depth == fn_depth:
                lines = text.count("\n", start[0], i) + 1
                found.append((lines, start[1]))
                fn_depth = None
            head_from = i + 1
        elif ch == ";":
            head_from = i + 1
    return found


def touch(pattern, flags=0, exclude=None):
    """lib/ files whose code (comments and strings removed unless kept) matches."""
    hits = []
    for _, path in source_files():
        raw = open(os.path.join(ROOT, path), encoding="utf-8").read()
        code = re.sub(r"//[^\n]*|/\*.*?\*/", " ", raw, flags=re.S)
        if re.search(pattern, code, flags) and not (exclude and re.search(exclude, path)):
            hits.append(path)
    return hits


def counts():
    files = source_files()
    print("== upward includes (scripts/layers.py --check)")
    bad = violations()
    for path, number, room, to, target in bad:
        print(f"  {path}:{number} {room} -> {target}")
    print(f"  total: {len(bad)}")

    print("== files per room (.hpp + .cpp)")
    per = {}
    for room, _ in files:
        per[room] = per.get(room, 0) + 1
    for room in sorted(per, key=lambda r: (RANKS.get(r, 99), r)):
        print(f"  {RANKS.get(room, '?')} {room:11} {per[room]}")
    print(f"  total: {len(files)}")

    print("== 10 largest files (lines)")
    sizes = []
    for _, path in files:
        with open(os.path.join(ROOT, path), encoding="utf-8") as f:
            sizes.append((sum(1 for _ in f), path))
    for n, path in sorted(sizes, reverse=True)[:10]:
        print(f"  {n:5} {path}")

    print("== 10 largest functions (lines, heuristic brace match)")
    fns = []
    for _, path in files:
        fns += [(n, f"{path} {name}") for n, name in functions(path)]
    for n, where in sorted(fns, reverse=True)[:10]:
        print(f"  {n:5} {where}")
    print(f"  functions over 60 lines: {sum(1 for n, _ in fns if n > 60)}")

    print("== files adding one thing touches (exemplars: the interrupts collector,")
    print("   the firmware_auto_update policy item, the Lenovo vendor profile)")
    collector = touch(r'"collectors/interrupts\.hpp"|\bmake_interrupts_collector\b')
    item = touch(r"\bfirmware_auto_update\b", exclude=r"/oem_")
    switch = touch(r"\bfirmware_auto_update\b|\"firmware_auto_update\"")
    switch = [p for p in switch if "/oem_" in p]
    vendor = touch(r"lenovo", re.I)
    for label, hits in (("collector", collector), ("policy item", item),
                        ("vendor OEM switch", switch), ("vendor profile", vendor)):
        print(f"  {label:18} {len(hits)}: {' '.join(hits)}")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail on an include that points up")
    args = parser.parse_args()
    return check() if args.check else counts()


if __name__ == "__main__":
    sys.exit(main())
