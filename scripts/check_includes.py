#!/usr/bin/env python3
"""Fails when an #include under src/ goes against the folder order written in docs/architecture.md.

The order is the fenced block tagged `layers` in that file: one floor per line, top floor first. A folder
may include folders on the floors below its own, never its own floor's neighbours or anything above, so
the folder graph cannot have a cycle. A line `name -> a b` declares a side library (the simulator, the
agent): it may include only the folders it lists, and no other folder may include it. Files directly in
src/ (main.cpp) may include anything. A folder under src/ that the block does not name is an error too,
so a new folder is placed on purpose.

    scripts/check_includes.py [repo root]    # exit 0 when every include follows the order
"""
import pathlib
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_0-9]+)/[^"]+"', re.M)


def read_layers(doc: pathlib.Path):
    text = doc.read_text()
    m = re.search(r"```layers\n(.*?)```", text, re.S)
    if not m:
        sys.exit(f"{doc}: no ```layers block")
    floor_of, side = {}, {}
    floors = [line.split("#")[0].strip() for line in m.group(1).splitlines()]
    floors = [f for f in floors if f]
    depth = len(floors)
    for i, line in enumerate(floors):
        if "->" in line:
            name, deps = line.split("->", 1)
            side[name.strip()] = set(deps.split())
            continue
        for name in line.split():
            floor_of[name] = depth - i  # higher number = higher floor
    return floor_of, side


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
    floor_of, side = read_layers(root / "docs" / "architecture.md")
    src = root / "src"
    problems = []
    for folder in sorted(p.name for p in src.iterdir() if p.is_dir()):
        if folder not in floor_of and folder not in side:
            problems.append(f"src/{folder}/: not placed in the layers block of docs/architecture.md")
    for path in sorted(src.rglob("*")):
        if path.suffix not in (".cpp", ".hpp", ".inc", ".h") or not path.is_file():
            continue
        rel = path.relative_to(src)
        if len(rel.parts) < 2:
            continue  # main.cpp: the composition of every subcommand
        me = rel.parts[0]
        text = path.read_text(errors="replace")
        for m in INCLUDE.finditer(text):
            target = m.group(1)
            if target == me or not (src / target).is_dir():
                continue
            line = text.count("\n", 0, m.start()) + 1
            where = f"src/{rel}:{line}"
            if me in side:
                if target not in side[me]:
                    problems.append(f"{where}: {me}/ is a side library and may include only "
                                    f"{', '.join(sorted(side[me]))}, not {target}/")
            elif target in side:
                problems.append(f"{where}: {me}/ includes the side library {target}/ (only main.cpp may)")
            elif me in floor_of and target in floor_of and floor_of[target] >= floor_of[me]:
                rel_word = "on its own floor" if floor_of[target] == floor_of[me] else "above it"
                problems.append(f"{where}: {me}/ includes {target}/, which is {rel_word} "
                                f"(docs/architecture.md, layers)")
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} include(s) against the folder order", file=sys.stderr)
        return 1
    print(f"includes follow the folder order ({len(floor_of)} folders on floors, {len(side)} side libraries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
