#!/usr/bin/env python3
"""Fails when two files of a crate need each other, directly or around a loop.

Each `.rs` file is one module. A file needs another when it names a path into it: `crate::a::b`,
`super::x`, `self::x`, or a bare `child::x` of one of its own child modules. Test modules
(everything after the first `#[cfg(test)]`) are left out: tests may reach anywhere. Declaring a
child (`mod x;`) is not a need; using or re-exporting its items is.

    scripts/module-cycles.py [CRATE_SRC ...]     (default: every crate of the workspace)

Prints each crate's verdict and, for a cycle, the files in it and what each needs; exits 1 when
any crate has one.
"""
import os
import re
import sys

CRATES = ["shared/src", "frontend/src", "pipeline/src", "bridge/src", "cli/src", "bench/src", "fuzz/src"]
PATH = re.compile(r"\b(crate|super|self)((?:::\w+)+)")
GROUP = re.compile(r"\b(crate|super|self)((?:::\w+)*)::\{([^{}]*)\}")
BARE = re.compile(r"(?<![:\w])(\w+)::")


def modules(src):
    """Module path (a tuple) -> file, for every file of the crate rooted at `src`."""
    found = {}
    for folder, _, names in os.walk(src):
        for name in names:
            if not name.endswith(".rs"):
                continue
            file = os.path.join(folder, name)
            parts = os.path.relpath(file, src)[:-3].split(os.sep)
            if parts[0] == "bin":
                continue
            if parts[-1] in ("mod", "lib", "main"):
                if parts == ["main"] and os.path.exists(os.path.join(src, "lib.rs")):
                    continue  # the binary names the library by its crate name, not `crate::`
                parts = parts[:-1]
            found[tuple(parts)] = file
    return found


def code(file):
    with open(file, encoding="utf-8") as f:
        text = f.read()
    cut = text.find("#[cfg(test)]")
    text = text if cut < 0 else text[:cut]
    return re.sub(r"//[^\n]*", "", text)


def absolute(module, base, rest):
    if base == "crate":
        return rest
    if base == "self":
        return list(module) + rest
    path = list(module[:-1])
    while rest and rest[0] == "super":
        path, rest = path[:-1], rest[1:]
    return path + rest


def owner(path, known):
    """The file module a path points into: its longest prefix that is a file."""
    for end in range(len(path), -1, -1):
        if tuple(path[:end]) in known:
            return tuple(path[:end])
    return None


def needs(known):
    graph = {m: set() for m in known}
    for module, file in known.items():
        text = code(file)
        paths = [(m.group(1), m.group(2)) for m in PATH.finditer(text)]
        for m in GROUP.finditer(text):
            for item in m.group(3).split(","):
                item = item.split(" as ")[0].strip()
                if item:
                    paths.append((m.group(1), f"{m.group(2)}::{item}"))
        for base, rest in paths:
            target = owner(absolute(module, base, [p for p in rest.split("::") if p]), known)
            if target is not None and target != module:
                graph[module].add(target)
        for m in BARE.finditer(text):
            child = module + (m.group(1),)
            if child in known:
                graph[module].add(child)
    return graph


def cycles(graph):
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            node, edges = work[-1]
            step = next(edges, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = counter[0]
                    counter[0] += 1
                    stack.append(step)
                    on.add(step)
                    work.append((step, iter(sorted(graph[step]))))
                elif step in on:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def name(module):
    return "::".join(module) or "crate"


def main(args):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    failed = False
    for src in args or [os.path.join(root, c) for c in CRATES]:
        known = modules(src)
        graph = needs(known)
        found = cycles(graph)
        print(f"{os.path.relpath(src, root)}: {len(known)} files, {len(found)} cycles")
        for component in found:
            failed = True
            print("  cycle: " + " <-> ".join(name(m) for m in component))
            for module in component:
                inside = sorted(name(t) for t in graph[module] if t in component)
                print(f"    {name(module)} needs {', '.join(inside)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
