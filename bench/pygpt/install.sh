#!/bin/bash
# Install py-gpt (pygpt-net) into its OWN venv under $PEER_DIR (default bench/out/pygpt), never the project's.
# Needs system packages (PortAudio headers to build PyAudio, libpulse0,
# xdotool, Xvfb). Prints wall time, venv size and package count.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
export PEER_DIR=${PEER_DIR:-$HERE/../out/pygpt}
mkdir -p "$PEER_DIR"; PEER_DIR=$(cd "$PEER_DIR" && pwd)
VER=${PYGPT_VERSION:-2.9.1}
if [ "${SKIP_APT:-0}" != 1 ]; then
  # wait for another apt client holding the lock (other helpers install packages too)
  for i in $(seq 120); do fuser /var/lib/dpkg/lock-frontend >/dev/null 2>&1 || break; sleep 5; done
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq --no-install-recommends \
    portaudio19-dev build-essential xvfb xauth xdotool x11-utils procps bc libpulse0 \
    libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 \
    libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libnss3 libxcomposite1 libxdamage1 \
    libxrandr2 libxtst6 libxkbfile1 libxshmfence1 libasound2 libgbm1 libgl1 libegl1 libopengl0 \
    > "$PEER_DIR/apt.log" 2>&1
  echo "apt rc=$?"
fi
cd "$PEER_DIR"
if [ ! -x venv/bin/pygpt ]; then
  rm -rf venv
  python3 -m venv venv
  START=$(date +%s.%N)
  timeout 2400 ./venv/bin/pip install --no-cache-dir "pygpt-net==$VER" > "$PEER_DIR/pip_install.log" 2>&1
  echo "pip rc=$?"
  END=$(date +%s.%N)
  echo "install_wall_s=$(echo "$END - $START" | bc)"
fi
echo "venv_size_mib=$(du -sm venv | cut -f1)"
echo "packages=$(./venv/bin/pip list --format=freeze 2>/dev/null | wc -l)"
