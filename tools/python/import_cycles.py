#!/usr/bin/env python3
"""Lists pairs of source files of one crate that import each other.

A file `a.rs` imports `b.rs` when it names a module path that resolves to `b.rs`
(`use crate::x::y`, `super::y`, `crate::x::Item` in code). A module's own `mod.rs` or
`lib.rs` declaring and re-exporting its children is not counted: only siblings (and
cousins) that refer to each other are. Exit status 1 when any pair is found.
"""
import os
import re
import sys

def module_of(root, path):
    rel = os.path.relpath(path, root)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib"):
        rel = rel[:-1]
    return rel

def resolve(mods, base, segs):
    # Longest prefix of segs that names a module.
    best = None
    for n in range(1, len(segs) + 1):
        cand = tuple(base + segs[:n])
        if cand in mods:
            best = cand
    return best

def main():
    bad = []
    for crate in sorted(os.listdir("crates")):
        root = os.path.join("crates", crate, "src")
        if not os.path.isdir(root):
            continue
        files = {}
        for d, _, fs in os.walk(root):
            for f in fs:
                if f.endswith(".rs") and "test" not in f:
                    p = os.path.join(d, f)
                    files[tuple(module_of(root, p))] = p
        edges = set()
        for mod, p in files.items():
            text = open(p, encoding="utf-8").read()
            text = re.sub(r"#\[cfg\(test\)\].*", "", text, flags=re.S)
            text = re.sub(r"//.*", "", text)
            for m in re.finditer(r"\b(crate|super)((?:::\w+)+)", text):
                segs = m.group(2).strip(":").split("::")
                if m.group(1) == "crate":
                    base = []
                else:
                    # `super` is the parent of the file's own module.
                    base = list(mod[:-1])
                    while segs and segs[0] == "super":
                        segs = segs[1:]
                        base = base[:-1]
                target = resolve(files, base, segs)
                if target and target != mod:
                    edges.add((mod, target))
        for a, b in edges:
            if (b, a) in edges and a < b:
                parent = lambda x, y: len(x) < len(y) and tuple(y[: len(x)]) == tuple(x)
                if not (parent(a, b) or parent(b, a)):
                    bad.append((files[a], files[b]))
    for a, b in bad:
        print(f"{a} <-> {b}")
    return 1 if bad else 0

if __name__ == "__main__":
    sys.exit(main())
