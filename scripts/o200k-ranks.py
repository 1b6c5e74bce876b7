#!/usr/bin/env python3
"""Converts OpenAI's o200k_base BPE ranks into the compact file liveclin-o200k builds in.

Input: `o200k_base.tiktoken` from OpenAI's tiktoken (MIT licence; the same file ships in
the `tiktoken-rs` crate as `assets/o200k_base.tiktoken`, and OpenAI serves it at
https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken), one token a
line: `base64(token bytes) rank`.

Output: `crates/o200k/data/o200k_base.bin`, the tokens in rank order (token N is the Nth
record), each a length byte then its bytes: under half the text file's size, and read
without base64. Refuses an input whose ranks are not 0, 1, 2, ... or whose tokens repeat
or exceed 255 bytes, since the format relies on all three.

    scripts/o200k-ranks.py path/to/o200k_base.tiktoken [crates/o200k/data/o200k_base.bin]
"""
import base64
import sys


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    source = sys.argv[1]
    target = sys.argv[2] if len(sys.argv) == 3 else "crates/o200k/data/o200k_base.bin"
    out = bytearray()
    seen = set()
    with open(source, "rb") as lines:
        for expected, line in enumerate(lines):
            encoded, rank = line.split()
            token = base64.b64decode(encoded, validate=True)
            if int(rank) != expected:
                sys.exit(f"rank {int(rank)} on line {expected + 1}: ranks must be contiguous from 0")
            if not 0 < len(token) < 256:
                sys.exit(f"token of rank {expected} is {len(token)} bytes: a length byte cannot hold it")
            if token in seen:
                sys.exit(f"token of rank {expected} repeats an earlier one")
            seen.add(token)
            out.append(len(token))
            out += token
    with open(target, "wb") as file:
        file.write(out)
    print(f"{len(seen)} tokens, {len(out)} bytes -> {target}")


if __name__ == "__main__":
    main()
