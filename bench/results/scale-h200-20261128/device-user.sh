#!/bin/sh
# The many-core /v1/user run on the device machine: each worker's client calls the server itself.
cd "$(dirname "$0")"
export PYTHONUNBUFFERED=1
timeout 150 ./scale --binary ./ringside --wrk ./wrk --workers 1,2,4,8 --rounds 2 --duration 5s --path /v1/user > "$OUT/scale-uring-user.log" 2>&1
cp results/*.json "$OUT/" 2>/dev/null
ls "$OUT"
