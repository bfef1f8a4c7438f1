#!/usr/bin/env bash
# Seeds the fuzz corpora from the captured fixtures (pieces of at most
# 16 KiB, cut at line boundaries), then `cargo +nightly fuzz run TARGET`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
FIX=../tests/fixtures
seed() { # target, files...
  local target=$1; shift
  mkdir -p "corpus/$target"
  for f in "$@"; do
    python3 - "$f" "corpus/$target" <<'PY'
import sys, hashlib, os
src, out = sys.argv[1], sys.argv[2]
data = open(src, 'rb').read()
piece, size = [], 0
def flush():
    global piece, size
    if piece:
        b = b''.join(piece)
        open(os.path.join(out, hashlib.sha1(b).hexdigest()), 'wb').write(b)
    piece, size = [], 0
for line in data.splitlines(keepends=True):
    if size + len(line) > 16384:
        flush()
    piece.append(line); size += len(line)
flush()
PY
  done
}
seed gojson $FIX/*/all.json $FIX/*/hangs.json $FIX/*/labels.json
seed junit $FIX/*/*.xml
seed text $FIX/*/all.txt $FIX/*/all.plain.txt $FIX/*/all.gotestsum.out
seed stack $FIX/*/hangs.txt $FIX/*/all.txt
mkdir -p corpus/policy
cp ../src/policy/starter.yml ../src/policy/known-libraries.yml corpus/policy/
seed scan $FIX/*/all.txt $FIX/*/all.plain.txt $FIX/extra/testify.txt
# Goroutine dumps: text ones in pieces; profile.proto whole, gzipped and
# decompressed (a mutated gzip stream fails its CRC before the decoder).
DUMPS=$FIX/dumps
seed dump $DUMPS/go1.26/*.txt $DUMPS/go1.27/*.txt $DUMPS/proto-unit/*/*.txt
for f in $DUMPS/go1.26/*.pb.gz $DUMPS/go1.27/*.pb.gz $DUMPS/proto-unit/*/*.pb.gz; do
  python3 - "$f" corpus/dump <<'PY'
import sys, hashlib, os, gzip
src, out = sys.argv[1], sys.argv[2]
for b in (open(src, 'rb').read(), gzip.decompress(open(src, 'rb').read())):
    open(os.path.join(out, hashlib.sha1(b).hexdigest()), 'wb').write(b)
PY
done
