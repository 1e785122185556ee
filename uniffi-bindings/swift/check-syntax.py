#!/usr/bin/env python3
"""Parses the hand-written Swift of the repository with tree-sitter's Swift grammar and fails on
any syntax error: the check this Linux CI can make without a Swift compiler (which runs them in
test-linux.sh on a Swift machine). Types, names and concurrency are not checked here.

    python3 uniffi-bindings/swift/check-syntax.py [FILE.swift ...]   # default: every tracked .swift

Needs `pip install tree-sitter tree-sitter-swift` (.ci/run installs them). The UniFFI-generated
pelabel_ffi.swift is skipped: tests/foreign.rs checks it is exactly what UniFFI generates, and the
grammar does not know its `@_documentation` attributes.
"""

import subprocess
import sys

import tree_sitter
import tree_sitter_swift

GENERATED = "uniffi-bindings/swift/Sources/Pelabel/pelabel_ffi.swift"


def errors(parser, path):
    src = open(path, "rb").read()
    found = []
    stack = [parser.parse(src).root_node]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            line = node.start_point[0] + 1
            text = src.splitlines()[line - 1].decode(errors="replace").strip() if src else ""
            what = f"missing {node.type}" if node.is_missing else "syntax error"
            found.append(f"{path}:{line}:{node.start_point[1] + 1}: {what}: {text[:100]}")
            continue
        stack.extend(node.children)
    return sorted(found)


def main():
    files = sys.argv[1:] or [
        f for f in subprocess.run(["git", "ls-files", "*.swift"], capture_output=True, text=True, check=True).stdout.split()
        if f != GENERATED
    ]
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_swift.language()))
    bad = [e for f in files for e in errors(parser, f)]
    for e in bad:
        print(e)
    print(f"swift syntax: {len(files)} files, {len(bad)} errors")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
