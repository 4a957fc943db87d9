#!/bin/sh
# The many-core run on the device machine: what the machine is, then bench/scale
# on io_uring (keep-alive, pipelined) and epoll, every log and JSON into $OUT.
cd "$(dirname "$0")"
export PYTHONUNBUFFERED=1
ulimit -n 65536
{ uname -a; nproc; grep -m1 "model name" /proc/cpuinfo; head -2 /etc/os-release; ldd --version | head -1;
  taskset -p $$; command -v python3 taskset; } > "$OUT/machine.txt" 2>&1
./ringside serve --host 127.0.0.1 --port 39999 --workers 1 > "$OUT/start.log" 2>&1 &
sleep 1; kill %1; sleep 0.5
timeout 170 ./scale --binary ./ringside --wrk ./wrk --workers 1,2,4,8 --rounds 3 --duration 5s > "$OUT/scale-uring.log" 2>&1
timeout 90 ./scale --binary ./ringside --wrk ./wrk --workers 1,2,4,8 --rounds 2 --duration 5s --engine epoll > "$OUT/scale-epoll.log" 2>&1
timeout 90 ./scale --binary ./ringside --wrk ./wrk --workers 1,2,4,8 --rounds 2 --duration 5s --pipelined > "$OUT/scale-uring-pipelined.log" 2>&1
cp results/*.json "$OUT/" 2>/dev/null
ls "$OUT"
